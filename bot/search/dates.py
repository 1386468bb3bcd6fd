"""Dates in queries («2 марта», "2 March", «2 март», "1997-06", "June 1997") and the keys
an event is indexed under, so that a date finds that date's events first."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.dates import PartialDate
from bot.search.text import fold

# Folded beginnings of month names in Russian, Tajik and English (and their short forms);
# a word is a month when it starts with one and is no longer than the name plus an ending.
_MONTHS: tuple[tuple[str, ...], ...] = (
    ("январ", "jan"),
    ("феврал", "feb"),
    ("март", "mar"),
    ("апрел", "apr"),
    ("ма", "may"),
    ("июн", "jun"),
    ("июл", "jul"),
    ("август", "aug"),
    ("сентябр", "sep"),
    ("октябр", "oct"),
    ("ноябр", "nov"),
    ("декабр", "dec"),
)
_FULL = {  # where a beginning alone would also start other words (decade, marked …)
    "ма": ("май", "мая", "мае", "маи", "майи"),
    "jan": ("jan", "january"),
    "feb": ("feb", "february"),
    "mar": ("mar", "march"),
    "apr": ("apr", "april"),
    "may": ("may",),
    "jun": ("jun", "june"),
    "jul": ("jul", "july"),
    "aug": ("aug", "august"),
    "sep": ("sep", "sept", "september"),
    "oct": ("oct", "october"),
    "nov": ("nov", "november"),
    "dec": ("dec", "december"),
}
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\b")


def month_of(word: str) -> int | None:
    word = fold(word)
    for number, names in enumerate(_MONTHS, start=1):
        for name in names:
            if name in _FULL:
                if word in _FULL[name]:
                    return number
            elif word.startswith(name) and len(word) <= len(name) + 6:
                return number
    return None


def day_month_key(month: int, day: int) -> str:
    return f"dm{month:02d}{day:02d}"


def year_month_key(year: int, month: int) -> str:
    return f"ym{year}{month:02d}"


def event_keys(*dates: PartialDate | None) -> list[str]:
    """The keys an event is found by: its years, year-months and day-months."""
    keys: list[str] = []
    for date in dates:
        if date is None:
            continue
        keys.append(str(date.year))
        if date.month:
            keys.append(year_month_key(date.year, date.month))
            if date.day:
                keys.append(day_month_key(date.month, date.day))
    return keys


@dataclass(frozen=True)
class DateQuery:
    """One date found in a query: the key it matches and the query words it used."""

    key: str
    words: tuple[str, ...]


def find_dates(query: str, words: list[str]) -> tuple[list[DateQuery], set[int]]:
    """Dates among the query's words (and ISO dates in its text); the word positions used."""
    found: list[DateQuery] = []
    used: set[int] = set()
    for match in _ISO.finditer(query):
        year, month, day = int(match[1]), int(match[2]), match[3]
        if 1 <= month <= 12:
            found.append(DateQuery(year_month_key(year, month), ()))
            if day and 1 <= int(day) <= 31:
                found.append(DateQuery(day_month_key(month, int(day)), ()))
            digits = {match[1], match[2], day}
            used |= {i for i, w in enumerate(words) if w in digits}
    for i, word in enumerate(words):
        named = month_of(word) if i not in used else None
        if named is None:
            continue
        month = named
        for j in (i - 1, i + 1):  # a day before or after the month: «2 марта», "March 2"
            if 0 <= j < len(words) and j not in used and words[j].isdigit():
                day = int(words[j])
                if 1 <= day <= 31:
                    found.append(DateQuery(day_month_key(month, day), (words[j], word)))
                    used |= {i, j}
                    break
        else:
            for j in (i + 1, i - 1):  # a year next to the month: "June 1997", «июня 1997»
                if 0 <= j < len(words) and j not in used and _is_year(words[j]):
                    found.append(DateQuery(year_month_key(int(words[j]), month), (word, words[j])))
                    used |= {i, j}
                    break
    return found, used


def _is_year(word: str) -> bool:
    return word.isdigit() and len(word) == 4 and 1900 <= int(word) <= 2100
