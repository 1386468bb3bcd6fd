"""What the bot knows, as typed items: sources, periods, events, facts, agencies, contacts,
glossary terms. Every text is a table of ru, tg and en."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from bot.dates import PartialDate

CONTENT_DIR = Path(__file__).resolve().parent.parent.parent / "content"
SEEDS_SUBDIR = "seeds"
FACT_TOPICS = ("peace", "water", "development", "refugees", "un")  # /facts groups by these
Texts = dict[str, str]


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
    """All items by kind name (see bot.content.kinds), in file order."""

    items: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    _index: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for kind, items in self.items.items():
            for item in items:
                self._index[(kind, item.id)] = item

    def of(self, kind: str) -> tuple[Any, ...]:
        return self.items.get(kind, ())

    def get(self, kind: str, item_id: str) -> Any | None:
        return self._index.get((kind, item_id))

    def source(self, source_id: str) -> Source:
        return self._index[("source", source_id)]

    def counts(self) -> dict[str, int]:
        return {kind: len(items) for kind, items in self.items.items()}

    def texts(self) -> Iterator[tuple[str, str, str, str, str]]:
        """(kind, item id, field, language, text) of every text in every language: what the
        checks of wording (glossary names, corrections) read."""
        for kind, items in self.items.items():
            for item in items:
                for name in (f.name for f in fields(item)):
                    value = getattr(item, name)
                    if isinstance(value, dict):
                        for lang, text in value.items():
                            yield kind, item.id, name, lang, text

    def period_of(self, event: Event) -> Period | None:
        year = event.when.year
        for period in self.periods:
            if period.start <= year and (period.end is None or year <= period.end):
                return period
        return None

    # The kinds every part of the bot knows by name; a new kind needs none of these.
    @property
    def sources(self) -> tuple[Source, ...]:
        return self.of("source")

    @property
    def periods(self) -> tuple[Period, ...]:
        return self.of("period")

    @property
    def events(self) -> tuple[Event, ...]:
        return self.of("event")

    @property
    def facts(self) -> tuple[Fact, ...]:
        return self.of("fact")

    @property
    def agencies(self) -> tuple[Agency, ...]:
        return self.of("agency")

    @property
    def contacts(self) -> tuple[Contact, ...]:
        return self.of("contact")

    @property
    def terms(self) -> tuple[Term, ...]:
        return self.of("term")
