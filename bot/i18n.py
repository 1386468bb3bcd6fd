"""Translations (gettext catalogs in locales/) and locale-aware formatting of dates and numbers.

Catalogs are compiled from the committed .po files: a fresh .mo is used when present and
newer, otherwise the .po is compiled in memory at start, so a checkout runs as it is.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import get_month_names, get_timezone, get_timezone_location
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
# Each language by its own name: the language picker, a channel's language, the settings.
LANGUAGE_NAMES = {"ru": "Русский", "tg": "Тоҷикӣ", "en": "English"}
LANGUAGE_FLAGS = {"ru": "🇷🇺", "tg": "🇹🇯", "en": "🇬🇧"}

log = logging.getLogger(__name__)


class Lazy(NamedTuple):
    """A message marked for translation where no user's language is known yet."""

    context: str
    message: str


def lazy_pgettext(context: str, message: str) -> Lazy:
    return Lazy(context, message)


# A language named inside a sentence of another one (the staff's /post, /stats): in the
# reader's language and in the form the sentence needs («таджикский», «на таджикском»).
_LANGUAGE_IN_TEXT = {
    "ru": lazy_pgettext("language name", "Russian"),
    "tg": lazy_pgettext("language name", "Tajik"),
    "en": lazy_pgettext("language name", "English"),
}
_IN_LANGUAGE = {
    "ru": lazy_pgettext("language name", "in Russian"),
    "tg": lazy_pgettext("language name", "in Tajik"),
    "en": lazy_pgettext("language name", "in English"),
}


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

    def language(self, code: str, capital: bool = False) -> str:
        """A language as this one names it in running text («таджикский», «тоҷикӣ»);
        capital for a button or the start of a line («Таджикский»)."""
        name = self.lazy(_LANGUAGE_IN_TEXT[code])
        return name[:1].upper() + name[1:] if capital else name

    def in_language(self, code: str) -> str:
        """ "in Tajik", «на таджикском», «бо забони тоҷикӣ»: what a text is written in."""
        return self.lazy(_IN_LANGUAGE[code])

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

    def span(self, start: PartialDate, end: PartialDate) -> str:
        """A span written once: «22–24 марта 2023 г.», «2005–2015 гг.», "22–24 March 2023",
        «22–24 марти соли 2023», «солҳои 2005–2015»; the shared part is not repeated."""
        compact = _compact_span(self.lang, start, end)
        if compact is not None:
            return compact
        return self.pgettext("content", "{start} – {end}").format(
            start=self.date(start), end=self.date(end)
        )

    def zone_name(self, zone: str, now: dt.datetime) -> str:
        """A time zone as people name it: «Екатеринбург (UTC+5)», "New York (UTC−4)"."""
        offset = now.astimezone(ZoneInfo(zone)).utcoffset() or dt.timedelta()
        if zone in ("UTC", "Etc/UTC"):
            return "UTC"
        try:
            city = get_timezone_location(get_timezone(zone), self.babel_locale, return_city=True)
        except LookupError:
            city = zone.rsplit("/", 1)[-1].replace("_", " ")
        return f"{city} ({utc_offset(offset)})"

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
    # As the content writes: «2 марти соли 1992», «моҳи июни соли 1997», «соли 1993».
    if value.day is not None and value.month is not None:
        return f"{value.day} {_tajik_month(value.month)} соли {value.year}"
    if value.month is not None:
        return f"моҳи {_tajik_month(value.month)} соли {value.year}"
    return f"соли {value.year}"


EN_DASH = "\u2013"


def _month(lang: str, month: int, form: Literal["format", "stand-alone"]) -> str:
    if lang == "tg":
        return _tajik_month(month)
    names = get_month_names("wide", form, locale=BABEL_LOCALES[lang])
    return names[month] if lang == "en" else names[month].lower()


def _compact_span(lang: str, start: PartialDate, end: PartialDate) -> str | None:
    """The span with its shared year (and month) written once; None where nothing is shared
    or the two ends have different precisions (then both are written in full)."""
    if start.precision != end.precision:
        return None
    if start.precision == "year":
        years = f"{start.year}{EN_DASH}{end.year}"
        return {"ru": f"{years} гг.", "tg": f"солҳои {years}", "en": years}[lang]
    if start.year != end.year:
        return None
    year = {"ru": f"{start.year} г.", "tg": f"соли {start.year}", "en": str(start.year)}[lang]
    assert start.month is not None and end.month is not None
    if start.precision == "month":
        if lang == "tg":
            first = get_month_names("wide", locale="tg")[start.month].lower()  # «май»
            return f"моҳҳои {first} {EN_DASH} {_month(lang, end.month, 'format')} {year}"
        first, last = (
            _month(lang, start.month, "stand-alone"),
            _month(lang, end.month, "stand-alone"),
        )
        return f"{first} {EN_DASH} {last} {year}"
    if start.month == end.month:
        return f"{start.day}{EN_DASH}{end.day} {_month(lang, start.month, 'format')} {year}"
    first = f"{start.day} {_month(lang, start.month, 'format')}"
    return f"{first} {EN_DASH} {end.day} {_month(lang, end.month, 'format')} {year}"


def utc_offset(offset: dt.timedelta) -> str:
    """ "UTC+5", "UTC+5:30", "UTC−4" (a true minus sign), "UTC" for zero."""
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "\u2212"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def lower_first(text: str) -> str:
    """A button's label inside a sentence: «Получатели: все чаты», not «Все чаты»."""
    return text[:1].lower() + text[1:]


_PLACEHOLDER_STOP = re.compile(r"\{(\w+)\}\.")


def fill(template: str, **values: str) -> str:
    """template.format(**values), without a second full stop where a value that ends with
    one («1993 г.», «выкл.») closes the sentence: «…с 1993 г.», not «…с 1993 г..»."""

    def drop(match: re.Match[str]) -> str:
        name = match.group(1)
        return match.group(0)[:-1] if str(values.get(name, "")).endswith(".") else match.group(0)

    return _PLACEHOLDER_STOP.sub(drop, template).format(**values)


class I18n:
    def __init__(self, locales_dir: Path = LOCALES_DIR) -> None:
        self._translators = {
            lang: Translator(lang, _load_catalog(lang, locales_dir)) for lang in LANGUAGES
        }

    def __call__(self, lang: str) -> Translator:
        return self._translators.get(lang) or self._translators[DEFAULT_LANGUAGE]

    def all(self) -> list[Translator]:
        return [self._translators[lang] for lang in LANGUAGES]
