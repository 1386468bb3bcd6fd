"""The dated anniversaries of the timeline as an iCalendar (RFC 5545) file, in one language.

Only events known to the day become calendar entries: a source saying "June 1997" gives no
day to put in a calendar. Each is an all-day event repeating every year. The output is
deterministic (fixed DTSTAMP, UIDs from the event ids), so re-importing the file updates
the entries instead of duplicating them, and two builds of the same content are identical.
"""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar
from icalendar import Event as VEvent

from bot.content.model import Content, Event
from bot.i18n import Translator
from bot.render.common import source_line
from bot.render.html import plain_text

PRODID = "-//UN Tajikistan partnership bot//EN"
UID_DOMAIN = "un-tj-bot"
# RFC 5545 wants DTSTAMP in UTC. A constant (not now()) keeps the file byte-for-byte
# reproducible; the entries themselves only change when the content does.
DTSTAMP = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def event_uid(event: Event) -> str:
    """The same for every language and every build, so a re-import replaces, not duplicates."""
    return f"{event.id}@{UID_DOMAIN}"


def calendar_events(content: Content) -> list[Event]:
    """The events with a known day, in content order; month- and year-precise ones never."""
    return [event for event in content.events if event.when.precision == "day"]


def plain_source_line(tr: Translator, content: Content, event: Event) -> str:
    """The «Source: …» line the bot shows, as plain text (the HTML tags removed)."""
    return plain_text(source_line(tr, content.source(event.source)))


def _vevent(tr: Translator, content: Content, event: Event) -> VEvent:
    when = event.when
    assert when.month is not None and when.day is not None
    start = dt.date(when.year, when.month, when.day)
    source = content.source(event.source)
    description = (
        f"{tr.date(when)}\n\n{event.text[tr.lang]}\n\n{plain_source_line(tr, content, event)}"
    )
    if source.url:
        description += f"\n{source.url}"

    vevent = VEvent()
    vevent.add("uid", event_uid(event))
    vevent.add("dtstamp", DTSTAMP)
    vevent.add("dtstart", start)
    vevent.add("dtend", start + dt.timedelta(days=1))
    if (when.month, when.day) == (2, 29):
        # Like the bot's reminders: on 28 February in common years (the last day of February).
        vevent.add("rrule", {"freq": "yearly", "bymonth": 2, "bymonthday": -1})
    else:
        vevent.add("rrule", {"freq": "yearly"})
    # The entry comes back every year: it says which year it recalls.
    summary = tr.pgettext("calendar", "{title} ({year})").format(
        title=event.title[tr.lang], year=when.year
    )
    vevent.add("summary", summary)
    vevent.add("description", description)
    if source.url:
        vevent.add("url", source.url)
    vevent.add("transp", "TRANSPARENT")  # an anniversary does not make anyone busy
    return vevent


def build_calendar(tr: Translator, content: Content) -> bytes:
    """An .ics file with one yearly all-day event per day-precise event, in tr's language."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", tr.pgettext("calendar", "UN and Tajikistan: anniversaries"))
    for event in calendar_events(content):
        calendar.add_component(_vevent(tr, content, event))
    return calendar.to_ical()
