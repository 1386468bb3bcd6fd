"""Content items rendered as Telegram HTML in one language, each ending with its source.

All content is plain text and escaped here; only our own templates add markup.
"""

from __future__ import annotations

from bot.browse import events_in_period
from bot.content.model import Agency, Contact, Content, Event, Fact, Period
from bot.dates import PartialDate
from bot.i18n import Translator, fill
from bot.render.common import event_when, source_footer
from bot.render.html import escape


def render_event(tr: Translator, content: Content, event: Event) -> str:
    return "\n".join(
        [
            f"📅 <b>{escape(event_when(tr, event))}</b>",
            f"<b>{escape(event.title[tr.lang])}</b>",
            escape(event.text[tr.lang]),
            "",
            source_footer(tr, content, [event.source]),
        ]
    )


def render_fact(tr: Translator, content: Content, fact: Fact) -> str:
    # The text itself says what date its figures are as of (the loader checks it).
    return "\n".join(
        [f"💡 {escape(fact.text[tr.lang])}", "", source_footer(tr, content, [fact.source])]
    )


def render_agency(tr: Translator, content: Content, agency: Agency) -> str:
    lines = [f"🇺🇳 <b>{escape(agency.acronym[tr.lang])}</b> — {escape(agency.name[tr.lang])}"]
    if agency.since:
        lines.append(
            fill(
                tr.pgettext("content", "Working in Tajikistan since {date}."),
                date=escape(tr.date(PartialDate.parse(agency.since))),
            )
        )
    lines += [escape(agency.profile[tr.lang]), "", source_footer(tr, content, [agency.source])]
    return "\n".join(lines)


def render_contact(tr: Translator, content: Content, contact: Contact) -> str:
    agency = content.get("agency", contact.agency)
    lines = [f"👤 <b>{escape(contact.name[tr.lang])}</b>", escape(contact.role[tr.lang])]
    if agency is not None:
        lines.append(f"🇺🇳 {escape(agency.acronym[tr.lang])} — {escape(agency.name[tr.lang])}")
    lines += ["", source_footer(tr, content, [contact.source])]
    return "\n".join(lines)


PERIOD_EVENTS = 12  # events listed under a period found by search; /history has them all


def period_span(tr: Translator, period: Period) -> str:
    if period.end:
        return f"{period.start}–{period.end}"
    return tr.pgettext("history", "{start} and beyond").format(start=period.start)


def render_period(tr: Translator, content: Content, period: Period) -> str:
    events = events_in_period(content, period)
    lines = [
        f"🗓 <b>{escape(period_span(tr, period))}</b>",
        f"<b>{escape(period.title[tr.lang])}</b>",
        "",
    ]
    lines += [
        f"• {escape(event_when(tr, e))} — {escape(e.title[tr.lang])}"
        for e in events[:PERIOD_EVENTS]
    ]
    if len(events) > PERIOD_EVENTS:
        more = len(events) - PERIOD_EVENTS
        lines.append(
            escape(
                tr.npgettext(
                    "timeline", "and {count} more event", "and {count} more events", more
                ).format(count=more)
            )
        )
    return "\n".join(lines)


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip(" ,.;:") + "…"


# One plain-text line naming an item, and one describing it (inline results, search lists).


def event_title(tr: Translator, content: Content, event: Event) -> str:
    return f"{event_when(tr, event)} — {event.title[tr.lang]}"


def event_description(tr: Translator, content: Content, event: Event) -> str:
    return shorten(event.text[tr.lang], 120)


def fact_title(tr: Translator, content: Content, fact: Fact) -> str:
    return shorten(fact.text[tr.lang], 90)


def fact_description(tr: Translator, content: Content, fact: Fact) -> str:
    return shorten(content.source(fact.source).title[tr.lang], 120)


def agency_title(tr: Translator, content: Content, agency: Agency) -> str:
    return f"{agency.acronym[tr.lang]} — {agency.name[tr.lang]}"


def agency_description(tr: Translator, content: Content, agency: Agency) -> str:
    return shorten(agency.profile[tr.lang], 120)


def contact_title(tr: Translator, content: Content, contact: Contact) -> str:
    agency = content.get("agency", contact.agency)
    suffix = f" ({agency.acronym[tr.lang]})" if agency else ""
    return f"{contact.name[tr.lang]}{suffix}"


def contact_description(tr: Translator, content: Content, contact: Contact) -> str:
    return shorten(contact.role[tr.lang], 120)


def period_title(tr: Translator, content: Content, period: Period) -> str:
    return f"{period_span(tr, period)} — {period.title[tr.lang]}"


def period_description(tr: Translator, content: Content, period: Period) -> str:
    titles = [e.title[tr.lang] for e in events_in_period(content, period)[:4]]
    return shorten("; ".join(titles), 120)
