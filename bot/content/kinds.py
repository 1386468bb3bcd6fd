"""Every kind of content, declared once: its file, its fields and how they are checked,
and, for the kinds people open, how it is rendered, titled and searched.

The loader, the validator, the renderer, search and the benchmarks all read this registry,
so a new kind is one declaration here plus its data file.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content.checks import Checker, has_figure, normalize
from bot.content.model import (
    FACT_TOPICS,
    SEEDS_SUBDIR,
    Agency,
    Contact,
    Content,
    Event,
    Fact,
    Period,
    Source,
    Term,
)
from bot.dates import PartialDate
from bot.i18n import Translator
from bot.languages import LANGUAGES
from bot.render import items as render

Raw = dict[str, Any]


@dataclass
class Known:
    """What earlier kinds established, for the checks of later ones."""

    seeds_dir: Path
    seed_texts: dict[str, str] = field(default_factory=dict)  # source id → its seed's text
    ids: dict[str, set[str]] = field(default_factory=dict)  # kind → ids read
    periods: list[tuple[int, int | None]] = field(default_factory=list)  # (from, to) years


@dataclass(frozen=True)
class SearchTexts:
    """What the search index holds of an item in one language."""

    titles: list[str]  # ranked above the body
    bodies: list[str]
    keys: list[str] = field(default_factory=list)  # acronyms, found as whole keys
    dates: tuple[PartialDate | None, ...] = ()  # found by year, month and day


Build = Callable[[Known, Checker, Raw, str], Any | None]
Whole = Callable[[Known, Checker, list[Any]], list[Any]]
Render = Callable[[Translator, Content, Any], str]
Search = Callable[[Content, Any, str], SearchTexts]


@dataclass(frozen=True)
class Shown:
    """How a kind that people open (commands, inline results, deep links) is shown."""

    render: Render  # the whole item, as a message
    title: Render  # one plain-text line naming it
    description: Render  # one plain-text line describing it
    search: Search  # what the index holds of an item in one language


@dataclass(frozen=True)
class Kind:
    name: str  # also the TOML table name: [[event]]
    file: str
    model: type
    fields: frozenset[str]  # besides id
    build: Build
    whole: Whole | None = None  # checks across a file's items (order, overlaps)
    # For the kinds people open (commands, inline results, deep links):
    render: Render | None = None
    title: Render | None = None
    description: Render | None = None
    shown: Shown | None = None  # None: referred to, never opened (sources, periods, terms)


# -- checks shared by several kinds --------------------------------------------------------------


def _source(known: Known, ch: Checker, raw: Raw, i: str) -> tuple[str, tuple[str, ...]]:
    source = ch.string(raw, i, "source") or ""
    quotes = ch.quotes(raw, i)
    if source and source not in known.ids.get("source", set()):
        ch.problem(i, "source", f"unknown source {source!r} (see sources.toml)")
    elif source in known.seed_texts:
        if not quotes:
            ch.problem(i, "quote", f"is missing: quote the sentence of {source} it rests on")
        for q in quotes:
            if normalize(q) not in known.seed_texts[source]:
                ch.problem(i, "quote", f"not found in the seed file of {source}: {q[:60]!r}…")
    return source, quotes


def _topic(ch: Checker, raw: Raw, i: str) -> str:
    topic = raw.get("topic")
    if topic not in FACT_TOPICS:
        ch.problem(i, "topic", f"{topic!r} is not one of {', '.join(FACT_TOPICS)}")
        return FACT_TOPICS[0]
    return str(topic)


# -- each kind's fields --------------------------------------------------------------------------


def build_source(known: Known, ch: Checker, raw: Raw, i: str) -> Source | None:
    file, url = ch.string(raw, i, "file", False), ch.string(raw, i, "url", False)
    if (file is None) == (url is None):
        ch.problem(i, "file/url", "give exactly one: a seed file name or a public URL")
    if file is not None:
        path = known.seeds_dir / file
        if "/" in file or not path.is_file():
            ch.problem(i, "file", f"no seed file {file!r} in content/{SEEDS_SUBDIR}/")
        else:
            known.seed_texts[i] = normalize(path.read_text(encoding="utf-8"))
    if url is not None and not re.match(r"^https?://[^\s/]+\.[^\s]+$", url):
        ch.problem(i, "url", f"{url!r} is not an http(s) URL")
    return Source(i, ch.texts(raw, i, "title"), file, url, ch.date(raw, i, "date", False))


def build_period(known: Known, ch: Checker, raw: Raw, i: str) -> Period | None:
    start, end = raw.get("from"), raw.get("to")
    if not isinstance(start, int) or not 1900 <= start <= 2200:
        ch.problem(i, "from", "must be a year, e.g. from = 1992")
        return None
    if end is not None and (not isinstance(end, int) or end < start):
        ch.problem(i, "to", "must be a year not before 'from' (or left out)")
        return None
    return Period(i, start, end, ch.texts(raw, i, "title"))


def periods_in_order(known: Known, ch: Checker, periods: list[Period]) -> list[Period]:
    periods = sorted(periods, key=lambda p: p.start)
    for a, b in itertools.pairwise(periods):
        if a.end is None or a.end >= b.start:
            ch.problem(b.id, "from", f"overlaps period {a.id!r}")
    known.periods = [(p.start, p.end) for p in periods]
    return periods


def build_event(known: Known, ch: Checker, raw: Raw, i: str) -> Event | None:
    date, end = ch.date(raw, i, "date"), ch.date(raw, i, "end", False)
    if date and end and PartialDate.parse(end).first_day() < PartialDate.parse(date).first_day():
        ch.problem(i, "end", "is before the date")
    topic = _topic(ch, raw, i)
    title, text = ch.texts(raw, i, "title"), ch.texts(raw, i, "text")
    source, quotes = _source(known, ch, raw, i)
    if not date:
        return None
    return Event(i, date, topic, title, text, source, quotes, end)


def build_fact(known: Known, ch: Checker, raw: Raw, i: str) -> Fact | None:
    topic = _topic(ch, raw, i)
    text = ch.texts(raw, i, "text")
    as_of = ch.date(raw, i, "as_of", False)
    featured = raw.get("featured", False)
    if not isinstance(featured, bool):
        ch.problem(i, "featured", "must be true or false")
    if any(has_figure(t) for t in text.values()) and not as_of:
        ch.problem(i, "as_of", "the text has a figure: say what date it is as of")
    if as_of:
        year = as_of[:4]
        for lang, t in text.items():
            if year not in t:
                ch.problem(
                    i, f"text.{lang}", f"has as_of = {as_of!r}: say 'as of {year}' in the text"
                )
    source, quotes = _source(known, ch, raw, i)
    return Fact(i, topic, text, source, quotes, as_of, bool(featured))


def build_agency(known: Known, ch: Checker, raw: Raw, i: str) -> Agency | None:
    texts = {n: ch.texts(raw, i, n) for n in ("acronym", "name", "profile")}
    since = ch.date(raw, i, "since", False)
    source, quotes = _source(known, ch, raw, i)
    return Agency(i, texts["acronym"], texts["name"], texts["profile"], source, quotes, since)


def build_contact(known: Known, ch: Checker, raw: Raw, i: str) -> Contact | None:
    agency = ch.string(raw, i, "agency") or ""
    if agency and agency not in known.ids.get("agency", set()):
        ch.problem(i, "agency", f"unknown agency {agency!r} (see agencies.toml)")
    name, role = ch.texts(raw, i, "name"), ch.texts(raw, i, "role")
    source, quotes = _source(known, ch, raw, i)
    return Contact(i, agency, name, role, source, quotes)


def build_term(known: Known, ch: Checker, raw: Raw, i: str) -> Term | None:
    text = ch.texts({"t": {k: raw.get(k) for k in LANGUAGES if k in raw}}, i, "t")
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        ch.problem(i, "aliases", 'must be a list of texts in quotes, e.g. ["ЮНМОТ"]')
        aliases = []
    return Term(i, text, ch.string(raw, i, "source", False), tuple(a.strip() for a in aliases))


def events_in_periods(known: Known, ch: Checker, events: list[Event]) -> list[Event]:
    """Every event falls in a period (the periods are read before the events)."""
    spans = known.periods
    for event in events:
        year = event.when.year
        if spans and not any(a <= year and (b is None or year <= b) for a, b in spans):
            ch.problem(event.id, "date", "falls in no period of periods.toml")
    return events


# -- what search indexes of the kinds people open: (texts, keys) in one language ----------------


def event_search(content: Content, event: Event, lang: str) -> SearchTexts:
    return SearchTexts([event.title[lang]], [event.text[lang]], dates=(event.when, event.until))


def fact_search(content: Content, fact: Fact, lang: str) -> SearchTexts:
    return SearchTexts([], [fact.text[lang]])


def agency_search(content: Content, agency: Agency, lang: str) -> SearchTexts:
    return SearchTexts(
        [agency.acronym[lang], agency.name[lang]],
        [agency.profile[lang]],
        [agency.acronym[x] for x in LANGUAGES],
    )


# What people add to an agency's name when they want its focal point: «контакты ЮНИСЕФ»,
# «тамоси UNICEF», "unicef phone" (folded; query words meet them through their stems).
CONTACT_WORDS = "контакт телефон почта тамос contact phone email"


def contact_search(content: Content, contact: Contact, lang: str) -> SearchTexts:
    """The agency's acronyms and the words for a contact are keys: "unicef contacts" ranks
    the focal point first, not four events that name UNICEF."""
    agency = content.get("agency", contact.agency)
    acronyms = [agency.acronym[x] for x in LANGUAGES] if agency else []
    return SearchTexts([contact.name[lang]], [contact.role[lang]], [*acronyms, CONTACT_WORDS])


def period_search(content: Content, period: Period, lang: str) -> SearchTexts:
    return SearchTexts([period.title[lang]], [])


def _fields(*names: str) -> frozenset[str]:
    return frozenset(names)


# In reading order: a kind may refer only to kinds above it.
KINDS: tuple[Kind, ...] = (
    Kind("source", "sources.toml", Source, _fields("title", "file", "url", "date"), build_source),
    Kind(
        "period",
        "periods.toml",
        Period,
        _fields("from", "to", "title"),
        build_period,
        whole=periods_in_order,
        shown=Shown(
            render.render_period, render.period_title, render.period_description, period_search
        ),
    ),
    Kind(
        "event",
        "events.toml",
        Event,
        _fields("date", "end", "topic", "title", "text", "source", "quote"),
        build_event,
        whole=events_in_periods,
        shown=Shown(
            render.render_event, render.event_title, render.event_description, event_search
        ),
    ),
    Kind(
        "fact",
        "facts.toml",
        Fact,
        _fields("topic", "text", "as_of", "featured", "source", "quote"),
        build_fact,
        shown=Shown(render.render_fact, render.fact_title, render.fact_description, fact_search),
    ),
    Kind(
        "agency",
        "agencies.toml",
        Agency,
        _fields("acronym", "name", "profile", "since", "source", "quote"),
        build_agency,
        shown=Shown(
            render.render_agency, render.agency_title, render.agency_description, agency_search
        ),
    ),
    Kind(
        "contact",
        "contacts.toml",
        Contact,
        _fields("agency", "name", "role", "source", "quote"),
        build_contact,
        shown=Shown(
            render.render_contact, render.contact_title, render.contact_description, contact_search
        ),
    ),
    Kind(
        "term",
        "glossary.toml",
        Term,
        _fields("ru", "tg", "en", "source", "note", "aliases"),
        build_term,
    ),
)
BY_NAME = {kind.name: kind for kind in KINDS}
SHOWN = {kind.name: kind.shown for kind in KINDS if kind.shown is not None}


def shown(kind: str) -> Shown:
    found = SHOWN.get(kind)
    if found is None:
        raise ValueError(f"{kind!r} is not a kind people open")
    return found


def render_item(tr: Translator, content: Content, kind: str, item: Any) -> str:
    return shown(kind).render(tr, content, item)


def item_title(tr: Translator, content: Content, kind: str, item: Any) -> str:
    return shown(kind).title(tr, content, item)


def item_description(tr: Translator, content: Content, kind: str, item: Any) -> str:
    return shown(kind).description(tr, content, item)


def render_deep_link(tr: Translator, content: Content, payload: str) -> str | None:
    """The item a t.me/<bot>?start=<kind>_<id> link points at, rendered; None if unknown."""
    kind, _, item_id = payload.partition("_")
    item = content.get(kind, item_id) if kind in SHOWN else None
    return render_item(tr, content, kind, item) if item is not None else None
