"""Translations (gettext catalogs in locales/) and locale-aware formatting of dates and numbers.

Catalogs are compiled from the committed .po files: a fresh .mo is used when present and
newer, otherwise the .po is compiled in memory at start, so a checkout runs as it is.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from babel.dates import format_date as babel_format_date
from babel.dates import get_month_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from bot.dates import PartialDate
from bot.languages import DEFAULT_LANGUAGE, LANGUAGES

DOMAIN = "messages"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
# English dates in UN house style ("2 March 1992"), hence the British locale data.
BABEL_LOCALES = {"ru": "ru", "tg": "tg", "en": "en_GB"}
LANGUAGE_NAMES = {"ru": "Русский", "tg": "Тоҷикӣ", "en": "English"}
LANGUAGE_FLAGS = {"ru": "🇷🇺", "tg": "🇹🇯", "en": "🇬🇧"}

log = logging.getLogger(__name__)


class Lazy(NamedTuple):
    """A message marked for translation where no user's language is known yet."""

    context: str
    message: str


def lazy_pgettext(context: str, message: str) -> Lazy:
    return Lazy(context, message)


def resolve_language(chosen: str | None, telegram_code: str | None) -> str:
    """The chosen language; else Telegram's language if we speak it; else Russian."""
    if chosen in LANGUAGES:
        return chosen
    if telegram_code:
        base = telegram_code.replace("_", "-").split("-")[0].lower()
        if base in LANGUAGES:
            return base
    return DEFAULT_LANGUAGE


def _load_catalog(lang: str, locales_dir: Path) -> Translations:
    folder = locales_dir / lang / "LC_MESSAGES"
    po_path, mo_path = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo_path.exists() and (
        not po_path.exists() or mo_path.stat().st_mtime >= po_path.stat().st_mtime
    ):
        with mo_path.open("rb") as fp:
            return Translations(fp, domain=DOMAIN)
    if not po_path.exists():
        raise FileNotFoundError(f"no catalog for {lang!r}: {po_path} is missing")
    with po_path.open("rb") as fp:
        catalog = read_po(fp, locale=BABEL_LOCALES[lang].split("_")[0])
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


@dataclass(frozen=True)
class Translator:
    """Everything language-dependent for one language: messages, dates, numbers."""

    lang: str
    translations: Translations

    # Every message has a context (the screen it is on), for the translators.
    def pgettext(self, context: str, message: str) -> str:
        return str(self.translations.pgettext(context, message))

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return str(self.translations.npgettext(context, singular, plural, n))

    def lazy(self, text: Lazy) -> str:
        return self.pgettext(text.context, text.message)

    @property
    def babel_locale(self) -> str:
        return BABEL_LOCALES[self.lang]

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.babel_locale)

    def date(self, value: PartialDate) -> str:
        """A date shown with its own precision: «2 марта 1992 г.», "June 1997", «соли 1993»."""
        if self.lang == "tg":
            return _tajik_date(value)
        if value.precision == "day":
            pattern = "d MMMM y 'г.'" if self.lang == "ru" else "d MMMM y"
        elif value.precision == "month":
            pattern = "LLLL y 'г.'" if self.lang == "ru" else "LLLL y"
        else:
            pattern = "y 'г.'" if self.lang == "ru" else "y"
        return babel_format_date(value.first_day(), pattern, locale=self.babel_locale)

    def day_month(self, month: int, day: int) -> str:
        """A day of the year without a year: «2 марта», "2 March", «2 март»."""
        if self.lang == "tg":  # standalone: nominative, no izofat («2 март»)
            return f"{day} {get_month_names('wide', locale='tg')[month].lower()}"
        return babel_format_date(
            PartialDate(2000, month, day).first_day(), "d MMMM", locale=self.babel_locale
        )


def _tajik_month(month: int) -> str:
    # CLDR gives the nominative, capitalised ("Март"); running Tajik text uses the
    # lower-case month with the izofat "-и": «2 марти 1992».
    return get_month_names("wide", locale="tg")[month].lower() + "и"


def _tajik_date(value: PartialDate) -> str:
    if value.day is not None and value.month is not None:
        return f"{value.day} {_tajik_month(value.month)} {value.year}"
    if value.month is not None:
        return f"{_tajik_month(value.month)} {value.year}"
    return f"соли {value.year}"


class I18n:
    def __init__(self, locales_dir: Path = LOCALES_DIR) -> None:
        self._translators = {
            lang: Translator(lang, _load_catalog(lang, locales_dir)) for lang in LANGUAGES
        }

    def __call__(self, lang: str) -> Translator:
        return self._translators.get(lang) or self._translators[DEFAULT_LANGUAGE]

    def all(self) -> list[Translator]:
        return [self._translators[lang] for lang in LANGUAGES]
