"""Search: inline mode and /search over the shipped content, through the fake Bot API."""

from __future__ import annotations

import re

import pytest

from bot.content import CONTENT_DIR, read_content
from bot.harness import Harness
from bot.search import build_index, fold, match_expression, skeleton, stem
from bot.search.vocabulary import Vocabulary


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
