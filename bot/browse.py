"""What the browsing commands show, computed without Telegram: pages, anniversaries, countdowns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.content.model import Content, Event, Fact, Period
from bot.dates import anniversary_in

if TYPE_CHECKING:
    from bot.context import Services

PAGE_LIMIT = 3500  # visible characters per page: room under 4096 for headers and sources


def paginate(
    chunks: Sequence[str],
    limit: int = PAGE_LIMIT,
    separator: str = "\n\n",
    max_items: int = 4,
) -> list[str]:
    """Pack chunks into pages of at most `limit` characters and `max_items` chunks (a
    screenful on a phone), never splitting a chunk."""
    pages: list[str] = []
    current: list[str] = []
    size = 0
    for chunk in chunks:
        extra = len(chunk) + (len(separator) if current else 0)
        if current and (size + extra > limit or len(current) >= max_items):
            pages.append(separator.join(current))
            current, size = [], 0
            extra = len(chunk)
        current.append(chunk)
        size += extra
    if current:
        pages.append(separator.join(current))
    return pages


def facts_by_topic(content: Content, topic: str) -> list[Fact]:
    return [f for f in content.facts if f.topic == topic]


def events_in_period(content: Content, period: Period) -> list[Event]:
    events = [e for e in content.events if content.period_of(e) == period]
    return sorted(events, key=lambda e: (e.when.first_day(), e.when.precision != "year"))


def is_round(years: int) -> bool:
    """5, 10, 15, 20, 25, 30 … years: the anniversaries worth a notice ahead."""
    return years > 0 and years % 5 == 0


@dataclass(frozen=True)
class Anniversary:
    event: Event
    date: dt.date  # the day it falls on
    years: int
    days_left: int

    @property
    def round(self) -> bool:
        return is_round(self.years)


def _day_events(content: Content) -> list[Event]:
    return [e for e in content.events if e.when.precision == "day"]


def anniversaries_on(content: Content, day: dt.date) -> list[Anniversary]:
    """Day-precise events whose anniversary is `day` (not the event's own first day)."""
    found = []
    for event in _day_events(content):
        when = event.when
        assert when.month is not None and when.day is not None
        if anniversary_in(day.year, when.month, when.day) == day and day.year > when.year:
            found.append(Anniversary(event, day, day.year - when.year, 0))
    return found


def upcoming(content: Content, today: dt.date, count: int = 7) -> list[Anniversary]:
    """The next anniversaries after today (today's are /today's business), nearest first."""
    found = []
    for event in _day_events(content):
        when = event.when
        assert when.month is not None and when.day is not None
        date = anniversary_in(today.year, when.month, when.day)
        if date <= today:
            date = anniversary_in(today.year + 1, when.month, when.day)
        years = date.year - when.year
        if years > 0:
            found.append(Anniversary(event, date, years, (date - today).days))
    found.sort(key=lambda a: (a.days_left, a.event.id))
    return found[:count]


async def chat_zone(services: Services, chat_id: int | None) -> ZoneInfo:
    """The chat's own time zone: its setting (while it is a zone this machine knows), else
    the bot's."""
    if chat_id is not None:
        chosen = (await services.db.settings.get_settings(chat_id)).timezone
        if chosen:
            try:
                return ZoneInfo(chosen)
            except (ValueError, KeyError):
                pass
    return services.config.timezone


async def chat_now(services: Services, chat_id: int | None) -> dt.datetime:
    """Now in the chat's own time zone: "today", "in N days" and "N years ago" are counted
    from the date the chat's people have on their clocks."""
    return services.clock().astimezone(await chat_zone(services, chat_id))


async def chat_today(services: Services, chat_id: int | None) -> dt.date:
    return (await chat_now(services, chat_id)).date()
