"""Search that forgives how people type: any script, Tajik letters typed on a Russian
keyboard, Latin transliteration, half-typed words, years and acronyms.

Every item is indexed once per language in SQLite FTS5, in two forms:
- `exact`: lower-cased, without diacritics, Tajik letters folded to their Russian
  keyboard look-alikes (ҷ→ч, қ→к …), plus the event's years and the agency's acronyms;
- `loose`: the same text transliterated to a Latin "skeleton" where spellings people mix
  up collapse together (dzh/dj/zh/j, kh/h/x, y/i …), so "tojikiston", "tadjikistan",
  "Тоджикистон" and «Таджикистан» meet.
A query goes through the same functions and becomes a MATCH expression built only of
quoted tokens, so no user text ever reaches FTS syntax. Hits in `exact` weigh more.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from bot.content.kinds import SHOWN
from bot.content.model import Content
from bot.languages import LANGUAGES
from bot.storage import Database

MAX_TOKENS = 8
MAX_QUERY = 256
BROAD = 1500  # matching documents above which bm25 is not computed for every one

_TAJIK_FOLD = str.maketrans({"ҷ": "ч", "қ": "к", "ғ": "г", "ӯ": "у", "ӣ": "и", "ҳ": "х", "ё": "е"})
_CYR_TO_LAT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "sh",
    "ъ": "",
    "ы": "i",
    "ь": "",
    "э": "e",
    "ю": "iu",
    "я": "ia",
}
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


def fold(text: str) -> str:
    """Lower case, no diacritics (é→e, й kept as и), Tajik letters as on a Russian keyboard."""
    text = text.lower().translate(_TAJIK_FOLD)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def skeleton(text: str) -> str:
    """Folded text in Latin letters with easily confused spellings merged."""
    latin = "".join(_CYR_TO_LAT.get(ch, ch) for ch in fold(text))
    for old, new in _SKELETON:
        latin = latin.replace(old, new)
    return latin


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


@dataclass(frozen=True)
class SearchDoc:
    kind: str
    item_id: str
    lang: str
    keys: str
    exact: str
    loose: str


def build_docs(content: Content) -> Iterable[SearchDoc]:
    """One document per item people open and per language; keys are years and acronyms."""
    for kind, shown in SHOWN.items():
        for item in content.of(kind):
            for lang in LANGUAGES:
                texts, keys = shown.search(content, item, lang)
                joined = " ".join(texts)
                keys_text = " ".join(sorted({t for k in keys for t in tokens(fold(k))}))
                yield SearchDoc(kind, item.id, lang, keys_text, fold(joined), skeleton(joined))


# Inflection endings dropped from query words, longest first, so that a typed form finds
# the others by prefix: «ледники» → «ледник»* finds «ледников»; «пиряхҳо» → «пирях»*.
_ENDINGS = sorted(
    {
        # Russian (after folding ё→е)
        "ами",
        "ями",
        "ого",
        "его",
        "ому",
        "ему",
        "ыми",
        "ими",
        "ая",
        "яя",
        "ое",
        "ее",
        "ые",
        "ие",
        "ый",
        "ий",
        "ой",
        "ов",
        "ев",
        "ей",
        "ам",
        "ям",
        "ах",
        "ях",
        "ую",
        "юю",
        "ом",
        "ем",
        "а",
        "я",
        "ы",
        "и",
        "о",
        "е",
        "у",
        "ю",
        "ь",
        # Tajik (after folding ҳ→х, ӣ→и, ӯ→у): plurals, izofat, case and personal endings
        "хои",
        "хо",
        "они",
        "он",
        "ён",
        "ро",
        # English
        "ies",
        "es",
        "s",
        "ing",
        "ed",
    },
    key=len,
    reverse=True,
)
MIN_STEM = 4
MAX_WORD = 40


def stem(word: str) -> str:
    if len(word) <= MIN_STEM:
        return word
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


def match_expression(query: str, *, keys_only: bool = False) -> str | None:
    """The FTS5 MATCH for a user's query, or None when it has no searchable word.

    Each word must match (AND), as a prefix, in the exact form or in the loose one (with
    keys_only: among the years and acronyms only). Tokens are \\w+ runs wrapped in double
    quotes: quotes, *, NEAR, -, parentheses and emoji in the user's text are never FTS
    syntax.
    """
    words = [w[:MAX_WORD] for w in tokens(fold(query[:MAX_QUERY]))][:MAX_TOKENS]
    if not words:
        return None
    parts = []
    for word in words:
        alternatives = [f'keys : "{word}"*']
        if not keys_only:
            alternatives.append(f'exact : "{stem(word)}"*')
            loose = tokens(skeleton(stem(word)))
            if loose and len(loose[0]) >= 3:  # a shorter skeleton would match nearly anything
                alternatives.append(f'loose : "{loose[0]}"*')
        parts.append("(" + " OR ".join(alternatives) + ")")
    return " AND ".join(parts)


@dataclass(frozen=True)
class Hit:
    kind: str
    item_id: str
    own_language: bool
    score: float


def rank(rows: Iterable[tuple[str, str, str, float]], lang: str) -> list[Hit]:
    """One hit per item: matched in the user's language first, then by bm25 (lower is better)."""
    best: dict[tuple[str, str], Hit] = {}
    for kind, item_id, doc_lang, score in rows:
        hit = Hit(kind, item_id, doc_lang == lang, score)
        current = best.get((kind, item_id))
        if current is None or (hit.own_language, -hit.score) > (
            current.own_language,
            -current.score,
        ):
            best[(kind, item_id)] = hit
    # A stable sort: equal scores (unranked broad matches) keep their content order.
    return sorted(best.values(), key=lambda h: (not h.own_language, h.score))


async def find(db: Database, query: str, lang: str, limit: int = 600) -> list[Hit]:
    """The items matching a user's query, best first; [] for a query with no word.

    The user's own language is searched first and the others only when it brought fewer
    than `limit` hits: SQLite then scores a third of the documents for common words
    (measured: bm25 over every match was what made broad queries slow at ×100 content).
    """
    match = match_expression(query)
    if match is None or lang not in LANGUAGES:
        return []
    own = f'({match}) AND lang : "{lang}"'
    if await db.content.search_count(own) > BROAD:
        # A word in most documents: scoring them all is what is slow, and tells little.
        # Years and acronyms are ranked, the rest follows in content order.
        keys = match_expression(query, keys_only=True)
        rows = await db.content.search(f'({keys}) AND lang : "{lang}"', limit)
        rows += await db.content.search(own, limit, ranked=False)
        return rank(rows, lang)
    rows = await db.content.search(own, limit)
    if len(rows) < limit:
        rows += await db.content.search(f'({match}) NOT lang : "{lang}"', limit - len(rows))
    return rank(rows, lang)
