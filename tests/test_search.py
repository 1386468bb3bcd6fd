"""Search: inline mode and /search over the shipped content, through the fake Bot API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.content.checks import ContentError
from bot.content.model import CONTENT_DIR
from bot.content.validation import read_content
from bot.search import build_index, fold, match_expression, skeleton, stem
from bot.search.vocabulary import Vocabulary
from fakegram.harness import Harness


def titles(answer: dict) -> list[str]:
    return [r["title"] for r in answer["results"]]


def ids(answer: dict) -> list[str]:
    return [r["id"] for r in answer["results"]]


# -- the query pipeline, without Telegram -------------------------------------------------


def test_folding_and_transliteration_meet() -> None:
    assert fold("Тоҷикистон") == fold("Точикистон") == "точикистон"
    assert fold("Ёдраскунӣ") == "едраскуни"
    assert fold("Café") == "cafe"
    assert skeleton("Тоҷикистон") == skeleton("tojikiston") == skeleton("Tojikiston")
    assert skeleton("Таджикистан") == skeleton("tajikistan") == skeleton("tadjikistan")
    assert skeleton("Душанбе") == skeleton("dushanbe")
    assert skeleton("ООН") == skeleton("oon")
    assert (
        stem("ледники", "ru") == "ледник"
        and stem("пиряхҳо", "tg") == "пирях"
        and stem("glaciers", "en") == "glacier"
    )


HOSTILE = [
    '"',
    '""',
    "*",
    "NEAR(a b)",
    "a - b",
    "(x OR y)",
    "col:umn",
    "a AND NOT b",
    "^x",
    "🙂🇹🇯",
    "x" * 500,
    "'; DROP TABLE users; --",
    "../../etc/passwd",
    "<b>bold</b>",
]
# What our own expressions are made of: a column, a quoted \w+ token (a prefix star at
# most), NEAR over quoted tokens for a date's words; joined by parentheses, OR and AND.
OUR_TOKEN = re.compile(r'(keys|exact|loose|\{keys exact\}) : (?:"\w+"\*?|NEAR\((?:"\w+" ?)+, 2\))')


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return build_index(read_content(CONTENT_DIR))[1]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_user_text_never_becomes_fts_syntax(hostile: str, vocabulary: Vocabulary) -> None:
    words = [w for w in re.findall(r"\w+", hostile.replace("_", " ")) if len(w) > 1]
    without = match_expression(hostile)
    # Without a vocabulary every word of two letters or more is searched, nothing else.
    assert (without is None) == (not words), without
    for expression in (without, match_expression(hostile, vocabulary)):
        if expression is None:
            continue
        leftover = OUR_TOKEN.sub("", expression)
        assert re.fullmatch(r"(?:[()\s]|OR|AND)*", leftover), expression
        quoted = re.findall(r'"(\w+)"', expression)
        assert quoted and all(len(q) <= 40 for q in quoted), expression
        assert not {'"', "*"} & set(OUR_TOKEN.sub("", expression)), expression


# -- inline mode end to end -----------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "query", "expected"),
    [
        ("ru", "ледники", "Международный год сохранения ледников"),
        ("tg", "пиряхҳо", "пиряхҳо"),
        ("en", "glaciers", "Glaciers"),
        ("en", "dushanbe", "Dushanbe"),  # Latin transliteration
        ("ru", "dushanbe", "Душанбе"),
        ("tg", "tojikiston", "Тоҷикистон"),
        ("tg", "точикистон", "Тоҷикистон"),  # Tajik typed with Russian letters
        ("en", "glac", "Glaciers"),  # prefixes while typing
        ("ru", "ледн", "ледников"),
        ("en", "UNHCR", "UNHCR — "),  # acronyms in both scripts
        ("ru", "УВКБ", "УВКБ ООН — "),
        ("ru", "ЮНИСЕФ", "ЮНИСЕФ — "),
        ("en", "unicef", "UNICEF — "),
    ],
)
async def test_inline_finds_in_every_script(
    harness: Harness, lang: str, query: str, expected: str
) -> None:
    answer = await harness.user(language_code=lang).inline(query)
    assert answer["results"], query
    assert any(expected in t for t in titles(answer)[:3]), titles(answer)
    assert answer["is_personal"] is True and 0 < answer["cache_time"] <= 300


async def test_acronym_ranks_its_agency_first(harness: Harness) -> None:
    answer = await harness.user(language_code="ru").inline("УВКБ")
    assert ids(answer)[0] == "agency:unhcr"


async def test_a_year_finds_that_years_events(harness: Harness) -> None:
    answer = await harness.user(language_code="en").inline("1997")
    assert answer["results"][0]["id"].startswith("event:")
    assert "1997" in answer["results"][0]["title"]


async def test_results_carry_the_item_with_its_source_and_share_buttons(harness: Harness) -> None:
    answer = await harness.user(language_code="tg").inline("2 марти 1992")
    result = answer["results"][0]
    message = result["input_message_content"]
    assert message["parse_mode"] == "HTML" and "Манбаъ:" in message["message_text"]
    buttons = [b for row in result["reply_markup"]["inline_keyboard"] for b in row]
    kind, item_id = result["id"].split(":")
    assert buttons[0]["url"] == f"https://t.me/{harness.api.username}?start={kind}_{item_id}"
    assert buttons[1]["switch_inline_query_current_chat"] == "2 марти 1992"


async def test_pagination_to_the_end(harness: Harness) -> None:
    user = harness.user(language_code="en")
    seen: list[str] = []
    offset = ""
    for _ in range(20):
        answer = await user.inline("tajikistan", offset)
        assert len(answer["results"]) <= 50
        seen += ids(answer)
        offset = answer.get("next_offset", "")
        if not offset:
            break
    assert len(seen) > 20 and len(seen) == len(set(seen))  # several pages, no repeats
    assert (await user.inline("tajikistan", "9999")).get("results") == []


async def test_empty_query_shows_coming_anniversaries_and_featured_facts(harness: Harness) -> None:
    answer = await harness.user(language_code="en").inline("")
    kinds = [i.split(":")[0] for i in ids(answer)]
    assert kinds[0] == "event" and "fact" in kinds


async def test_no_result_is_one_article_in_the_users_language(harness: Harness) -> None:
    answer = await harness.user(language_code="ru").inline("qwertyuiop")
    assert ids(answer) == ["nothing"]
    assert titles(answer) == ["По запросу «qwertyuiop» ничего не найдено"]


@pytest.mark.parametrize(
    "hostile",
    [
        '"unclosed',
        "NEAR(glaciers water)",
        "glaciers -water",
        "(a OR b)",
        "*",
        "x" * 500,
        "🙂🇹🇯❤️",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "\u0000\u200b",
    ],
)
async def test_hostile_queries_are_just_text_and_always_answered(
    harness: Harness, hostile: str
) -> None:
    answer = await harness.user(language_code="en").inline(hostile)
    assert answer["results"]  # results or the single "nothing found" article


# -- inside the bot ---------------------------------------------------------------------


async def test_search_command_free_text_and_opening_a_result(harness: Harness) -> None:
    user = harness.user(language_code="en")
    hint = (await user.send("/search")).last
    assert hint.text.startswith("Send /search with words to look for")
    found = (await user.send("/search glaciers")).last
    assert found.text.startswith("Found for “glaciers”:")
    assert (await user.press("1")).last.text.count("Source:") == 1
    assert (await user.send("Dushanbe")).last.text.startswith("Found for “Dushanbe”:")
    assert (await user.press(data="show:fact:no-such-fact")).last.alert


async def test_deep_link_opens_the_item_in_the_users_language(harness: Harness) -> None:
    for lang, expected in (("ru", "Таджикистан"), ("tg", "Тоҷикистон"), ("en", "Tajikistan")):
        reply = (await harness.user(language_code=lang).send("/start event_accession")).last
        assert "1992" in reply.text and expected in reply.text
    unknown = (await harness.user(language_code="en").send("/start event_nope")).last
    assert unknown.text.startswith("Hello")


# -- how people type: each class of query, end to end ------------------------------------


async def top(harness: Harness, lang: str, query: str, n: int = 3) -> list[str]:
    return ids(await harness.user(language_code=lang).inline(query))[:n]


GLACIERS = {
    "event:glaciers-year-2025",
    "event:glaciers-resolution-2022",
    "event:first-world-glaciers-day",
    "fact:glaciers-resolution",
}


@pytest.mark.parametrize(
    ("lang", "query", "expected"),
    [
        ("ru", "леднеки", GLACIERS),  # one typo
        ("en", "glaciars", GLACIERS),
        ("tg", "пирёх", GLACIERS),
        ("ru", "ledniki", GLACIERS),  # transliterated, another word form
        ("ru", "Кофи Анан", {"event:untop-established"}),  # a misspelt name
        ("en", "statelesness", {"fact:statelessness-roots", "fact:statelessness-26000"}),
    ],
)
async def test_one_typo_still_finds(
    harness: Harness, lang: str, query: str, expected: set[str]
) -> None:
    assert expected & set(await top(harness, lang, query)), query


@pytest.mark.parametrize(
    ("lang", "query", "expected"),
    [
        ("ru", "ледниковый", GLACIERS),
        ("tg", "пиряхҳоро", GLACIERS),  # Tajik plural and object ending
        ("en", "refugee", {"agency:unhcr", "fact:refugees-in-tajikistan", "fact:lou-purpose"}),
        ("ru", "миротворчество", {"period:peacemaking"}),  # periods are searched too
        ("tg", "сулҳофарӣ", {"period:peacemaking"}),
        ("en", "era of initiatives", {"period:initiatives"}),
    ],
)
async def test_other_word_forms_and_periods(
    harness: Harness, lang: str, query: str, expected: set[str]
) -> None:
    assert expected & set(await top(harness, lang, query)), query


@pytest.mark.parametrize(
    ("lang", "query"),
    [
        ("ru", "когда Таджикистан вступил в ООН"),
        ("en", "when did Tajikistan join the UN"),
        ("tg", "кай Тоҷикистон узви СММ шуд"),
    ],
)
async def test_questions_find_the_answer(harness: Harness, lang: str, query: str) -> None:
    assert {"event:accession", "fact:un-day-in-tajikistan"} & set(
        await top(harness, lang, query)
    ), query


async def test_when_no_item_holds_every_word_those_with_most_come_first(
    harness: Harness,
) -> None:
    # No item says "glaciers" and "cucumber": the glacier items are still found.
    assert GLACIERS & set(await top(harness, "en", "glaciers cucumber"))


@pytest.mark.parametrize(
    ("lang", "query", "expected"),
    [
        ("ru", "ЮНМОТ", "event:unmot-opened"),  # glossary aliases (content/glossary.toml)
        ("ru", "МНООНТ", "event:unmot-opened"),
        ("tg", "UNMOT", "event:unmot-opened"),
        ("en", "ЮНТОП", "event:untop-established"),
        ("tg", "UNHCR", "agency:unhcr"),  # no Tajik acronym: «КОСММ» would fit OHCHR too
        ("en", "УВКБ", "agency:unhcr"),
    ],
)
async def test_every_abbreviation_of_a_glossary_term(
    harness: Harness, lang: str, query: str, expected: str
) -> None:
    assert expected in await top(harness, lang, query), query


async def test_an_alias_added_to_the_glossary_becomes_searchable(harness: Harness) -> None:
    # No alias list in the code: the glossary's data is what makes ЮНМОТ work in Russian,
    # where no text says ЮНМОТ (the Russian texts write МНООНТ).
    assert "ЮНМОТ" in (CONTENT_DIR / "glossary.toml").read_text()
    russian = [
        t for kind, _, _, lang, t in read_content().texts() if lang == "ru" and kind != "term"
    ]
    assert not any("ЮНМОТ" in text for text in russian)
    assert match_expression("ЮНМОТ") is not None
    assert "event:unmot-opened" in await top(harness, "ru", "ЮНМОТ")


@pytest.mark.parametrize(
    ("lang", "query", "expected"),
    [
        ("ru", "2 марта", "event:accession"),
        ("en", "2 March", "event:accession"),
        ("en", "March 2", "event:accession"),
        ("tg", "2 март", "event:accession"),
        ("ru", "1997-06", "event:general-agreement-1997"),
        ("en", "June 1997", "event:general-agreement-1997"),
        ("ru", "27 июня 1997", "event:general-agreement-1997"),
    ],
)
async def test_a_date_ranks_that_dates_events_first(
    harness: Harness, lang: str, query: str, expected: str
) -> None:
    assert (await top(harness, lang, query, 1)) == [expected], query


async def test_a_year_ranks_that_years_events_first(harness: Harness) -> None:
    found = await top(harness, "tg", "1993", 3)
    assert {
        "event:unmot-opened",
        "event:unhcr-repatriation-1993",
        "event:first-agencies-1993",
    } == set(found)


async def test_ranking_exact_words_and_titles_first(harness: Harness) -> None:
    # "join" is a word of the accession's day ("joined"), not the start of "joint".
    assert (await top(harness, "en", "join UN", 1)) == ["fact:un-day-in-tajikistan"]
    # The title that names it above the texts that mention it.
    assert (await top(harness, "ru", "Устав ООН", 1)) == ["event:un-charter-in-force"]
    # ... even where a short text says the word twice ("refugee emergencies ... refugees").
    assert (await top(harness, "en", "refugee", 1)) == ["agency:unhcr"]
    # An agency's focal point for its name and the word for a contact (it was sixth).
    assert (await top(harness, "en", "unicef contacts", 1)) == ["contact:unicef-pi"]
    assert (await top(harness, "ru", "контакты ЮНИСЕФ", 1)) == ["contact:unicef-pi"]
    assert (await top(harness, "tg", "тамоси UNICEF", 1)) == ["contact:unicef-pi"]
    # The user's language first: a Russian title for a Russian user, on a Latin query.
    answer = await harness.user(language_code="ru").inline("UNICEF")
    assert answer["results"][0]["id"] == "agency:unicef"
    assert answer["results"][0]["title"].startswith("ЮНИСЕФ — ")


@pytest.mark.parametrize("nonsense", ["qwertyuiop", "zzzxq", "<b>hi</b>", "ывапролдж", "ҷҷҷҷ"])
async def test_markup_and_nonsense_find_nothing(harness: Harness, nonsense: str) -> None:
    assert ids(await harness.user(language_code="en").inline(nonsense)) == ["nothing"]


async def test_hostile_queries_over_the_index_never_reach_fts_syntax(harness: Harness) -> None:
    # The index of the running bot: every hostile input is answered, none raises.
    user = harness.user(language_code="en")
    for hostile in HOSTILE:
        answer = await user.inline(hostile)
        assert answer["results"], hostile


# -- in the chat: pages, suggestions, corrections -----------------------------------------


async def test_chat_results_page_with_next_and_back(harness: Harness) -> None:
    user = harness.user(language_code="en")
    first = (await user.send("tajikistan")).last
    assert first.text.startswith("Found for “tajikistan”:")
    labels = [b.text for b in first.flat_buttons]
    assert labels[:8] == [str(n) for n in range(1, 9)] and "Next ▶️" in labels
    assert "◀️ Back" not in labels
    second = (await user.press("Next ▶️")).last
    assert second.method == "editMessageText"
    assert "\n9. " in second.text and "\n1. " not in second.text
    numbers = [b.text for b in second.flat_buttons if b.text.isdigit()]
    assert numbers[0] == "9" and "◀️ Back" in [b.text for b in second.flat_buttons]
    assert (await user.press("9")).last.text.count("Source:") == 1
    back = (await user.press("◀️ Back", message=second.message)).last
    assert "\n1. " in back.text
    # A message with few results keeps no query: a forged "Next" there is out of date.
    few = (await user.send("ЮНТОП")).last
    assert "Next ▶️" not in [b.text for b in few.flat_buttons]
    assert (await user.press(data="found:8", message=few.message)).last.alert
    assert (await user.press(data="found:x", message=second.message)).last.alert


async def test_chat_nothing_found_suggests_what_to_try_in_the_users_language(
    harness: Harness,
) -> None:
    ru = (await harness.user(language_code="ru").send("qwertyuiop")).last.text
    assert ru.startswith("Ничего не нашлось по запросу «qwertyuiop». Попробуйте:")
    assert "2 марта" in ru and "ЮНИСЕФ" in ru
    tg = (await harness.user(language_code="tg").send("qwertyuiop")).last.text
    assert "Инҳоро санҷед" in tg and "2 март" in tg
    en = (await harness.user(language_code="en").send("qwertyuiop")).last
    assert "2 March" in en.text and "/history" in en.text
    assert [b.text for b in en.flat_buttons] == ["🏠 Main menu"]  # no dead end


async def test_chat_says_which_query_it_searched_after_a_correction(harness: Harness) -> None:
    ru = (await harness.user(language_code="ru").send("леднеки")).last.text
    assert ru.startswith("Показаны результаты по запросу «ледники»:"), ru
    en = (await harness.user(language_code="en").send("glaciars")).last.text
    assert en.startswith("Showing results for “glaciers”:"), en
    assert (await harness.user(language_code="en").send("glaciers")).last.text.startswith(
        "Found for “glaciers”:"
    )


async def test_a_short_acronym_does_not_start_other_words_through_transliteration(
    harness: Harness,
) -> None:
    """«ЦУР» (the SDGs) found eight texts of «Шӯрои Амният» too: its skeleton "sur" was
    taken as the start of "suroi"."""
    assert set(await top(harness, "tg", "ЦУР", 10)) == {
        "fact:joint-programmes",
        "event:first-sdg-report-2018",
    }
    # while typing, the start of a word still finds it in any script
    assert "event:accession" in await top(harness, "tg", "тоҷ", 10)


async def test_a_transliteration_corrected_to_a_stem_is_shown_as_a_word(
    harness: Harness,
) -> None:
    """«ledniki» was shown as searched for «lednik», the Latin skeleton of the stem."""
    ru = (await harness.user(language_code="ru").send("ledniki")).last.text
    assert ru.startswith("Показаны результаты по запросу «ледников»:"), ru


async def test_a_question_in_other_words_than_the_content_finds_the_answer(
    harness: Harness,
) -> None:
    """The accession says "became a Member", not "join"; the fact says «учреждение», not
    «агентство»: neither was found before."""
    joined = await top(harness, "en", "when did Tajikistan join the UN", 5)
    assert "event:accession" in joined and joined[0] == "fact:un-day-in-tajikistan"
    agencies = await top(harness, "ru", "сколько агентств ООН в Таджикистане", 5)
    assert "fact:twenty-one-agencies" in agencies


async def test_a_latin_word_is_not_corrected_into_another_script(harness: Harness) -> None:
    """«unicef phone» once showed results for «unicef фонд»: a short word one letter from
    a transliteration is a different word, not a typo of it."""
    en = (await harness.user(language_code="en").send("unicef phone")).last.text
    assert "фонд" not in en and not en.startswith("Showing results for"), en
    # a transliteration as such still finds the Cyrillic word
    tg = (await harness.user(language_code="tg").send("tojikiston")).last.text
    assert not tg.startswith("Ничего") and "I found nothing" not in tg, tg


# -- the glossary's aliases field ----------------------------------------------------------


def test_glossary_aliases_are_read_and_checked(small_content: Path) -> None:
    glossary = small_content / "glossary.toml"
    original = glossary.read_text(encoding="utf-8")
    glossary.write_text(original + 'aliases = ["ЮН", "Об. Нации"]\n', encoding="utf-8")
    term = read_content(small_content).terms[0]
    assert term.aliases == ("ЮН", "Об. Нации")
    glossary.write_text(original + 'aliases = "ЮН"\n', encoding="utf-8")
    with pytest.raises(ContentError) as info:
        read_content(small_content)
    assert "glossary.toml [un] aliases: must be a list of texts" in str(info.value.problems[0])
