"""/today (what happened on this day) and /next (the coming anniversaries with a countdown)."""

from __future__ import annotations

from telegram import Update

from bot.browse import Anniversary, anniversaries_on, upcoming
from bot.context import BotContext
from bot.features import Command, Feature
from bot.feedback import rating_rows
from bot.i18n import Translator, lazy_pgettext
from bot.render.common import years_ago
from bot.render.html import escape
from bot.render.items import render_event
from bot.ui import keyboard, respond

UPCOMING_COUNT = 7


def countdown(tr: Translator, days: int) -> str:
    if days == 1:
        return tr.pgettext("anniversary", "tomorrow")
    return tr.npgettext("anniversary", "in {n} day", "in {n} days", days).format(n=tr.number(days))


def upcoming_line(tr: Translator, item: Anniversary) -> str:
    when = item.event.when
    assert when.month is not None and when.day is not None
    line = tr.npgettext(
        "anniversary",
        "{countdown}, {day}: {n} year since “{title}”",
        "{countdown}, {day}: {n} years since “{title}”",
        item.years,
    ).format(
        countdown=escape(countdown(tr, item.days_left)),
        day=escape(tr.day_month(when.month, when.day)),
        n=item.years,
        title=escape(item.event.title[tr.lang]),
    )
    return ("🎉 " if item.round else "📅 ") + line


async def today(update: Update, context: BotContext) -> None:
    tr = context.tr
    services = context.services
    content = services.content.current
    day = services.today()
    found = anniversaries_on(content, day)
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
        await respond(update, "\n\n".join(parts), keyboard(rating) if rating else None)
        return
    text = tr.pgettext("anniversary", "Nothing in the timeline happened on {day}.").format(
        day=escape(tr.day_month(day.month, day.day))
    )
    nearest = upcoming(content, day, 1)
    if nearest:
        text += (
            "\n\n"
            + tr.pgettext("anniversary", "The nearest anniversary:")
            + "\n"
            + upcoming_line(tr, nearest[0])
        )
    await respond(update, text)


async def next_anniversaries(update: Update, context: BotContext) -> None:
    tr = context.tr
    services = context.services
    items = upcoming(services.content.current, services.today(), UPCOMING_COUNT)
    if not items:
        await respond(
            update, tr.pgettext("anniversary", "No dated anniversaries in the timeline yet.")
        )
        return
    lines = [tr.pgettext("anniversary", "<b>Coming anniversaries</b>"), ""]
    lines += [upcoming_line(tr, item) for item in items]
    if any(item.round for item in items):
        lines += ["", tr.pgettext("anniversary", "🎉 marks a round anniversary.")]
    await respond(update, "\n".join(lines))


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
)
