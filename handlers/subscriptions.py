"""/subscribe, /unsubscribe, /stop and /settings: what is pushed to a user, when, and how."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.callbacks import MENU, CallbackData, parse_int
from bot.chat_settings import change_timezone
from bot.context import BotContext
from bot.features import Command, Feature
from bot.groups import can_manage
from bot.i18n import LANGUAGE_NAMES, lazy_pgettext
from bot.languages import LANGUAGES
from bot.menus import refresh_chat_menu
from bot.reminders import queue_reminders
from bot.render.html import escape
from bot.storage.chats import PUSH_TOPICS
from bot.ui import (
    PUSH_TOPIC_LABELS,
    Button,
    admins_only,
    answer_stale,
    home_row,
    keyboard,
    language_row,
    respond,
)

# Where readers are: Tajikistan and its neighbours, Russia, where most of the diaspora
# works, then Europe and the Gulf, then further away. One group starts a row of the menu.
TIMEZONE_GROUPS: tuple[tuple[str, ...], ...] = (
    ("Asia/Dushanbe", "Asia/Tashkent", "Asia/Almaty", "Asia/Bishkek"),
    ("Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk"),
    ("Europe/Istanbul", "Asia/Dubai", "Europe/Berlin", "Europe/London"),
    ("America/New_York", "America/Los_Angeles", "Asia/Seoul", "UTC"),
)
TIMEZONES = tuple(zone for group in TIMEZONE_GROUPS for zone in group)
ZONES_PER_ROW = 2
HOURS_PER_ROW = 6

SETTINGS = CallbackData("set")


async def settings_screen(context: BotContext, chat_id: int) -> tuple[str, list[list[Button]]]:
    tr = context.tr
    services = context.services
    settings = await services.db.settings.get_settings(chat_id)
    topics = await services.db.settings.subscriptions(chat_id)
    timezone = tr.zone_name(settings.timezone or str(services.config.timezone), services.now())
    on, off = tr.pgettext("settings", "on"), tr.pgettext("settings", "off")
    title = (
        tr.pgettext("settings", "The group's settings")
        if chat_id < 0
        else tr.pgettext("settings", "Your settings")
    )
    lines = [
        f"<b>{escape(title)}</b>",
        "",
        tr.pgettext("settings", "Anniversary reminders: {state}").format(
            state=on if "reminders" in topics else off
        ),
        tr.pgettext("settings", "News: {state}").format(state=on if "news" in topics else off),
        tr.pgettext("settings", "Reminder time: {hour}:00, {timezone}").format(
            hour=f"{settings.reminder_hour:02d}", timezone=escape(timezone)
        ),
        tr.pgettext("settings", "Silent delivery: {state}").format(
            state=on if settings.silent else off
        ),
        tr.pgettext("settings", "Language: {language}").format(
            language=LANGUAGE_NAMES[context.lang]
        ),
        "",
        tr.pgettext(
            "settings", "Tap a button to change a setting; tap an hour to get reminders at it."
        ),
    ]
    hour = settings.reminder_hour
    hours = [
        (f"✅{h:02d}" if h == hour else f"{h:02d}", SETTINGS.pack("hour", h)) for h in range(24)
    ]
    rows: list[list[Button]] = [
        [
            (
                ("✅ " if t in topics else "⬜ ") + tr.lazy(PUSH_TOPIC_LABELS[t]),
                SETTINGS.pack("topic", t),
            )
            for t in PUSH_TOPICS
        ],
        *(hours[i : i + HOURS_PER_ROW] for i in range(0, 24, HOURS_PER_ROW)),
        [
            (
                ("🔕 " if settings.silent else "🔔 ") + tr.pgettext("settings", "Silent delivery"),
                SETTINGS.pack("silent", 0 if settings.silent else 1),
            )
        ],
        [
            (
                "🕐 " + tr.pgettext("settings", "Time zone: {timezone}").format(timezone=timezone),
                SETTINGS.pack("tzmenu", "0"),
            )
        ],
        [(label, SETTINGS.pack("") + data) for label, data in language_row(context.lang)],
        home_row(tr),
    ]
    return "\n".join(lines), rows


def timezone_screen(context: BotContext, current: str) -> tuple[str, list[list[Button]]]:
    """Cities in the reader's language with their offset now, two to a row, and a way back."""
    tr = context.tr
    now = context.services.now()
    rows: list[list[Button]] = []
    for group in TIMEZONE_GROUPS:
        buttons = [
            (
                ("✅ " if zone == current else "") + tr.zone_name(zone, now),
                SETTINGS.pack("tz", zone),
            )
            for zone in group
        ]
        rows += [buttons[i : i + ZONES_PER_ROW] for i in range(0, len(buttons), ZONES_PER_ROW)]
    rows.append([(tr.pgettext("navigation", "◀️ Back"), SETTINGS.pack("show", "0"))])
    rows.append(home_row(tr))
    text = tr.pgettext(
        "settings", "Choose the time zone for your reminders. Now: {timezone}"
    ).format(timezone=escape(tr.zone_name(current, now)))
    return text, rows


async def _managed_chat(update: Update, context: BotContext) -> int | None:
    """The chat whose settings change (a user's own, or a group's), if the user may."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return None
    if not await can_manage(context.bot, chat, user.id):
        if update.callback_query is not None:
            await update.callback_query.answer(admins_only(context.tr), show_alert=True)
        else:
            await respond(update, admins_only(context.tr), keyboard([home_row(context.tr)]))
        return None
    return chat.id


async def show_settings(update: Update, context: BotContext) -> None:
    chat_id = await _managed_chat(update, context)
    if chat_id is None:
        return
    text, rows = await settings_screen(context, chat_id)
    await respond(update, text, keyboard(rows))


async def subscribe(update: Update, context: BotContext) -> None:
    chat_id = await _managed_chat(update, context)
    if chat_id is None:
        return
    services = context.services
    user = update.effective_user
    private = user is not None and chat_id == user.id
    if not private and not await services.db.chats.chat_language(chat_id):
        # A group pushes in one language: the subscribing admin's, until they choose another.
        await services.users.choose_language(chat_id, context.lang)
    changed = [
        t for t in PUSH_TOPICS if await services.db.changes.set_subscription(chat_id, t, True)
    ]
    tr = context.tr
    if changed and private:
        intro = tr.pgettext(
            "settings",
            "Done! I will send you anniversary reminders and news. "
            "Reminders come at the time set below.",
        )
    elif changed:
        intro = tr.pgettext(
            "settings",
            "Done! I will send this group anniversary reminders and news. "
            "Reminders come at the time set below.",
        )
    elif private:
        intro = tr.pgettext("settings", "You are already subscribed to reminders and news.")
    else:
        intro = tr.pgettext("settings", "This group is already subscribed to reminders and news.")
    if changed:
        await queue_reminders(services, only_chat=chat_id)
    text, rows = await settings_screen(context, chat_id)
    await respond(update, f"{intro}\n\n{text}", keyboard(rows))


async def unsubscribe(update: Update, context: BotContext) -> None:
    chat_id = await _managed_chat(update, context)
    if chat_id is None:
        return
    tr = context.tr
    changes = context.services.db.changes
    was = [t for t in PUSH_TOPICS if await changes.set_subscription(chat_id, t, False)]
    group = chat_id < 0
    if was:
        text = (
            tr.pgettext(
                "settings",
                "This group is unsubscribed: no more reminders or news from me here. "
                "Send /subscribe whenever you want them back.",
            )
            if group
            else tr.pgettext(
                "settings",
                "You are unsubscribed: no more reminders or news from me. "
                "Send /subscribe whenever you want them back.",
            )
        )
        again = tr.pgettext("settings", "🔔 Subscribe again")
    else:
        text = (
            tr.pgettext(
                "settings",
                "This group was not subscribed: I send it no reminders and no news. "
                "Would you like them?",
            )
            if group
            else tr.pgettext(
                "settings",
                "You are not subscribed: I send you no reminders and no news. "
                "Would you like them?",
            )
        )
        again = tr.pgettext("settings", "🔔 Subscribe")
    await respond(update, text, keyboard([[(again, MENU.pack("subscribe"))], home_row(tr)]))


async def settings_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    chat_id = await _managed_chat(update, context)  # the chat being configured
    if chat_id is None:
        return
    db = context.services.db
    fields = SETTINGS.unpack(query.data, 2)
    if fields is None:
        await answer_stale(query, context.tr)
        return
    what, value = fields
    if what == "topic" and value in PUSH_TOPICS:
        subscribed = value in await db.settings.subscriptions(chat_id)
        await db.changes.set_subscription(chat_id, value, not subscribed)
        if not subscribed and value == "reminders":
            await queue_reminders(context.services, only_chat=chat_id)
    elif what == "hour" and (hour := parse_int(value, 0, 23)) is not None:
        if (await db.settings.get_settings(chat_id)).reminder_hour == hour:
            await query.answer(
                context.tr.pgettext("settings", "Reminders already come at {hour}:00.").format(
                    hour=f"{hour:02d}"
                )
            )
            return
        await db.changes.update_settings(chat_id, reminder_hour=hour)
    elif what == "silent" and value in ("0", "1"):
        await db.changes.update_settings(chat_id, silent=value == "1")
    elif what == "lang" and value in LANGUAGES:
        context.lang = await context.services.users.choose_language(chat_id, value)
        await refresh_chat_menu(context.bot, context.services, chat_id, value)
    elif what == "show":
        pass
    elif what == "tz" and value in TIMEZONES:
        await change_timezone(
            db,
            chat_id,
            value,
            default=context.services.config.timezone,
            now=context.services.now(),
        )
    elif what == "tzmenu":
        await query.answer()
        current = (await db.settings.get_settings(chat_id)).timezone
        text, rows = timezone_screen(context, current or str(context.services.config.timezone))
        await respond(update, text, keyboard(rows), edit=True)
        return
    else:
        await answer_stale(query, context.tr)
        return
    await query.answer()
    text, rows = await settings_screen(context, chat_id)
    await respond(update, text, keyboard(rows), edit=True)


FEATURE = Feature(
    name="subscriptions",
    commands=(
        Command(
            "subscribe",
            lazy_pgettext("command menu", "Get anniversary reminders and news"),
            subscribe,
            button=lazy_pgettext("main menu", "🔔 Subscribe"),
        ),
        Command(
            "unsubscribe",
            lazy_pgettext("command menu", "Stop reminders and news"),
            unsubscribe,
        ),
        Command(
            "settings",
            lazy_pgettext("command menu", "Reminders, news, time and language"),
            show_settings,
            button=lazy_pgettext("main menu", "⚙️ Settings"),
        ),
        Command(
            "stop",
            lazy_pgettext("command menu", "Stop all messages from the bot"),
            unsubscribe,
            in_menu=False,
        ),
    ),
    callbacks=(SETTINGS,),
    handlers=(CallbackQueryHandler(settings_button, pattern=SETTINGS.pattern),),
)
