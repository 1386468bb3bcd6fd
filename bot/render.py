"""Content items rendered as Telegram HTML in one language, each ending with its source.

All content is plain text and escaped here; only our own templates add markup.
"""

from __future__ import annotations

import html
from typing import Any

from bot.content import Agency, Contact, Content, Event, Fact, Period, Source
from bot.dates import PartialDate
from bot.i18n import Translator
from bot.ui import escape


def source_title(tr: Translator, source: Source) -> str:
    """The source's title (a link for web sources) and its date, as HTML."""
    title = escape(source.title[tr.lang])
    if source.url:
        title = f'<a href="{html.escape(source.url, quote=True)}">{title}</a>'
    if source.date:
        return tr.pgettext("content", "{title}, {date}").format(
            title=title, date=escape(tr.date(PartialDate.parse(source.date)))
        )
    return title


def source_line(tr: Translator, source: Source) -> str:
    return tr.pgettext("content", "Source: {title}").format(title=source_title(tr, source))


def event_when(tr: Translator, event: Event) -> str:
    until = event.until
    if until is None:
        return tr.date(event.when)
    return tr.pgettext("content", "{start} – {end}").format(
        start=tr.date(event.when), end=tr.date(until)
    )


def render_event(tr: Translator, content: Content, event: Event) -> str:
    return "\n".join(
        [
            f"📅 <b>{escape(event_when(tr, event))}</b>",
            f"<b>{escape(event.title[tr.lang])}</b>",
            escape(event.text[tr.lang]),
            "",
            f"<i>{source_line(tr, content.source(event.source))}</i>",
        ]
    )


def render_fact(tr: Translator, content: Content, fact: Fact) -> str:
    # The text itself says what date its figures are as of (the loader checks it).
    lines = [f"💡 {escape(fact.text[tr.lang])}"]
    lines += ["", f"<i>{source_line(tr, content.source(fact.source))}</i>"]
    return "\n".join(lines)


def render_agency(tr: Translator, content: Content, agency: Agency) -> str:
    lines = [f"🇺🇳 <b>{escape(agency.acronym[tr.lang])}</b> — {escape(agency.name[tr.lang])}"]
    if agency.since:
        lines.append(
            tr.pgettext("content", "Working in Tajikistan since {date}.").format(
                date=escape(tr.date(PartialDate.parse(agency.since)))
            )
        )
    lines += [escape(agency.profile[tr.lang]), ""]
    lines.append(f"<i>{source_line(tr, content.source(agency.source))}</i>")
    return "\n".join(lines)


def render_contact(tr: Translator, content: Content, contact: Contact) -> str:
    agency = content.get("agency", contact.agency)
    lines = [f"👤 <b>{escape(contact.name[tr.lang])}</b>", escape(contact.role[tr.lang])]
    if agency is not None:
        lines.append(f"🇺🇳 {escape(agency.acronym[tr.lang])} — {escape(agency.name[tr.lang])}")
    lines += ["", f"<i>{source_line(tr, content.source(contact.source))}</i>"]
    return "\n".join(lines)


PERIOD_EVENTS = 12  # events listed under a period found by search; /history has them all


def period_span(tr: Translator, period: Period) -> str:
    if period.end:
        return f"{period.start}–{period.end}"
    return tr.pgettext("history", "{start} and beyond").format(start=period.start)


def render_period(tr: Translator, content: Content, period: Period) -> str:
    from bot.browse import events_in_period

    events = events_in_period(content, period)
    lines = [
        f"🗓 <b>{escape(period_span(tr, period))}</b>",
        f"<b>{escape(period.title[tr.lang])}</b>",
    ]
    lines.append("")
    for event in events[:PERIOD_EVENTS]:
        lines.append(f"• {escape(event_when(tr, event))} — {escape(event.title[tr.lang])}")
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


KINDS = ("event", "fact", "agency", "contact", "period")


def render_deep_link(tr: Translator, content: Content, payload: str) -> str | None:
    """The item a t.me/<bot>?start=<kind>_<id> link points at, rendered; None if unknown."""
    kind, _, item_id = payload.partition("_")
    item = content.get(kind, item_id) if kind in KINDS else None
    return render_item(tr, content, kind, item) if item is not None else None


def render_item(tr: Translator, content: Content, kind: str, item: Any) -> str:
    renderers = {
        "event": render_event,
        "fact": render_fact,
        "agency": render_agency,
        "contact": render_contact,
        "period": render_period,
    }
    return renderers[kind](tr, content, item)


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip(" ,.;:") + "…"


def item_title(tr: Translator, content: Content, kind: str, item: Any) -> str:
    """One plain-text line naming an item (inline results, search lists)."""
    if kind == "event":
        return f"{event_when(tr, item)} — {item.title[tr.lang]}"
    if kind == "fact":
        return shorten(item.text[tr.lang], 90)
    if kind == "agency":
        return f"{item.acronym[tr.lang]} — {item.name[tr.lang]}"
    if kind == "contact":
        agency = content.get("agency", item.agency)
        suffix = f" ({agency.acronym[tr.lang]})" if agency else ""
        return f"{item.name[tr.lang]}{suffix}"
    if kind == "period":
        return f"{period_span(tr, item)} — {item.title[tr.lang]}"
    raise ValueError(kind)


def item_description(tr: Translator, content: Content, kind: str, item: Any) -> str:
    if kind == "event":
        return shorten(item.text[tr.lang], 120)
    if kind == "fact":
        return shorten(content.source(item.source).title[tr.lang], 120)
    if kind == "agency":
        return shorten(item.profile[tr.lang], 120)
    if kind == "contact":
        return shorten(item.role[tr.lang], 120)
    if kind == "period":
        from bot.browse import events_in_period

        titles = [e.title[tr.lang] for e in events_in_period(content, item)[:4]]
        return shorten("; ".join(titles), 120)
    raise ValueError(kind)
