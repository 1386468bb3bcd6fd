"""/today (what happened on this day) and /next (the coming anniversaries with a countdown).

Both count from the chat's own date (its time zone), and both end with what to do next:
open an event, subscribe, or go back to the main menu.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.browse import Anniversary, anniversaries_on, chat_today, upcoming
from bot.callbacks import MENU, CallbackData
from bot.context import BotContext
from bot.features import Command, Feature
from bot.feedback import rating_rows
from bot.groups import can_manage
from bot.i18n import Translator, lazy_pgettext
from bot.render.common import years_ago
from bot.render.html import escape
from bot.render.items import render_event
from bot.ui import Button, answer_stale, home_row, keyboard, respond

UPCOMING_COUNT = 7
EVENT = CallbackData("ann")  # ann:<event id>: open one anniversary's event


def countdown(tr: Translator, days: int) -> str:
    if days == 1:
        return tr.pgettext("anniversary", "tomorrow")
    return tr.npgettext("anniversary", "in {n} day", "in {n} days", days).format(n=tr.number(days))


def upcoming_line(tr: Translator, item: Anniversary, number: int | None = None) -> str:
    when = item.event.when
    assert when.month is not None and when.day is not None
    # The title is not put in quotes: it may hold quotes of its own.
    line = tr.npgettext(
        "anniversary",
        "{countdown}, {day}: {title} — {n} year",
        "{countdown}, {day}: {title} — {n} years",
        item.years,
    ).format(
        countdown=escape(countdown(tr, item.days_left)),
        day=escape(tr.day_month(when.month, when.day)),
        n=item.years,
        title=escape(item.event.title[tr.lang]),
    )
    mark = "🎉" if item.round else "📅"
    return f"{number}. {mark} {line}" if number is not None else f"{mark} {line}"


async def next_steps(update: Update, context: BotContext, *first: Button) -> list[list[Button]]:
    """Subscribe (or the settings, once subscribed) and the main menu; in a group, the
    subscription only for the admins who can change it."""
    tr = context.tr
    chat, user = update.effective_chat, update.effective_user
    rows: list[list[Button]] = [list(first)] if first else []
    may = chat is not None and user is not None and await can_manage(context.bot, chat, user.id)
    if may and chat is not None:
        if await context.services.db.settings.subscriptions(chat.id):
            rows.append(
                [(tr.pgettext("anniversary", "⚙️ Reminder settings"), MENU.pack("settings"))]
            )
        else:
            rows.append(
                [
                    (
                        tr.pgettext("anniversary", "🔔 Subscribe to reminders and news"),
                        MENU.pack("subscribe"),
                    )
                ]
            )
    rows.append(home_row(tr))
    return rows


def open_buttons(items: list[Anniversary]) -> list[list[Button]]:
    buttons = [(str(n), EVENT.pack(item.event.id)) for n, item in enumerate(items, start=1)]
    return [buttons[i : i + 4] for i in range(0, len(buttons), 4)]


async def today(update: Update, context: BotContext) -> None:
    tr = context.tr
    services = context.services
    content = services.content.current
    chat = update.effective_chat
    day = await chat_today(services, chat.id if chat else None)
    found = anniversaries_on(content, day)
    coming = (tr.pgettext("anniversary", "⏳ Coming anniversaries"), MENU.pack("next"))
    if found:
        header = tr.pgettext("anniversary", "<b>On this day, {day}</b>").format(
            day=escape(tr.day_month(day.month, day.day))
        )
        parts = [header]
        for item in found:
            ago = escape(years_ago(tr, item.years))
            parts.append(f"<b>{ago}</b>\n{render_event(tr, content, item.event)}")
        user = update.effective_user
        rating = await rating_rows(
            services, user.id if user else None, [("event", a.event.id) for a in found]
        )
        steps = [*(rating or []), *await next_steps(update, context, coming)]
        await respond(update, "\n\n".join(parts), keyboard(steps))
        return
    text = tr.pgettext("anniversary", "Nothing in the timeline happened on {day}.").format(
        day=escape(tr.day_month(day.month, day.day))
    )
    nearest = upcoming(content, day, 1)
    rows: list[list[Button]] = []
    if nearest:
        text += (
            "\n\n"
            + tr.pgettext("anniversary", "The nearest anniversary:")
            + "\n"
            + upcoming_line(tr, nearest[0])
        )
        rows.append(
            [(tr.pgettext("anniversary", "📖 Read about it"), EVENT.pack(nearest[0].event.id))]
        )
    rows += await next_steps(update, context, coming)
    await respond(update, text, keyboard(rows))


async def next_anniversaries(update: Update, context: BotContext) -> None:
    tr = context.tr
    services = context.services
    chat = update.effective_chat
    day = await chat_today(services, chat.id if chat else None)
    items = upcoming(services.content.current, day, UPCOMING_COUNT)
    if not items:
        await respond(
            update,
            tr.pgettext("anniversary", "No dated anniversaries in the timeline yet."),
            keyboard([home_row(tr)]),
        )
        return
    lines = [tr.pgettext("anniversary", "<b>Coming anniversaries</b>"), ""]
    lines += [upcoming_line(tr, item, n) for n, item in enumerate(items, start=1)]
    if any(item.round for item in items):
        lines += ["", tr.pgettext("anniversary", "🎉 marks a round anniversary.")]
    lines += ["", tr.pgettext("anniversary", "Press a number to read about the event.")]
    rows = open_buttons(items) + await next_steps(update, context)
    await respond(update, "\n".join(lines), keyboard(rows))


async def open_event(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    tr = context.tr
    content = context.services.content.current
    fields = EVENT.unpack(query.data, 1)
    event = content.get("event", fields[0]) if fields else None
    if event is None:
        await answer_stale(query, tr)
        return
    await query.answer()
    back = (tr.pgettext("anniversary", "⏳ Coming anniversaries"), MENU.pack("next"))
    rows = await next_steps(update, context, back)
    await respond(update, render_event(tr, content, event), keyboard(rows))


FEATURE = Feature(
    name="anniversaries",
    commands=(
        Command(
            "today",
            lazy_pgettext("command menu", "What happened on this day"),
            today,
            button=lazy_pgettext("main menu", "🗓 On this day"),
        ),
        Command(
            "next",
            lazy_pgettext("command menu", "Coming anniversaries with a countdown"),
            next_anniversaries,
            button=lazy_pgettext("main menu", "⏳ Anniversaries"),
        ),
    ),
    callbacks=(EVENT,),
    handlers=(CallbackQueryHandler(open_event, pattern=EVENT.pattern),),
)
