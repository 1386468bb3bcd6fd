"""Typed callback data: "prefix:field:…" built and read in one place per kind of button.

Each feature declares the prefixes it owns (Feature.callbacks); bot.app checks at start that
no two features claim the same one, as it does for command names, so a new feature cannot
silently shadow another's buttons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64  # Telegram's limit for callback data
_PREFIX = re.compile(r"^[a-z][a-z0-9_]{0,15}$")


@dataclass(frozen=True)
class CallbackData:
    prefix: str

    def __post_init__(self) -> None:
        if not _PREFIX.match(self.prefix):
            raise ValueError(f"invalid callback prefix {self.prefix!r}")

    @property
    def pattern(self) -> str:
        """For CallbackQueryHandler: this prefix's buttons and no other's."""
        return rf"^{re.escape(self.prefix)}(:|$)"

    def pattern_for(self, *values: object) -> str:
        """Only the buttons whose first fields are these values."""
        return rf"^{re.escape(self.pack(*values))}(:|$)"

    def pack(self, *values: object) -> str:
        data = ":".join([self.prefix, *(str(v) for v in values)])
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    def unpack(self, data: str | None, parts: int) -> list[str] | None:
        """The fields of "prefix:a:b"; None for anything forged or from an old release."""
        if not data or not data.startswith(self.prefix + ":"):
            return None
        fields = data.split(":")[1:]
        return fields if len(fields) == parts else None


_INTEGER = re.compile(r"-?[0-9]{1,19}")
INT64 = 2**63 - 1


def parse_int(text: str | None, low: int = 0, high: int = INT64) -> int | None:
    """The number `text` spells in ASCII digits (with an optional minus), if within
    [low, high]; None for anything else. str.isdigit() admits '²' and '①', which int()
    refuses, so a check and a parse must be this one function."""
    if text is None or not _INTEGER.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


MENU = CallbackData("cmd")  # the main menu's buttons: cmd:<command name>
LANGUAGE = CallbackData("lang")  # the language buttons, shown by several screens


def check_unique(owners: dict[str, list[CallbackData]]) -> None:
    """Raise if two owners (features) declare the same prefix."""
    seen: dict[str, str] = {}
    for owner, declared in owners.items():
        for data in declared:
            if data.prefix in seen:
                raise ValueError(
                    f"callback prefix {data.prefix!r} declared by {seen[data.prefix]!r} "
                    f"and {owner!r}"
                )
            seen[data.prefix] = owner
