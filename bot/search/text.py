"""Words as the index and the queries see them: folded, stemmed, transliterated.

Every function here is applied to the content when it is indexed and to the query when it
is searched, so both sides meet on the same forms:
- `fold`: lower case, no diacritics, Tajik letters as on a Russian keyboard (ҷ→ч, қ→к …);
- `stem`: Snowball for Russian and English (PyStemmer), our own suffix rules for Tajik;
- `skeleton`: a Latin transliteration where spellings people mix up collapse together
  (dzh/dj/zh/j, kh/h/x, y/i …), so "tojikiston", "tadjikistan" and «Таджикистан» meet.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

_TAJIK_FOLD = str.maketrans({"ҷ": "ч", "қ": "к", "ғ": "г", "ӯ": "у", "ӣ": "и", "ҳ": "х", "ё": "е"})
_CYR_TO_LAT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch",
    "ш": "sh", "щ": "sh", "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "iu", "я": "ia",
}  # fmt: skip
# Applied in order to Latin text: what sounds alike is written alike.
_SKELETON = (
    ("dzh", "j"),
    ("dj", "j"),
    ("zh", "j"),
    ("ch", "j"),
    ("c", "k"),
    ("kh", "h"),
    ("x", "h"),
    ("q", "k"),
    ("sh", "s"),
    ("ts", "s"),
    ("ph", "f"),
    ("w", "v"),
    ("y", "i"),
    ("ee", "i"),
    ("ou", "u"),
)
_TOKEN = re.compile(r"\w+")
_CYRILLIC = re.compile(r"[а-яё]")
MAX_WORD = 40


@lru_cache(maxsize=1 << 17)  # the same words, again and again, at every content load
def fold(text: str) -> str:
    """Lower case, no diacritics (é→e, й kept as и), Tajik letters as on a Russian keyboard."""
    text = text.lower().translate(_TAJIK_FOLD)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1 << 17)
def skeleton(text: str) -> str:
    """Folded text in Latin letters with easily confused spellings merged."""
    latin = "".join(_CYR_TO_LAT.get(ch, ch) for ch in fold(text))
    for old, new in _SKELETON:
        latin = latin.replace(old, new)
    return latin


def tokens(text: str) -> list[str]:
    """\\w+ runs without the underscore (FTS5's unicode61 splits words there too)."""
    return [t[:MAX_WORD] for t in _TOKEN.findall(text.replace("_", " "))]


# -- stemming ---------------------------------------------------------------------------

_SNOWBALL = {"ru": Stemmer.Stemmer("russian"), "en": Stemmer.Stemmer("english")}

# Tajik endings (after folding ҳ→х, ӣ→и): object -ро, izofat -и/-йи, plurals -ҳо/-он/-ён
# (-агон for words in -а: гуреза → гурезагон). Stripped repeatedly, the outermost first:
# пиряхҳоро → пиряхҳо → пирях; нозирони → нозирон → нозир.
_TAJIK_ENDINGS: tuple[tuple[str, str], ...] = (
    ("ро", ""),
    ("йи", ""),
    ("и", ""),
    ("хо", ""),
    ("агон", "а"),
    ("он", ""),
    ("ён", ""),
)
MIN_STEM = 3


def _tajik(word: str) -> str:
    for _ in range(4):
        for ending, replacement in _TAJIK_ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
                word = word[: -len(ending)] + replacement
                break
        else:
            return word
    return word


@lru_cache(maxsize=65536)
def stem(word: str, lang: str) -> str:
    """The stem of one lower-cased word in `lang` (ru, tg, en), folded.

    Russian is stemmed before folding (Snowball needs й and the -ый ending); Tajik rules
    work on folded letters. Words in the other script are left as they are.
    """
    word = word.lower()
    cyrillic = bool(_CYRILLIC.search(fold(word)))
    if lang == "ru" and cyrillic:
        return fold(_SNOWBALL["ru"].stemWord(word.replace("ё", "е")))
    if lang == "tg" and cyrillic:
        return _tajik(fold(word))
    if lang == "en" and not cyrillic:
        return fold(_SNOWBALL["en"].stemWord(word))
    return fold(word)


def query_stems(word: str) -> set[str]:
    """Every stem a typed word may have: people type any language in any chat."""
    return {stem(word, lang) for lang in ("ru", "tg", "en")}


def is_cyrillic(word: str) -> bool:
    return bool(_CYRILLIC.search(word))
