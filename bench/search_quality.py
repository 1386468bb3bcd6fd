"""Search quality: queries as people type them, each with the item(s) it must find.

Every query is asked as a user of its language would ask it (find() with that language)
over the shipped content. A query scores at k when any of its expected items is among the
first k hits. Prints recall@1 and recall@3 per language and overall, the misses, and the
nonsense queries that should find nothing.

    python -m bench.search_quality [--misses]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bot.content.model import CONTENT_DIR, Content
from bot.content.store import to_rows
from bot.content.validation import read_content
from bot.storage import Database

# (language of the user, what they type, items any of which must be in the top 3)
GLACIERS = (
    "event:glaciers-year-2025",
    "event:glaciers-resolution-2022",
    "event:first-world-glaciers-day",
    "fact:glaciers-resolution",
)
WATER_DECADES = (
    "event:water-for-life-decade",
    "event:water-action-decade",
    "event:water-decade-proclaimed",
    "fact:water-decade-leading-role",
)
EVENTS_1993 = (
    "event:unmot-opened",
    "event:un-office-dushanbe",
    "event:unhcr-repatriation-1993",
    "event:first-agencies-1993",
)
LOU = ("event:unhcr-unicef-lou-2017", "fact:lou-purpose")
REFUGEES = ("agency:unhcr", "fact:refugees-in-tajikistan")
STATELESS = ("fact:statelessness-roots", "fact:statelessness-26000")
PEACE_1997 = ("event:general-agreement-1997", "fact:general-agreement-june-1997")
ACCESSION = ("event:accession",)
# "When did Tajikistan join the UN": the accession, or the fact that names its day.
JOINED = ("event:accession", "fact:un-day-in-tajikistan")

QUERIES: list[tuple[str, str, tuple[str, ...]]] = [
    # -- Russian
    ("ru", "когда Таджикистан вступил в ООН", JOINED),
    ("ru", "Таджикистан член ООН с какого года", ACCESSION),
    ("ru", "леднеки", GLACIERS),
    ("ru", "ledniki", GLACIERS),
    ("ru", "ледниковый", GLACIERS),
    ("ru", "Кофи Анан", ("event:untop-established",)),
    ("ru", "миротворчество", ("period:peacemaking",)),
    ("ru", "эпоха инициатив", ("period:initiatives",)),
    ("ru", "ЮНМОТ", ("event:unmot-opened",)),
    ("ru", "МНООНТ", ("event:unmot-opened",)),
    ("ru", "ЮНТОП", ("event:untop-established",)),
    ("ru", "2 марта", ACCESSION),
    ("ru", "1997-06", PEACE_1997),
    ("ru", "27 июня 1997", PEACE_1997),
    ("ru", "беженцы", REFUGEES),
    ("ru", "безгражданство", STATELESS),
    ("ru", "соглашение о мире", PEACE_1997),
    ("ru", "Устав ООН", ("event:un-charter-in-force",)),
    ("ru", "детский фонд", ("agency:unicef",)),
    ("ru", "юнисеф", ("agency:unicef",)),
    ("ru", "ПРООН", ("agency:undp",)),
    ("ru", "продовольственная программа", ("agency:wfp",)),
    ("ru", "Лючия Элми", ("fact:lucia-elmi-on-lou",)),
    ("ru", "Вито Трани", ("fact:vito-trani-on-lou",)),
    ("ru", "Акбаралиева", ("contact:unhcr-pi",)),
    ("ru", "Мухамедхаджаева", ("contact:unicef-pi",)),
    ("ru", "письмо о взаимопонимании", LOU),
    ("ru", "десятилетие воды", WATER_DECADES),
    ("ru", "конференция по воде в душанбе", ("event:dushanbe-water-conference-2022",)),
    ("ru", "ранние предупреждения", ("event:early-warnings-2023", "fact:early-warnings-for-all")),
    ("ru", "рамочная программа сотрудничества", ("event:cooperation-framework-2023",)),
    ("ru", "совет безопасности прием таджикистана", ("event:security-council-1992",)),
    ("ru", "резолюция 738", ("fact:security-council-resolution-738",)),
    ("ru", "аральское море", ("fact:aral-sea-mechanism",)),
    ("ru", "сколько агенств ООН в таджикистане", ("fact:twenty-one-agencies",)),
    ("ru", "зеленая экономика", ("fact:green-economy-2030-agenda",)),
    ("ru", "tadzhikistan stal chlenom oon", ACCESSION),
    (
        "ru",
        "национальная стратегия развития",
        ("event:national-development-strategy", "fact:poverty-reduction-strategy"),
    ),
    # -- Tajik
    ("tg", "кай Тоҷикистон узви СММ шуд", JOINED),
    ("tg", "пирёх", GLACIERS),
    ("tg", "пиряххо", GLACIERS),
    ("tg", "пиряхҳоро", GLACIERS),
    ("tg", "2 март", ACCESSION),
    ("tg", "2 марти 1992", ACCESSION),
    ("tg", "сулҳофарӣ", ("period:peacemaking",)),
    ("tg", "даврони ташаббусҳо", ("period:initiatives",)),
    ("tg", "гурезагон", REFUGEES),
    ("tg", "Комиссари олии гурезагон", ("agency:unhcr",)),
    ("tg", "БРСММ", ("agency:undp",)),
    ("tg", "кудакон", ("agency:unicef",)),
    ("tg", "Оинномаи СММ", ("event:un-charter-in-force",)),
    ("tg", "созишномаи умуми", PEACE_1997),
    ("tg", "Кофи Анан", ("event:untop-established",)),
    ("tg", "ЮНМОТ", ("event:unmot-opened",)),
    ("tg", "миссияи нозирон", ("event:unmot-opened",)),
    ("tg", "бешаҳрвандӣ", STATELESS),
    ("tg", "мактуби тафохум", LOU),
    ("tg", "даҳсолаи об", WATER_DECADES),
    ("tg", "баҳри Арал", ("fact:aral-sea-mechanism",)),
    ("tg", "огоҳонии барвақт", ("event:early-warnings-2023", "fact:early-warnings-for-all")),
    (
        "tg",
        "чахорчубаи хамкори",
        ("event:cooperation-framework-2023", "fact:un-reform-outcome", "fact:cf-priorities"),
    ),
    ("tg", "tojikiston uzvi smm", ACCESSION),
    ("tg", "1993", EVENTS_1993),
    ("tg", "Шӯрои Амният", ("event:security-council-1992",)),
    ("tg", "рузи чахонии пиряхо", ("event:first-world-glaciers-day",)),
    ("tg", "Лючия Элми", ("fact:lucia-elmi-on-lou",)),
    ("tg", "Нодира", ("contact:unhcr-pi",)),
    (
        "tg",
        "стратегияи миллии рушд",
        ("event:national-development-strategy", "fact:poverty-reduction-strategy"),
    ),
    ("tg", "барномаи озукавори", ("agency:wfp",)),
    ("tg", "конфронси об дар Душанбе", ("event:dushanbe-water-conference-2022",)),
    ("tg", "соли оби тоза", ("event:year-of-freshwater-2003",)),
    ("tg", "ЮНТОП", ("event:untop-established",)),
    # -- English
    ("en", "when did Tajikistan join the UN", JOINED),
    ("en", "glaciars", GLACIERS),
    ("en", "join UN", (*ACCESSION, "fact:un-day-in-tajikistan")),
    ("en", "2 March", ACCESSION),
    ("en", "March 2", ACCESSION),
    ("en", "1997-06", PEACE_1997),
    ("en", "June 1997", PEACE_1997),
    ("en", "Kofi Anan", ("event:untop-established",)),
    ("en", "peacemaking", ("period:peacemaking",)),
    ("en", "era of initiatives", ("period:initiatives",)),
    ("en", "refugee", REFUGEES),
    ("en", "UNMOT", ("event:unmot-opened",)),
    ("en", "UNTOP", ("event:untop-established",)),
    ("en", "childrens fund", ("agency:unicef",)),
    ("en", "World Food Program", ("agency:wfp",)),
    ("en", "statelesness", STATELESS),
    ("en", "peace agreement 1997", PEACE_1997),
    ("en", "UN charter", ("event:un-charter-in-force",)),
    ("en", "security council admission", ("event:security-council-1992",)),
    ("en", "resolution 738", ("fact:security-council-resolution-738",)),
    ("en", "letter of understanding", LOU),
    ("en", "water decade", WATER_DECADES),
    ("en", "dushanbe water conference", ("event:dushanbe-water-conference-2022",)),
    ("en", "early warning", ("event:early-warnings-2023", "fact:early-warnings-for-all")),
    ("en", "cooperation framework", ("event:cooperation-framework-2023",)),
    ("en", "Aral sea", ("fact:aral-sea-mechanism",)),
    ("en", "how many UN agencies work in Tajikistan", ("fact:twenty-one-agencies",)),
    ("en", "Lucia Elmi", ("fact:lucia-elmi-on-lou",)),
    ("en", "Vito Trani", ("fact:vito-trani-on-lou",)),
    ("en", "Parvina", ("contact:unicef-pi",)),
    ("en", "green economy", ("fact:green-economy-2030-agenda",)),
    ("en", "freshwater year", ("event:year-of-freshwater-2003",)),
    ("en", "glacier day", ("event:first-world-glaciers-day",)),
    ("en", "voluntary national review", ("event:first-vnr-2017",)),
    ("en", "SDG report", ("event:first-sdg-report-2018",)),
    ("en", "UNHCR", ("agency:unhcr",)),
    ("en", "1945", ("event:un-founded", "event:un-charter-in-force")),
    ("en", "declaration by united nations", ("event:un-declaration-1942",)),
    ("en", "what is UNDP", ("agency:undp",)),
    ("en", "Secretary-General Annan", ("event:untop-established",)),
]

# What finds nothing (or should): typed junk, markup, keyboard mashing.
NONSENSE: list[tuple[str, str]] = [
    ("en", "qwertyuiop"),
    ("en", "zzzxq"),
    ("en", "<b>hi</b>"),
    ("ru", "ывапролдж"),
    ("tg", "ҷҷҷҷ"),
    ("en", "asdf jkl"),
]


async def measure(
    content: Content,
) -> tuple[list[tuple[str, str, tuple[str, ...], list[str]]], list[tuple[str, str, list[str]]]]:
    """(lang, query, expected, top 3 found) for each query; the nonsense and what it found."""
    from bot import search

    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "quality.sqlite3")
        try:
            docs, vocabulary = search.build_index(content)
            await db.content.replace(to_rows(content), "bench", docs)
            search.set_vocabulary(db, vocabulary)
            results = []
            for lang, query, expected in QUERIES:
                hits = await search.find(db, query, lang)
                results.append((lang, query, expected, [f"{h.kind}:{h.item_id}" for h in hits]))
            junk = []
            for lang, query in NONSENSE:
                hits = await search.find(db, query, lang)
                junk.append((lang, query, [f"{h.kind}:{h.item_id}" for h in hits]))
            return results, junk
        finally:
            await db.close()


def report(
    results: list[tuple[str, str, tuple[str, ...], list[str]]],
    junk: list[tuple[str, str, list[str]]],
    show_misses: bool,
) -> dict[str, float]:
    per: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    misses = []
    for lang, query, expected, found in results:
        at1 = bool(set(found[:1]) & set(expected))
        at3 = bool(set(found[:3]) & set(expected))
        per[lang].append((at1, at3))
        per["all"].append((at1, at3))
        if not at3:
            misses.append((lang, query, expected, found[:3]))
    figures: dict[str, float] = {}
    print(f"{'language':<10}{'queries':>8}{'recall@1':>10}{'recall@3':>10}")
    for lang in ("ru", "tg", "en", "all"):
        scores = per[lang]
        r1 = 100 * sum(a for a, _ in scores) / len(scores)
        r3 = 100 * sum(b for _, b in scores) / len(scores)
        figures[f"{lang}@1"], figures[f"{lang}@3"] = r1, r3
        print(f"{lang:<10}{len(scores):>8}{r1:>9.1f}%{r3:>9.1f}%")
    found_junk = [(lang, q, f) for lang, q, f in junk if f]
    print(f"nonsense answered with results: {len(found_junk)} of {len(junk)}")
    if show_misses:
        for lang, query, expected, top in misses:
            print(f"  miss [{lang}] «{query}»: wanted {' / '.join(expected)}; got {top}")
        for lang, query, found in found_junk:
            print(f"  junk [{lang}] «{query}»: {found[:3]} ({len(found)} hits)")
    return figures


def _levenshtein(a: str, b: str) -> int:
    """The textbook dynamic programme: what the typo correction would cost without rapidfuzz."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def typo_timing(content: Content) -> None:
    """Milliseconds to correct one typed word over the index's words: rapidfuzz (as
    shipped) against pure Python over the same candidates (the reason for the dependency)."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    from bot.search import build_index, fold
    from bot.search.vocabulary import allowed_typos

    v = build_index(content)[1].exact
    typed = [fold(w) for w in ("леднеки", "glaciars", "пирёх", "анан", "statelesness", "агенств")]
    figures = {}
    for name, pick in (
        ("rapidfuzz", lambda w, c, k: process.extract(
            w, c, scorer=Levenshtein.distance, score_cutoff=k, limit=None)),
        ("pure Python", lambda w, c, k: [x for x in c if _levenshtein(w, x) <= k]),
    ):  # fmt: skip
        started = time.perf_counter()
        for word in typed:
            k = allowed_typos(word)
            pick(
                word,
                [x for n in range(len(word) - k, len(word) + k + 1) for x in v.by_length[n]],
                k,
            )
        figures[name] = (time.perf_counter() - started) / len(typed) * 1000
    print(
        f"typo correction over {len(v.counts):,} index words: rapidfuzz "
        f"{figures['rapidfuzz']:.2f} ms a word, pure Python {figures['pure Python']:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the queries that missed")
    args = parser.parse_args()
    content = read_content(CONTENT_DIR)
    results, junk = asyncio.run(measure(content))
    print(f"{len(results)} queries over the shipped content")
    report(results, junk, args.misses)
    typo_timing(content)


if __name__ == "__main__":
    main()
