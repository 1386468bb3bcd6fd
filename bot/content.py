"""The content store: TOML files in content/, validated, loaded into SQLite, served from there.

Validation collects every problem (file, item id, field, what is wrong) before anything is
loaded, so a bad file never starts a bot that serves half of it. Loading replaces the whole
store in one transaction; the in-memory snapshot is then rebuilt from SQLite, so what the
bot serves is exactly what the database holds.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from bot.dates import PartialDate
from bot.i18n import LANGUAGES
from bot.storage import ContentRow, Database

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
SEEDS_SUBDIR = "seeds"
TOPICS = ("peace", "water", "development", "refugees", "un")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_MESSAGE = 4096
Texts = dict[str, str]

FILES = {
    "source": "sources.toml",
    "period": "periods.toml",
    "event": "events.toml",
    "fact": "facts.toml",
    "agency": "agencies.toml",
    "contact": "contacts.toml",
    "term": "glossary.toml",
}


@dataclass(frozen=True)
class Problem:
    file: str
    item: str
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file + (f" [{self.item}]" if self.item else "")
        return f"{where} {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ContentError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Source:
    id: str
    title: Texts
    file: str | None = None
    url: str | None = None
    date: str | None = None


@dataclass(frozen=True)
class Period:
    id: str
    start: int
    end: int | None
    title: Texts


@dataclass(frozen=True)
class Event:
    id: str
    date: str
    topic: str
    title: Texts
    text: Texts
    source: str
    quote: tuple[str, ...] = ()
    end: str | None = None

    @property
    def when(self) -> PartialDate:
        return PartialDate.parse(self.date)

    @property
    def until(self) -> PartialDate | None:
        return PartialDate.parse(self.end) if self.end else None


@dataclass(frozen=True)
class Fact:
    id: str
    topic: str
    text: Texts
    source: str
    quote: tuple[str, ...] = ()
    as_of: str | None = None
    featured: bool = False


@dataclass(frozen=True)
class Agency:
    id: str
    acronym: Texts
    name: Texts
    profile: Texts
    source: str
    quote: tuple[str, ...] = ()
    since: str | None = None


@dataclass(frozen=True)
class Contact:
    id: str
    agency: str
    name: Texts
    role: Texts
    source: str
    quote: tuple[str, ...] = ()


@dataclass(frozen=True)
class Term:
    id: str
    text: Texts
    source: str | None = None
    aliases: tuple[str, ...] = ()  # other abbreviations and spellings people search by


@dataclass(frozen=True)
class Content:
    sources: tuple[Source, ...] = ()
    periods: tuple[Period, ...] = ()
    events: tuple[Event, ...] = ()
    facts: tuple[Fact, ...] = ()
    agencies: tuple[Agency, ...] = ()
    contacts: tuple[Contact, ...] = ()
    terms: tuple[Term, ...] = ()
    _index: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for kind, items in self.by_kind().items():
            for item in items:
                self._index[(kind, item.id)] = item

    def by_kind(self) -> dict[str, tuple[Any, ...]]:
        return {
            "source": self.sources,
            "period": self.periods,
            "event": self.events,
            "fact": self.facts,
            "agency": self.agencies,
            "contact": self.contacts,
            "term": self.terms,
        }

    def get(self, kind: str, item_id: str) -> Any | None:
        return self._index.get((kind, item_id))

    def source(self, source_id: str) -> Source:
        return self._index[("source", source_id)]

    def counts(self) -> dict[str, int]:
        return {kind: len(items) for kind, items in self.by_kind().items()}

    def period_of(self, event: Event) -> Period | None:
        year = event.when.year
        for period in self.periods:
            if period.start <= year and (period.end is None or year <= period.end):
                return period
        return None


# -- reading and validating ------------------------------------------------------------------


class _Checker:
    """Collects problems while turning raw TOML tables into typed items."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, item: str, field_name: str, message: str) -> None:
        self.problems.append(Problem(self.file, item, field_name, message))

    def texts(self, raw: dict[str, Any], item: str, name: str, required: bool = True) -> Texts:
        value = raw.get(name)
        if value is None:
            if required:
                self.problem(item, name, "is missing (give it in ru, tg and en)")
            return {}
        if not isinstance(value, dict):
            self.problem(item, name, f'must be a table of ru, tg and en, e.g. {name}.ru = "…"')
            return {}
        texts: Texts = {}
        for lang in LANGUAGES:
            text = value.get(lang)
            if text is None:
                self.problem(item, f"{name}.{lang}", "is missing")
            elif not isinstance(text, str):
                self.problem(item, f"{name}.{lang}", "must be text in quotes")
            elif not text.strip():
                self.problem(item, f"{name}.{lang}", "is empty")
            else:
                markup = _markup_problem(text)
                if markup:
                    self.problem(item, f"{name}.{lang}", markup)
                texts[lang] = " ".join(text.split()) if "\n" not in text.strip() else text.strip()
        for extra in sorted(set(value) - set(LANGUAGES)):
            self.problem(item, f"{name}.{extra}", "unknown language (use ru, tg and en)")
        return texts

    def string(
        self, raw: dict[str, Any], item: str, name: str, required: bool = True
    ) -> str | None:
        value = raw.get(name)
        if value is None:
            if required:
                self.problem(item, name, "is missing")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(item, name, "must be non-empty text in quotes")
            return None
        return value.strip()

    def date(self, raw: dict[str, Any], item: str, name: str, required: bool = True) -> str | None:
        value = raw.get(name)
        if value is None:
            if required:
                self.problem(item, name, "is missing")
            return None
        if not isinstance(value, str):
            self.problem(item, name, 'must be a date in quotes: "1992-03-02", "1997-06" or "1993"')
            return None
        try:
            return str(PartialDate.parse(value))
        except ValueError as exc:
            self.problem(item, name, str(exc))
            return None

    def quotes(self, raw: dict[str, Any], item: str) -> tuple[str, ...]:
        value = raw.get("quote")
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(q, str) and q.strip() for q in value):
            self.problem(item, "quote", "must be text, or a list of texts, copied from the source")
            return ()
        return tuple(q.strip() for q in value)


class _TagFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(f"</{tag}>")


def _markup_problem(text: str) -> str | None:
    finder = _TagFinder()
    finder.feed(text)
    finder.close()
    if finder.tags:
        return (
            f"contains HTML markup {finder.tags[0]!r}: content is plain text "
            "(the bot formats and escapes it), remove the tags"
        )
    return None


_FIGURE = re.compile(
    r"\d{1,3}(?:[ ,\u00a0\u202f]\d{3})+"  # 3,000 · 26 000
    r"|\d+(?:[.,]\d+)?\s?%"  # 12 %
    r"|\d+\s*(?:million|billion|млн|млрд|миллион|миллиард)"  # 368 million
    r"|\b(?!(?:19|20)\d\d\b)\d{4,}\b",  # 3000, but not a year such as 1992
    re.IGNORECASE,
)


def has_figure(text: str) -> bool:
    """A number that goes stale (a count, an amount, a share), as opposed to a date."""
    return bool(_FIGURE.search(text))


def _normalize(text: str) -> str:
    return " ".join(text.split())


def _read_toml(path: Path, kind: str, checker: _Checker) -> list[dict[str, Any]]:
    if not path.exists():
        checker.problem("", "", "file is missing")
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        checker.problem("", "", "is not UTF-8 text")
        return []
    except tomllib.TOMLDecodeError as exc:
        checker.problem("", "", f"is not valid TOML: {exc}")
        return []
    unknown = sorted(set(data) - {kind})
    if unknown:
        checker.problem("", "", f"unexpected top-level key(s) {unknown}; items are [[{kind}]]")
    items = data.get(kind, [])
    if not isinstance(items, list):
        checker.problem("", "", f"items must be written as [[{kind}]] tables")
        return []
    return items


def _parse_items(
    raw_items: list[dict[str, Any]],
    checker: _Checker,
    allowed: set[str],
    build: Callable[[dict[str, Any], str], Any | None],
) -> list[Any]:
    items: list[Any] = []
    seen: set[str] = set()
    for position, raw in enumerate(raw_items, start=1):
        raw_id = raw.get("id")
        label = raw_id if isinstance(raw_id, str) and raw_id else f"item #{position}"
        if not isinstance(raw_id, str) or not ID_RE.match(raw_id):
            checker.problem(
                label,
                "id",
                "is missing or invalid (lowercase letters, digits and '-', at most 40)",
            )
            continue
        if raw_id in seen:
            checker.problem(raw_id, "id", "duplicate id (ids must be unique within the file)")
            continue
        seen.add(raw_id)
        for extra in sorted(set(raw) - allowed - {"id"}):
            checker.problem(raw_id, extra, "unknown field")
        item = build(raw, raw_id)
        if item is not None:
            items.append(item)
    return items


def read_content(content_dir: Path = CONTENT_DIR) -> Content:
    """Read and validate every content file; raise ContentError listing all problems."""
    problems: list[Problem] = []
    seeds_dir = content_dir / SEEDS_SUBDIR
    seed_texts: dict[str, str] = {}

    def checker_for(kind: str) -> tuple[_Checker, list[dict[str, Any]]]:
        checker = _Checker(FILES[kind])
        raw = _read_toml(content_dir / FILES[kind], kind, checker)
        return checker, raw

    # sources
    c, raw = checker_for("source")

    def build_source(r: dict[str, Any], i: str) -> Source | None:
        file, url = c.string(r, i, "file", False), c.string(r, i, "url", False)
        if (file is None) == (url is None):
            c.problem(i, "file/url", "give exactly one: a seed file name or a public URL")
        if file is not None:
            path = seeds_dir / file
            if "/" in file or not path.is_file():
                c.problem(i, "file", f"no seed file {file!r} in content/{SEEDS_SUBDIR}/")
            else:
                seed_texts[i] = _normalize(path.read_text(encoding="utf-8"))
        if url is not None and not re.match(r"^https?://[^\s/]+\.[^\s]+$", url):
            c.problem(i, "url", f"{url!r} is not an http(s) URL")
        return Source(i, c.texts(r, i, "title"), file, url, c.date(r, i, "date", False))

    sources = _parse_items(raw, c, {"title", "file", "url", "date"}, build_source)
    problems += c.problems
    source_ids = {s.id for s in sources}

    def check_source(ch: _Checker, r: dict[str, Any], i: str) -> tuple[str, tuple[str, ...]]:
        source = ch.string(r, i, "source") or ""
        quotes = ch.quotes(r, i)
        if source and source not in source_ids:
            ch.problem(i, "source", f"unknown source {source!r} (see sources.toml)")
        elif source in seed_texts:
            if not quotes:
                ch.problem(i, "quote", f"is missing: quote the sentence of {source} it rests on")
            for q in quotes:
                if _normalize(q) not in seed_texts[source]:
                    ch.problem(i, "quote", f"not found in the seed file of {source}: {q[:60]!r}…")
        return source, quotes

    def check_topic(ch: _Checker, r: dict[str, Any], i: str) -> str:
        topic = r.get("topic")
        if topic not in TOPICS:
            ch.problem(i, "topic", f"{topic!r} is not one of {', '.join(TOPICS)}")
            return TOPICS[0]
        return str(topic)

    # periods
    c, raw = checker_for("period")

    def build_period(r: dict[str, Any], i: str) -> Period | None:
        start, end = r.get("from"), r.get("to")
        if not isinstance(start, int) or not 1900 <= start <= 2200:
            c.problem(i, "from", "must be a year, e.g. from = 1992")
            return None
        if end is not None and (not isinstance(end, int) or end < start):
            c.problem(i, "to", "must be a year not before 'from' (or left out)")
            return None
        return Period(i, start, end, c.texts(r, i, "title"))

    periods = sorted(
        _parse_items(raw, c, {"from", "to", "title"}, build_period), key=lambda p: p.start
    )
    for a, b in itertools.pairwise(periods):
        if a.end is None or a.end >= b.start:
            c.problem(b.id, "from", f"overlaps period {a.id!r}")
    problems += c.problems

    # events
    c, raw = checker_for("event")

    def build_event(r: dict[str, Any], i: str) -> Event | None:
        date, end = c.date(r, i, "date"), c.date(r, i, "end", False)
        if (
            date
            and end
            and PartialDate.parse(end).first_day() < PartialDate.parse(date).first_day()
        ):
            c.problem(i, "end", "is before the date")
        topic = check_topic(c, r, i)
        title, text = c.texts(r, i, "title"), c.texts(r, i, "text")
        source, quotes = check_source(c, r, i)
        if not date:
            return None
        return Event(i, date, topic, title, text, source, quotes, end)

    events = _parse_items(
        raw, c, {"date", "end", "topic", "title", "text", "source", "quote"}, build_event
    )
    problems += c.problems
    for event in events:
        year = event.when.year
        if periods and not any(
            p.start <= year and (p.end is None or year <= p.end) for p in periods
        ):
            problems.append(
                Problem(FILES["event"], event.id, "date", "falls in no period of periods.toml")
            )

    # facts
    c, raw = checker_for("fact")

    def build_fact(r: dict[str, Any], i: str) -> Fact | None:
        topic = check_topic(c, r, i)
        text = c.texts(r, i, "text")
        as_of = c.date(r, i, "as_of", False)
        featured = r.get("featured", False)
        if not isinstance(featured, bool):
            c.problem(i, "featured", "must be true or false")
        if any(has_figure(t) for t in text.values()) and not as_of:
            c.problem(i, "as_of", "the text has a figure: say what date it is as of")
        if as_of:
            year = as_of[:4]
            for lang, t in text.items():
                if year not in t:
                    c.problem(
                        i, f"text.{lang}", f"has as_of = {as_of!r}: say 'as of {year}' in the text"
                    )
        source, quotes = check_source(c, r, i)
        return Fact(i, topic, text, source, quotes, as_of, bool(featured))

    facts = _parse_items(
        raw, c, {"topic", "text", "as_of", "featured", "source", "quote"}, build_fact
    )
    problems += c.problems

    # agencies
    c, raw = checker_for("agency")

    def build_agency(r: dict[str, Any], i: str) -> Agency | None:
        texts = {n: c.texts(r, i, n) for n in ("acronym", "name", "profile")}
        since = c.date(r, i, "since", False)
        source, quotes = check_source(c, r, i)
        return Agency(i, texts["acronym"], texts["name"], texts["profile"], source, quotes, since)

    agencies = _parse_items(
        raw, c, {"acronym", "name", "profile", "since", "source", "quote"}, build_agency
    )
    problems += c.problems
    agency_ids = {a.id for a in agencies}

    # contacts
    c, raw = checker_for("contact")

    def build_contact(r: dict[str, Any], i: str) -> Contact | None:
        agency = c.string(r, i, "agency") or ""
        if agency and agency not in agency_ids:
            c.problem(i, "agency", f"unknown agency {agency!r} (see agencies.toml)")
        name, role = c.texts(r, i, "name"), c.texts(r, i, "role")
        source, quotes = check_source(c, r, i)
        return Contact(i, agency, name, role, source, quotes)

    contacts = _parse_items(raw, c, {"agency", "name", "role", "source", "quote"}, build_contact)
    problems += c.problems

    # glossary
    c, raw = checker_for("term")

    def build_term(r: dict[str, Any], i: str) -> Term | None:
        text = c.texts({"t": {k: r.get(k) for k in LANGUAGES if k in r}}, i, "t")
        source = c.string(r, i, "source", False)
        aliases = r.get("aliases", [])
        if not isinstance(aliases, list) or not all(
            isinstance(a, str) and a.strip() for a in aliases
        ):
            c.problem(i, "aliases", 'must be a list of texts in quotes, e.g. ["ЮНМОТ"]')
            aliases = []
        return Term(i, text, source, tuple(a.strip() for a in aliases))

    terms = _parse_items(raw, c, {"ru", "tg", "en", "source", "note", "aliases"}, build_term)
    problems += c.problems

    if problems:
        raise ContentError(problems)
    content = Content(
        tuple(sources),
        tuple(periods),
        tuple(events),
        tuple(facts),
        tuple(agencies),
        tuple(contacts),
        tuple(terms),
    )
    problems = _check_rendered(content)
    if problems:
        raise ContentError(problems)
    return content


def _check_rendered(content: Content) -> list[Problem]:
    """Every item, rendered as the bot sends it, must fit one Telegram message."""
    from bot.i18n import I18n
    from bot.render import render_item
    from bot.ui import plain_text

    i18n = I18n()
    problems = []
    for kind in ("event", "fact", "agency", "contact"):
        for item in content.by_kind()[kind]:
            for tr in i18n.all():
                visible = len(plain_text(render_item(tr, content, kind, item)))
                if visible > MAX_MESSAGE:
                    problems.append(
                        Problem(
                            FILES[kind],
                            item.id,
                            tr.lang,
                            f"rendered message is {visible} characters, "
                            f"over Telegram's limit of {MAX_MESSAGE}",
                        )
                    )
    return problems


# -- SQLite ------------------------------------------------------------------------------------


def to_rows(content: Content) -> Iterable[ContentRow]:
    for kind, items in content.by_kind().items():
        for position, item in enumerate(items):
            topic = getattr(item, "topic", None)
            date, month, day, period = None, None, None, None
            if isinstance(item, Event):
                date = item.date
                month, day = item.when.month, item.when.day
                found = content.period_of(item)
                period = found.id if found else None
            body = json.dumps(asdict(item), ensure_ascii=False)
            yield ContentRow(kind, item.id, position, topic, period, date, month, day, body)


_TYPES: dict[str, type] = {
    "source": Source,
    "period": Period,
    "event": Event,
    "fact": Fact,
    "agency": Agency,
    "contact": Contact,
    "term": Term,
}


def from_rows(rows_by_kind: dict[str, list[ContentRow]]) -> Content:
    def build(kind: str) -> tuple[Any, ...]:
        items = []
        for row in rows_by_kind.get(kind, []):
            data = json.loads(row.body)
            for name in ("quote", "aliases"):
                if name in data:
                    data[name] = tuple(data[name])
            items.append(_TYPES[kind](**data))
        return tuple(items)

    return Content(
        build("source"),
        build("period"),
        build("event"),
        build("fact"),
        build("agency"),
        build("contact"),
        build("term"),
    )


def _read_and_index(content_dir: Path) -> tuple[Content, list[tuple[str, ...]], Any]:
    """Validation, search documents and their vocabulary, off the event loop (seconds for
    large content)."""
    from bot.search import build_index

    content = read_content(content_dir)
    docs, vocabulary = build_index(content)
    return content, docs, vocabulary


class ContentStore:
    """The content currently served. Swapped as a whole, so readers see old or new, never half."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.current = Content()
        self.version = ""

    async def load(self, content_dir: Path = CONTENT_DIR) -> Content:
        """Validate the files, replace the store in SQLite, then serve what SQLite holds.

        Raises ContentError and changes nothing when any file is invalid.
        """
        import asyncio

        from bot.search import set_vocabulary

        content, docs, vocabulary = await asyncio.to_thread(_read_and_index, content_dir)
        counts = Counter({kind: len(items) for kind, items in content.by_kind().items()})
        await self._db.replace_content(to_rows(content), {"counts": json.dumps(counts)}, docs)
        set_vocabulary(self._db, vocabulary)
        rows = {kind: await self._db.content_items(kind) for kind in FILES}
        self.current = from_rows(rows)
        digest = hashlib.sha256()
        for kind in FILES:
            for row in rows[kind]:
                digest.update(row.body.encode())
        self.version = digest.hexdigest()[:16]  # names caches of what is rendered from it
        return self.current

    def counts(self) -> dict[str, int]:
        return self.current.counts()
