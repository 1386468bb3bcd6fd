"""The search documents of a content: one per item and language, in the columns keys
(title words, dates, acronyms), exact (text words and their stems, glossary variants) and
loose (everything as Latin skeletons); and the vocabulary of the same words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.content.kinds import SHOWN, SearchTexts
from bot.content.model import Content
from bot.languages import LANGUAGES
from bot.search.dates import event_keys
from bot.search.text import fold, skeleton, stem, tokens
from bot.search.vocabulary import Vocabulary


@dataclass(frozen=True)
class SearchDoc:
    kind: str
    item_id: str
    lang: str
    keys: str
    exact: str
    loose: str


def _forms(words: Iterable[str], lang: str) -> list[str]:
    """Each word folded, followed by its stem where that differs."""
    out: list[str] = []
    for word in words:
        folded = fold(word)
        out.append(folded)
        stemmed = stem(word, lang)
        if stemmed != folded:
            out.append(stemmed)
    return out


def _parts(content: Content, kind: str, item: Any, lang: str) -> SearchTexts:
    return SHOWN[kind].search(content, item, lang)


def _texts_of(content: Content, kind: str, item: Any) -> list[str]:
    texts = []
    for lang in LANGUAGES:
        parts = _parts(content, kind, item, lang)
        texts.append(" ".join(parts.titles + parts.bodies))
    return texts


_ABBREVIATION = re.compile(r"\(([^()]+)\)")


Glossary = dict[str, list[tuple[tuple[str, ...], int]]]  # first word → (variant, group)


def _glossary(content: Content) -> tuple[Glossary, list[list[str]], dict[str, int]]:
    """From the glossary: each term's abbreviations and variants (what its texts give in
    parentheses, and its `aliases`) as folded word tuples, indexed by their first word;
    the words of each term's group of variants; and the group of each term id."""
    groups: dict[tuple[tuple[str, ...], ...], int] = {}
    by_first: Glossary = {}
    of_term: dict[str, int] = {}
    for term in content.terms:
        written = [m for text in term.text.values() for m in _ABBREVIATION.findall(text)]
        written += list(term.aliases)
        variants = tuple(sorted({tuple(fold(w) for w in tokens(v)) for v in written} - {()}))
        if not variants:
            continue
        if variants not in groups:  # the same term twice (×N content) is one group
            groups[variants] = len(groups)
            for variant in variants:
                by_first.setdefault(variant[0], []).append((variant, groups[variants]))
        of_term[term.id] = groups[variants]
    words = [[w for v in variants for w in v] for variants in groups]
    return by_first, words, of_term


def _aliases(
    content: Content,
    kind: str,
    item: Any,
    glossary: tuple[Glossary, list[list[str]], dict[str, int]],
) -> list[str]:
    """The words of every glossary variant of the terms an item mentions in any language."""
    by_first, words, of_term = glossary
    found: set[int] = set()
    if kind == "agency" and item.id in of_term:
        found.add(of_term[item.id])
    for text in _texts_of(content, kind, item):
        folded = [fold(w) for w in tokens(text)]
        for i, word in enumerate(folded):
            for variant, group in by_first.get(word, ()):
                if tuple(folded[i : i + len(variant)]) == variant:
                    found.add(group)
    return [w for group in sorted(found) for w in words[group]]


def build_docs(content: Content) -> Iterable[SearchDoc]:
    """One document per item people open (bot.content.kinds.SHOWN) and per language."""
    glossary = _glossary(content)
    for kind in SHOWN:
        for item in content.of(kind):
            aliases = _aliases(content, kind, item, glossary)
            for lang in LANGUAGES:
                parts = _parts(content, kind, item, lang)
                title = _forms(tokens(" ".join(parts.titles)), lang)
                body = _forms(tokens(" ".join(parts.bodies)), lang)
                keys = [fold(t) for k in parts.keys for t in tokens(k)] + event_keys(*parts.dates)
                # Aliases go with the text: the item they name (the agency, the mission's
                # event) ranks above mentions.
                key_words = keys + title
                body += aliases
                loose = [skeleton(w) for w in dict.fromkeys(key_words + body)]
                yield SearchDoc(
                    kind, item.id, lang, " ".join(key_words), " ".join(body), " ".join(loose)
                )


IndexRow = tuple[str, str, str, str, str, str]  # kind, item id, lang, keys, exact, loose


def build_index(content: Content) -> tuple[list[IndexRow], Vocabulary]:
    """The rows of the search index, and the vocabulary of the same documents."""
    rows = [(d.kind, d.item_id, d.lang, d.keys, d.exact, d.loose) for d in build_docs(content)]
    return rows, vocabulary_of(content, rows)


def vocabulary_of(content: Content, rows: Iterable[IndexRow]) -> Vocabulary:
    """The vocabulary of index rows (built now, or read back from the stored index on a
    restart, which is much cheaper than building the documents again)."""
    exact: list[str] = []
    keys: list[str] = []
    loose: list[str] = []
    shown: dict[str, str] = {}
    for _kind, _item, _lang, doc_keys, doc_exact, _loose in rows:
        key_words = set(doc_keys.split())
        words = key_words | set(doc_exact.split())
        keys += key_words
        exact += words
        loose += {skeleton(w) for w in words}
    named: dict[str, tuple[str, str]] = {}
    for agency in content.agencies:
        for acronym in agency.acronym.values():
            words_of = tokens(acronym)
            for key in (" ".join(fold(w) for w in words_of), fold(words_of[0]) if words_of else ""):
                if key:
                    named.setdefault(key, ("agency", agency.id))
                    named.setdefault(skeleton(key), ("agency", agency.id))
    for kind in SHOWN:
        for item in content.of(kind):
            for text in _texts_of(content, kind, item):
                for word in tokens(text):
                    lowered = word.lower()
                    shown.setdefault(fold(lowered), lowered)
                    shown.setdefault(skeleton(lowered), lowered)
    return Vocabulary(exact, loose, shown, named, keys)
