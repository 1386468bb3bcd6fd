"""/subscribe, /unsubscribe, /stop and /settings: what is pushed to a user, when, and how."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.callbacks import CallbackData, parse_int
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
    keyboard,
    language_row,
    respond,
)

# Where readers are: Tajikistan and its neighbours, the diaspora in Russia and Europe.
TIMEZONES = (
    "Asia/Dushanbe",
    "Asia/Tashkent",
    "Asia/Almaty",
    "Asia/Bishkek",
    "Europe/Moscow",
    "Europe/Istanbul",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "UTC",
)

SETTINGS = CallbackData("set")


async def settings_screen(context: BotContext, chat_id: int) -> tuple[str, list[list[Button]]]:
    tr = context.tr
    services = context.services
    settings = await services.db.settings.get_settings(chat_id)
    topics = await services.db.settings.subscriptions(chat_id)
    timezone = settings.timezone or str(services.config.timezone)
    on, off = tr.pgettext("settings", "on"), tr.pgettext("settings", "off")
    lines = [
        "<b>{}</b>".format(escape(tr.pgettext("settings", "Your settings"))),
        "",
        tr.pgettext("settings", "Anniversary reminders: {state}").format(
            state=on if "reminders" in topics else off
        ),
        tr.pgettext("settings", "News: {state}").format(state=on if "news" in topics else off),
        tr.pgettext("settings", "Reminder time: {hour}:00 ({timezone})").format(
            hour=f"{settings.reminder_hour:02d}", timezone=escape(timezone)
        ),
        tr.pgettext("settings", "Silent delivery: {state}").format(
            state=on if settings.silent else off
        ),
        tr.pgettext("settings", "Language: {language}").format(
            language=LANGUAGE_NAMES[context.lang]
        ),
        "",
        tr.pgettext("settings", "Tap a button to change a setting."),
    ]
    hour = settings.reminder_hour
    rows: list[list[Button]] = [
        [
            (("✅ " if t in topics else "⬜ ") + tr.lazy(PUSH_TOPIC_LABELS[t]), SETTINGS.pack("topic", t))
            for t in PUSH_TOPICS
        ],
        [
            (f"◀️ {(hour - 1) % 24:02d}:00", SETTINGS.pack("hour", (hour - 1) % 24)),
            (f"⏰ {hour:02d}:00", SETTINGS.pack("hour", hour)),
            (f"{(hour + 1) % 24:02d}:00 ▶️", SETTINGS.pack("hour", (hour + 1) % 24)),
        ],
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
    ]
    return "\n".join(lines), rows


async def _managed_chat(update: Update, context: BotContext) -> int | None:
    """The chat whose settings change (a user's own, or a group's), if the user may."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return None
    if not await can_manage(context.bot, chat, user.id):
        if update.callback_query is not None:
            await update.callback_query.answer(admins_only(context.tr), show_alert=True)
        else:
            await respond(update, admins_only(context.tr))
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
    changed = [t for t in PUSH_TOPICS if await services.db.changes.set_subscription(chat_id, t, True)]
    tr = context.tr
    if changed:
        intro = tr.pgettext(
            "settings",
            "Done! I will send you anniversary reminders and news. "
            "Reminders come at the time set below.",
        )
        await queue_reminders(services, only_chat=chat_id)
    else:
        intro = tr.pgettext("settings", "You are already subscribed to reminders and news.")
    text, rows = await settings_screen(context, chat_id)
    await respond(update, f"{intro}\n\n{text}", keyboard(rows))


async def unsubscribe(update: Update, context: BotContext) -> None:
    chat_id = await _managed_chat(update, context)
    if chat_id is None:
        return
    for topic in PUSH_TOPICS:
        await context.services.db.changes.set_subscription(chat_id, topic, False)
    await respond(
        update,
        context.tr.pgettext(
            "settings",
            "You are unsubscribed: no more reminders or news from me. "
            "Send /subscribe whenever you want them back.",
        ),
    )


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
        await db.changes.update_settings(chat_id, reminder_hour=hour)
    elif what == "silent" and value in ("0", "1"):
        await db.changes.update_settings(chat_id, silent=value == "1")
    elif what == "lang" and value in LANGUAGES:
        context.lang = await context.services.users.choose_language(chat_id, value)
        await refresh_chat_menu(context.bot, context.services, chat_id, value)
    elif what == "tz" and (zone := parse_int(value, 0, len(TIMEZONES) - 1)) is not None:
        await change_timezone(
            db,
            chat_id,
            TIMEZONES[zone],
            default=context.services.config.timezone,
            now=context.services.now(),
        )
    elif what == "tzmenu":
        await query.answer()
        rows = [[(tz, SETTINGS.pack("tz", i))] for i, tz in enumerate(TIMEZONES)]
        text = context.tr.pgettext("settings", "Choose the time zone for your reminders:")
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
