"""Dates that keep their precision: a source saying "June 1997" never becomes 1 June 1997."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

Precision = Literal["day", "month", "year"]
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True, slots=True, order=True)
class PartialDate:
    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Parse "1992-03-02", "1997-06" or "1993"; raise ValueError saying what is wrong."""
        match = _DATE_RE.match(text.strip()) if isinstance(text, str) else None
        if not match:
            raise ValueError(
                f"{text!r} is not a date: write YYYY-MM-DD, YYYY-MM or YYYY (e.g. 1992-03-02)"
            )
        year, month, day = (int(g) if g else None for g in match.groups())
        assert year is not None
        if month is not None and not 1 <= month <= 12:
            raise ValueError(f"{text!r}: there is no month {month}")
        if day is not None:
            try:
                dt.date(year, month or 1, day)
            except ValueError:
                raise ValueError(f"{text!r} is not a real day of the calendar") from None
        return cls(year, month, day)

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return "day"
        return "month" if self.month is not None else "year"

    def first_day(self) -> dt.date:
        """The earliest calendar day the date can mean (for ordering and comparisons only)."""
        return dt.date(self.year, self.month or 1, self.day or 1)

    def __str__(self) -> str:
        if self.day is not None:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month is not None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"


def anniversary_in(year: int, month: int, day: int) -> dt.date:
    """The anniversary of a day in a given year; 29 February falls on 28 February."""
    try:
        return dt.date(year, month, day)
    except ValueError:
        return dt.date(year, month, day - 1)
