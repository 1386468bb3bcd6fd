"""Search that forgives how people type: any script, Tajik letters typed on a Russian
keyboard, Latin transliteration, typos, other word forms, questions, dates and acronyms.

Every item is indexed once per language in SQLite FTS5 (the `search` table), in columns:
- `keys`: the title's words, the glossary abbreviations and variants the item mentions
  (МНООНТ/ЮНМОТ/UNMOT), the agency's acronyms and the event's date keys (years,
  year-months, day-months) — what ranks an item first;
- `exact`: the text's words, folded (bot.search.text.fold), each followed by its stem;
- `loose`: every word and stem as a Latin skeleton, where transliterations meet.
A query goes through the same functions. Each word becomes a group of alternatives (the
word, its stems, its skeletons; the start of a word for the last one; the nearest index
words when it has none of those), built only of quoted \\w+ tokens, so no user text ever
reaches FTS syntax. Words that carry no meaning (когда, кай, when …) and words found
nowhere are not required. Items whose keys hold every word come before those whose text
does, each by bm25. When no document holds every remaining word, those that hold the most
of them come first.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import combinations

from rapidfuzz.distance import Levenshtein

from bot.languages import LANGUAGES
from bot.search.dates import DateQuery, find_dates
from bot.search.index import SearchDoc, build_docs, build_index, vocabulary_of
from bot.search.text import fold, query_stems, skeleton, stem, tokens
from bot.search.vocabulary import Vocabulary, allowed_typos
from bot.storage import Database

__all__ = ["Hit", "Result", "SearchDoc", "build_docs", "build_index", "find", "fold",
           "match_expression", "rank", "search", "set_vocabulary", "skeleton", "stem",
           "vocabulary_of"]  # fmt: skip

MAX_TOKENS = 8
MAX_QUERY = 256
MAX_SUBSET_WORDS = 5  # "most of the words" is looked for among at most this many
CROSS_SCRIPT_TYPO_FROM = 7  # letters: a shorter word is corrected only within its own script
BROAD = 600  # matching documents above which bm25 is not computed for every one
LIMIT = 60  # hits a query returns: three inline pages, more than anyone reads; bm25 and
# sorting grow with it (measured at ×100 content: p95 13.2 ms at 100, 6.5 ms at 60)

# Words that carry no meaning in a query (folded): question words, prepositions, auxiliaries.
_STOP_WORDS = """
    когда кто что где как какой какая какое какие какого каком сколько зачем почему ли
    в во на с со о об по и к у за из для до от а это был была были было есть году
    кай ки чи чӣ кадом кадоме чанд куҷо чаро дар ба аз ва бо барои оид то ҳам
    when who what where which how many much did does do is are was were the a an of in
    on to for and by with at from about it its
"""
STOP_WORDS = frozenset(fold(w) for w in _STOP_WORDS.split())

# Words a question uses for what the content says otherwise: "join" for "became a Member",
# «агентство» for «учреждение». Each word of a group also finds the others (their stems),
# ranked as the word itself.
_SYNONYMS = """
    join joined membership member
    вступил вступила вступить вступление член членство
    агентство агентства агентств агенство агенств учреждение учреждения учреждений
"""


def _synonyms(text: str) -> dict[str, frozenset[str]]:
    """Each form (folded, stemmed) of a group's words → every form of the group."""
    found: dict[str, frozenset[str]] = {}
    for line in text.strip().splitlines():
        forms = frozenset(f for w in line.split() for f in {fold(w)} | query_stems(w))
        for form in forms:
            found[form] = found.get(form, frozenset()) | forms
    return found


SYNONYMS = _synonyms(_SYNONYMS)


_VOCABULARIES: weakref.WeakKeyDictionary[Database, Vocabulary] = weakref.WeakKeyDictionary()


def set_vocabulary(db: Database, vocabulary: Vocabulary) -> None:
    """The vocabulary of what `db` now holds (ContentStore.load, after replace_content)."""
    _VOCABULARIES[db] = vocabulary


# -- queries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alt:
    """One alternative of a query word: a \\w+ token (or a date's words) in a column."""

    token: str
    prefix: bool = False
    column: str = "text"  # text (keys and exact), keys, exact, loose, near (a date's words)
    near: tuple[str, ...] = ()

    def fts(self, keys_only: bool) -> str | None:
        for token in (self.token, *self.near):
            assert re.fullmatch(r"\w+", token), token  # only \w+ goes between quotes
        star = "*" if self.prefix else ""
        if self.column == "near":
            words = " ".join(f'"{w}"' for w in self.near)
            return None if keys_only else f"exact : NEAR({words}, 2)"
        if self.column == "loose":
            return None if keys_only else f'loose : "{self.token}"{star}'
        if self.column == "exact":
            return None if keys_only else f'exact : "{self.token}"{star}'
        if self.column == "keys" or keys_only:
            return f'keys : "{self.token}"{star}'
        return f'{{keys exact}} : "{self.token}"{star}'


Group = list[Alt]


def render(groups: list[Group], keys_only: bool = False) -> list[str] | None:
    """Each group as an FTS5 OR of its alternatives; None when one cannot match at all."""
    out = []
    for group in groups:
        alternatives = [a for a in (alt.fts(keys_only) for alt in group) if a]
        if not alternatives:
            return None
        out.append("(" + " OR ".join(dict.fromkeys(alternatives)) + ")")
    return out


@dataclass
class Query:
    """A user's query as groups (each must match), with what was changed in it."""

    groups: list[Group] = field(default_factory=list)
    corrected: dict[str, str] = field(default_factory=dict)  # typed word → shown correction
    words: list[str] = field(default_factory=list)  # lower-cased
    typed: list[str] = field(default_factory=list)  # as typed

    def shown(self) -> str | None:
        """The query as searched, when a word was corrected: «ледники» for «леднеки»."""
        if not self.corrected:
            return None
        return " ".join(
            self.corrected.get(w, t) for w, t in zip(self.words, self.typed, strict=True)
        )


def _date_group(date: DateQuery) -> Group:
    group = [Alt(date.key, column="keys")]
    words = tuple(w for w in (fold(w) for w in date.words) if re.fullmatch(r"\w+", w))
    if words:
        group.append(Alt(words[0], column="near", near=words))
    return group


def _word_group(word: str, last: bool, vocabulary: Vocabulary | None, query: Query) -> Group:
    folded = fold(word)
    forms = {folded} | query_stems(word)
    forms |= {f for form in list(forms) for f in SYNONYMS.get(form, ())}
    loose = {skeleton(f) for f in forms if len(skeleton(f)) >= 3 or folded.isdigit()}
    known = (
        vocabulary is None
        or any(f in vocabulary.exact for f in forms)
        or any(s in vocabulary.loose for s in loose)
    )
    prefix = last and len(folded) >= 3
    if prefix and vocabulary is not None and not known:
        prefix = vocabulary.exact.has_prefix(folded) or vocabulary.loose.has_prefix(
            skeleton(folded)
        )
    group: Group = []
    if known or prefix:
        # A title word must count on its own (bm25 saturates a column set as one).
        group += [Alt(f, column=c) for f in sorted(forms) for c in ("keys", "exact")]
        group += [Alt(s, column="loose") for s in sorted(loose)]
        # Other derivations of the stem (вступил → вступления, воде → водных): matched
        # too, ranked below the word itself, which then matches twice.
        stems = sorted(f for f in forms - {folded} if len(f) >= 3 and not f.isdigit())
        group += [Alt(f, prefix=True) for f in stems]
    if prefix:
        group.append(Alt(folded, prefix=True))
        # A known word's 3-letter skeleton starts too many others: «ЦУР» (sur) is not the
        # start of «Шӯрои» (suroi); while typing, «тоҷ» (toj) still is.
        if len(skeleton(folded)) >= (4 if known else 3):
            group.append(Alt(skeleton(folded), prefix=True, column="loose"))
    if not group and vocabulary is not None:
        fixes = vocabulary.exact.correct(folded)
        shown = [vocabulary.display(f, folded) for f in fixes]
        for form in sorted(forms - {folded}):  # леднеки → леднек ≈ ледник
            if not fixes:
                fixes = vocabulary.exact.correct(form)
                # the typed ending kept on the corrected stem: «ледники», as meant
                ending = folded[len(form) :] if folded.startswith(form) else ""
                shown = [f + ending if ending else vocabulary.display(f, folded) for f in fixes]
        loose_fixes = [] if fixes else vocabulary.loose.correct(skeleton(folded))
        loose_fixes = [f for f in loose_fixes if _a_typo_of(vocabulary.display(f, folded), folded)]
        shown = shown if fixes else [vocabulary.display(f, folded) for f in loose_fixes]
        group += [Alt(f, column=c) for f in fixes for c in ("keys", "exact")]
        group += [Alt(f, column="loose") for f in loose_fixes]
        if shown:
            query.corrected[word] = shown[0]
    return group


def _latin(word: str) -> bool:
    return any("a" <= ch <= "z" for ch in word)


def _a_typo_of(correction: str, typed: str) -> bool:
    """A correction found through the Latin skeletons is also near as written: «phone» is
    not a typo of «one» (two letters apart) nor of «фонд» (fond, in another script); in
    another script only a long word is corrected (tojikston → Тоҷикистон)."""
    shown = fold(correction)
    if _latin(shown) != _latin(typed):
        return len(typed) >= CROSS_SCRIPT_TYPO_FROM
    return Levenshtein.distance(shown, typed) <= allowed_typos(typed)


def parse(text: str, vocabulary: Vocabulary | None = None) -> Query:
    """The groups of a user's query; no groups for a query with no searchable word."""
    text = text[:MAX_QUERY]
    typed = tokens(text)
    words = [w.lower() for w in typed]
    query = Query(words=words, typed=typed)
    dates, used = find_dates(text.lower(), words)
    query.groups += [_date_group(d) for d in dates]
    rest = [w for i, w in enumerate(words) if i not in used and (len(w) > 1 or w.isdigit())]
    meaningful = [w for w in rest if fold(w) not in STOP_WORDS] or (rest if not dates else [])
    meaningful = list(dict.fromkeys(meaningful))[:MAX_TOKENS]
    for i, word in enumerate(meaningful):
        last = i == len(meaningful) - 1 and words and word == words[-1]
        group = _word_group(word, bool(last), vocabulary, query)
        if group:
            query.groups.append(group)
    return query


def match_expression(text: str, vocabulary: Vocabulary | None = None) -> str | None:
    """The FTS5 MATCH requiring every group of a query, or None when it has none."""
    groups = render(parse(text, vocabulary).groups)
    return " AND ".join(groups) if groups else None


# -- ranking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    kind: str
    item_id: str
    own_language: bool
    score: float
    titled: bool = False  # its keys (title, acronyms, dates) hold every word of the query


@dataclass(frozen=True)
class Result:
    hits: list[Hit]
    corrected: str | None = None  # the query as searched, when a word was corrected


_KEYS = ("keys", "text")  # the columns of an alternative that match in the keys


def _keys_test(queries: list[list[Group]]) -> Callable[[str], bool]:
    """Whether a document's keys hold every group of one of the queries, as the groups'
    FTS5 expressions would match there; each distinct keys text is tested once."""
    compiled = [
        [
            (
                frozenset(a.token for a in group if a.column in _KEYS and not a.prefix),
                tuple(a.token for a in group if a.column in _KEYS and a.prefix),
            )
            for group in groups
        ]
        for groups in queries
    ]
    seen: dict[str, bool] = {}

    def holds(keys: str) -> bool:
        if keys not in seen:
            words = keys.split()
            present = set(words)
            seen[keys] = any(
                all(
                    not exact.isdisjoint(present)
                    or (bool(starts) and any(w.startswith(starts) for w in words))
                    for exact, starts in query
                )
                for query in compiled
            )
        return seen[keys]

    return holds


def rank(
    rows: Iterable[tuple[str, str, str, float, str]],
    lang: str,
    queries: list[list[Group]] | None = None,
) -> list[Hit]:
    """One hit per item: matched in the user's language first; then, with the `queries`
    the rows matched, those whose keys hold every word (Meilisearch's "attribute" rule:
    bm25 alone put three texts saying "refugees" twice above the UN Refugee Agency for
    "refugee"); then by bm25 (lower is better)."""
    best: dict[tuple[str, str], Hit] = {}
    holds = _keys_test(queries) if queries else None
    for kind, item_id, doc_lang, score, keys in rows:
        own = doc_lang == lang
        titled = own and holds is not None and holds(keys)
        hit = Hit(kind, item_id, own, score, titled)
        current = best.get((kind, item_id))
        if current is None or (hit.own_language, hit.titled, -hit.score) > (
            current.own_language,
            current.titled,
            -current.score,
        ):
            best[(kind, item_id)] = hit
    # A stable sort: equal scores (unranked broad matches) keep their content order.
    return sorted(best.values(), key=lambda h: (not h.own_language, not h.titled, h.score))


def _all(groups: list[Group], keys_only: bool = False) -> str | None:
    rendered = render(groups, keys_only)
    return " AND ".join(rendered) if rendered else None


def estimate(vocabulary: Vocabulary, groups: list[Group], keys_only: bool = False) -> int:
    """At most how many documents (of all languages) hold every group, from the words'
    document counts; BROAD + 1 means "maybe more". Saves counting in SQLite."""
    cap = BROAD + 1
    least = cap
    for group in groups:
        total = 0
        for alt in group:
            if alt.column == "near" and not keys_only:
                total += min(vocabulary.exact.frequency(w, False, cap) for w in alt.near)
            elif alt.column == "loose" and not keys_only:
                total += vocabulary.loose.frequency(alt.token, alt.prefix, cap)
            elif alt.column == "keys" or (keys_only and alt.column == "text"):
                total += vocabulary.keys.frequency(alt.token, alt.prefix, cap)
            elif not keys_only and alt.column in ("text", "exact"):
                total += vocabulary.exact.frequency(alt.token, alt.prefix, cap)
            if total >= cap:
                break
        least = min(least, total)
    return min(least, cap)


async def _few(db: Database, match: str, bound: int | None) -> bool:
    """Whether at most BROAD documents match: from the bound when it tells, else counted."""
    if bound is not None and bound <= BROAD:
        return True
    return await db.content.search_count(match, cap=BROAD) <= BROAD


async def _run(
    db: Database, groups: list[list[Group]], lang: str, limit: int, vocabulary: Vocabulary | None
) -> list[Hit]:
    """Documents matching any of the `groups` lists (each group required), best first.

    The user's own language first and the others only when it brought fewer than `limit`
    hits. Above BROAD matches bm25 is not computed for every one (measured: it was what
    made broad queries slow at ×100 content): the matches in titles, dates and acronyms
    are ranked, when they are few enough, and the rest follows in content order.
    """
    match = " OR ".join(f"({m})" for m in (_all(g) for g in groups) if m)
    own = f'({match}) AND lang : "{lang}"'
    bound = sum(estimate(vocabulary, g) for g in groups) if vocabulary else None
    if not await _few(db, own, bound):
        keys = " OR ".join(f"({m})" for m in (_all(g, True) for g in groups) if m)
        keys_bound = sum(estimate(vocabulary, g, True) for g in groups) if vocabulary else None
        rows = []
        own_keys = f'({keys}) AND lang : "{lang}"'
        if keys and keys_bound != 0 and await _few(db, own_keys, keys_bound):
            rows = await db.content.search(own_keys, limit)
        rows += await db.content.search(own, limit, ranked=False)
        return rank(rows, lang, groups)
    rows = await db.content.search(own, limit)
    if len(rows) < limit:
        rows += await db.content.search(f'({match}) NOT lang : "{lang}"', limit - len(rows))
    return rank(rows, lang, groups)


async def search(db: Database, text: str, lang: str, limit: int = LIMIT) -> Result:
    """The items matching a user's query, best first, and the query as corrected."""
    if lang not in LANGUAGES:
        return Result([])
    vocabulary = _VOCABULARIES.get(db)
    query = parse(text, vocabulary)
    groups = query.groups
    if not groups:
        return Result([])
    hits = await _run(db, [groups], lang, limit, vocabulary)
    named = vocabulary.named.get(" ".join(fold(w) for w in query.words)) if vocabulary else None
    if named is not None:  # an acronym alone: its agency first, then what mentions it
        hits = [Hit(*named, True, float("-inf"))] + [
            h for h in hits if (h.kind, h.item_id) != named
        ]
    # None holds every word: those holding the most of them, level by level.
    n = min(len(groups), MAX_SUBSET_WORDS)
    for size in range(n - 1, 0, -1):
        if hits:
            break
        subsets = [list(c) for c in combinations(groups[:n], size)]
        hits = await _run(db, subsets, lang, limit, vocabulary)
    return Result(hits, query.shown() if hits else None)


async def find(db: Database, text: str, lang: str, limit: int = LIMIT) -> list[Hit]:
    """The items matching a user's query, best first; [] for a query with no word."""
    return (await search(db, text, lang, limit)).hits
