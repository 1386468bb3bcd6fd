"""The search documents of a content: one per item and language, in the columns keys
(title words, dates, acronyms), exact (text words and their stems, glossary variants) and
loose (everything as Latin skeletons); and the vocabulary of the same words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.content import Agency, Contact, Content, Event, Fact, Period
from bot.i18n import LANGUAGES
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


def _parts(item: object, lang: str) -> tuple[list[str], list[str], list[str]]:
    """(title texts, body texts, extra keys) of one item in one language."""
    if isinstance(item, Event):
        return [item.title[lang]], [item.text[lang]], event_keys(item.when, item.until)
    if isinstance(item, Fact):
        return [], [item.text[lang]], []
    if isinstance(item, Agency):
        acronyms = [a for lang_ in LANGUAGES for a in tokens(item.acronym[lang_])]
        return [item.acronym[lang], item.name[lang]], [item.profile[lang]], acronyms
    if isinstance(item, Contact):
        return [item.name[lang]], [item.role[lang]], []
    if isinstance(item, Period):
        return [item.title[lang]], [], []
    raise TypeError(type(item))


def _texts_of(item: object) -> list[str]:
    texts = []
    for lang in LANGUAGES:
        titles, bodies, _ = _parts(item, lang)
        texts.append(" ".join(titles + bodies))
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


def _aliases(item: object, glossary: tuple[Glossary, list[list[str]], dict[str, int]]) -> list[str]:
    """The words of every glossary variant of the terms an item mentions in any language."""
    by_first, words, of_term = glossary
    found: set[int] = set()
    if isinstance(item, Agency) and item.id in of_term:
        found.add(of_term[item.id])
    for text in _texts_of(item):
        folded = [fold(w) for w in tokens(text)]
        for i, word in enumerate(folded):
            for variant, group in by_first.get(word, ()):
                if tuple(folded[i : i + len(variant)]) == variant:
                    found.add(group)
    return [w for group in sorted(found) for w in words[group]]


def build_docs(content: Content) -> Iterable[SearchDoc]:
    glossary = _glossary(content)
    kinds: tuple[tuple[str, tuple[Any, ...]], ...] = (
        ("event", content.events),
        ("fact", content.facts),
        ("agency", content.agencies),
        ("contact", content.contacts),
        ("period", content.periods),
    )
    for kind, items in kinds:
        for item in items:
            extra: list[str] = []
            if isinstance(item, Contact):
                agency = content.get("agency", item.agency)
                if agency is not None:
                    extra = [a for lang in LANGUAGES for a in tokens(agency.acronym[lang])]
            aliases = _aliases(item, glossary)
            for lang in LANGUAGES:
                titles, bodies, keys = _parts(item, lang)
                title = _forms(tokens(" ".join(titles)), lang)
                body = _forms(tokens(" ".join(bodies)), lang)
                # Aliases and an agency's acronyms on its contacts go with the text: the
                # item they name (the agency, the mission's event) ranks above mentions.
                key_words = [fold(k) for k in keys] + title
                body += [fold(a) for a in extra] + aliases
                loose = [skeleton(w) for w in dict.fromkeys(key_words + body)]
                yield SearchDoc(
                    kind, item.id, lang, " ".join(key_words), " ".join(body), " ".join(loose)
                )


def build_index(content: Content) -> tuple[list[tuple[str, ...]], Vocabulary]:
    """The rows for Database.replace_content and the vocabulary of the same documents."""
    rows: list[tuple[str, ...]] = []
    exact: list[str] = []
    keys: list[str] = []
    loose: list[str] = []
    shown: dict[str, str] = {}
    for doc in build_docs(content):
        rows.append((doc.kind, doc.item_id, doc.lang, doc.keys, doc.exact, doc.loose))
        key_words = set(doc.keys.split())
        words = key_words | set(doc.exact.split())
        keys += key_words
        exact += words
        loose += {skeleton(w) for w in words}
    named: dict[str, tuple[str, str]] = {}
    for agency in content.agencies:
        for acronym in agency.acronym.values():
            words = tokens(acronym)
            for key in (" ".join(fold(w) for w in words), fold(words[0]) if words else ""):
                if key:
                    named.setdefault(key, ("agency", agency.id))
                    named.setdefault(skeleton(key), ("agency", agency.id))
    for item in (*content.events, *content.facts, *content.agencies, *content.contacts):
        for text in _texts_of(item):
            for word in tokens(text):
                lowered = word.lower()
                shown.setdefault(fold(lowered), lowered)
                shown.setdefault(skeleton(lowered), lowered)
    return rows, Vocabulary(exact, loose, shown, named, keys)
