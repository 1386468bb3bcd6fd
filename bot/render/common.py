"""Pieces many messages share, written once: the source footer, dates and spans, "N years ago"."""

from __future__ import annotations

from collections.abc import Iterable

from bot.content.model import Content, Event, Source
from bot.dates import PartialDate
from bot.i18n import Translator
from bot.render.html import escape, escape_attribute


def source_title(tr: Translator, source: Source) -> str:
    """The source's title (a link for web sources) and its date, as HTML."""
    title = escape(source.title[tr.lang])
    if source.url:
        title = f'<a href="{escape_attribute(source.url)}">{title}</a>'
    if source.date:
        return tr.pgettext("content", "{title}, {date}").format(
            title=title, date=escape(tr.date(PartialDate.parse(source.date)))
        )
    return title


def source_line(tr: Translator, source: Source) -> str:
    return tr.pgettext("content", "Source: {title}").format(title=source_title(tr, source))


def source_footer(tr: Translator, content: Content, source_ids: Iterable[str]) -> str:
    """The italic «Source: …» lines closing a message, each source once, in order."""
    unique = list(dict.fromkeys(source_ids))
    return "\n".join(f"<i>{source_line(tr, content.source(s))}</i>" for s in unique)


def event_when(tr: Translator, event: Event) -> str:
    """The event's date, or its span (start – end), in the user's language."""
    until = event.until
    if until is None:
        return tr.date(event.when)
    return tr.span(event.when, until)


def years_ago(tr: Translator, years: int) -> str:
    return tr.npgettext("anniversary", "{n} year ago", "{n} years ago", years).format(n=years)
