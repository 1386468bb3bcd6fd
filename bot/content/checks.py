"""Turning raw TOML tables into typed items while collecting every problem: file, item id,
field, what is wrong. Nothing is loaded until no problem is left."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from bot.dates import PartialDate
from bot.languages import LANGUAGES

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
Texts = dict[str, str]


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


class Checker:
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


def normalize(text: str) -> str:
    return " ".join(text.split())


def read_toml(path: Path, kind: str, checker: Checker) -> list[dict[str, Any]]:
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


def parse_items(
    raw_items: list[dict[str, Any]],
    checker: Checker,
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
