"""Which reminders a day brings, rendered in every language and queued in the outbox.

Keys make queuing idempotent: one push per (kind, event, day), one row per recipient, so
the daily job, the catch-up at start and a new subscriber can all queue without ever
sending one reminder twice to one user for one day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.browse import Anniversary, anniversaries_on
from bot.content.model import Content, Event
from bot.i18n import I18n, Translator
from bot.render.common import source_footer, years_ago
from bot.render.html import escape
from bot.storage import Database
from bot.storage.outbox import Schedule

if TYPE_CHECKING:
    from bot.context import Services

NOTICE_DAYS = 7


@dataclass(frozen=True)
class Queued:
    key: str
    rows: int


def _event_push(tr: Translator, content: Content, emoji: str, headline: str, event: Event) -> str:
    """A pushed message about one event: headline, its text, its source."""
    return "\n".join(
        [
            f"{emoji} <b>{headline}</b>",
            "",
            escape(event.text[tr.lang]),
            "",
            source_footer(tr, content, [event.source]),
        ]
    )


def reminder_text(tr: Translator, content: Content, item: Anniversary) -> str:
    headline = tr.npgettext(
        "reminder",
        "Today, {n} year ago: {title}",
        "Today, {n} years ago: {title}",
        item.years,
    ).format(n=item.years, title=escape(item.event.title[tr.lang]))
    return _event_push(tr, content, "📅", headline, item.event)


def notice_text(tr: Translator, content: Content, item: Anniversary) -> str:
    event = item.event
    assert event.when.month is not None and event.when.day is not None
    headline = tr.npgettext(
        "reminder",
        # The title is not put in quotes: it may hold quotes of its own.
        "In a week, on {day}: {title} — {n} year",
        "In a week, on {day}: {title} — {n} years",
        item.years,
    ).format(
        day=escape(tr.day_month(event.when.month, event.when.day)),
        n=item.years,
        title=escape(event.title[tr.lang]),
    )
    return _event_push(tr, content, "🎉", headline, event)


def month_events(content: Content, year: int, month: int) -> list[Event]:
    """Month-precise events of this month in earlier years (year-precise ones never)."""
    return [
        e
        for e in content.events
        if e.when.precision == "month" and e.when.month == month and e.when.year < year
    ]


def digest_text(
    tr: Translator, content: Content, year: int, month: int, events: list[Event]
) -> str:
    lines = [
        "🗓 <b>{}</b>".format(
            escape(tr.pgettext("reminder", "This month in the history of the partnership"))
        ),
        "",
    ]
    for event in events:
        years = year - event.when.year
        ago = years_ago(tr, years)
        lines.append(
            f"• <b>{escape(tr.date(event.when))}</b> ({escape(ago)}) — {escape(event.title[tr.lang])}"
        )
    lines += ["", source_footer(tr, content, (e.source for e in events))]
    return "\n".join(lines)


def at_hour(day: dt.date, default_tz: ZoneInfo) -> Schedule:
    """Deliver at the recipient's hour on `day`, and not at all once their `day` is over."""

    def schedule(timezone: str | None, hour: int) -> tuple[int, int]:
        tz = ZoneInfo(timezone) if timezone else default_tz
        due = dt.datetime.combine(day, dt.time(hour), tz)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tz)
        return int(due.timestamp()), int(end.timestamp())

    return schedule


async def queue_day(
    db: Database,
    i18n: I18n,
    content: Content,
    day: dt.date,
    default_tz: ZoneInfo,
    *,
    only_chat: int | None = None,
) -> list[Queued]:
    """Queue everything `day` brings: reminders, round-anniversary notices, the month digest."""
    schedule = at_hour(day, default_tz)
    queued: list[Queued] = []

    async def queue(key: str, texts: dict[str, str]) -> None:
        _, rows = await db.outbox.queue(
            key, "reminders", texts, schedule=schedule, only_chat=only_chat
        )
        queued.append(Queued(key, rows))

    for item in anniversaries_on(content, day):
        texts = {tr.lang: reminder_text(tr, content, item) for tr in i18n.all()}
        await queue(f"reminder:{item.event.id}:{day.isoformat()}", texts)
    ahead = day + dt.timedelta(days=NOTICE_DAYS)
    for item in anniversaries_on(content, ahead):
        if item.round:
            texts = {tr.lang: notice_text(tr, content, item) for tr in i18n.all()}
            await queue(f"notice:{item.event.id}:{ahead.isoformat()}", texts)
    if day.day == 1:
        events = month_events(content, day.year, day.month)
        if events:
            texts = {
                tr.lang: digest_text(tr, content, day.year, day.month, events) for tr in i18n.all()
            }
            await queue(f"digest:{day.year:04d}-{day.month:02d}", texts)
    return queued


async def queue_reminders(services: Services, only_chat: int | None = None) -> list[Queued]:
    """Queue what today brings (idempotent) and wake the sender."""
    queued = await queue_day(
        services.db,
        services.i18n,
        services.content.current,
        services.today(),
        services.config.timezone,
        only_chat=only_chat,
    )
    if services.sender is not None:
        services.sender.wake()
    return queued
