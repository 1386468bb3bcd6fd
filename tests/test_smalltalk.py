"""A greeting or thanks typed to the bot is answered, not searched (it found nothing, or
UNICEF for «салом» through «саломатӣ»)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.smalltalk import small_talk
from fakegram.harness import Harness

ADMIN = 777
GROUP = -4001


@pytest.fixture
async def bot(tmp_path: Path, small_content: Path) -> AsyncIterator[Harness]:
    async with Harness(tmp_path, content_dir=small_content, admin_ids=frozenset({ADMIN})) as h:
        yield h


@pytest.mark.parametrize(
    ("text", "meaning"),
    [
        ("Привет!", "greeting"),
        ("привет, бот", "greeting"),
        ("Салом", "greeting"),
        ("salom", "greeting"),  # in Latin letters
        ("Ассалому алейкум!", "greeting"),
        ("Рӯз ба хайр", "greeting"),
        ("Руз ба хайр", "greeting"),  # Tajik typed on a Russian keyboard
        ("Good morning", "greeting"),
        ("👋🏽", "greeting"),
        ("Спасибо большое!", "thanks"),
        ("Ташаккур", "thanks"),
        ("Thank you!", "thanks"),
        ("🙏", "thanks"),
        # with the words that only address someone or fill in (found in the sandbox walk:
        # each was searched, «шумо» finding «шумораи гурезагон», "ok thanks" → "ok thans")
        ("привет всем", "greeting"),
        ("Салом, чӣ хел шумо?", "greeting"),
        ("hey there", "greeting"),
        ("Ташаккур ба шумо", "thanks"),
        ("спасибо, всё понятно", "thanks"),
        ("ok thanks", "thanks"),
        ("thank u", "thanks"),
        ("Спасибо за информацию", "thanks"),
        # as people spell them
        ("Здраствуйте", "greeting"),
        ("Ассаляму алейкум", "greeting"),
        ("ташакур", "thanks"),
        ("Сипос", "thanks"),
        ("ты", None),  # not "ty" (thank you): a Latin phrase matches only Latin text
        ("помощь", None),  # a filler alone is a query
        ("Привет, когда Таджикистан вступил в ООН?", None),  # a question, with a greeting
        ("спасибо ООН за помощь", None),
        ("Рахмон", None),
        ("UNICEF", None),
        ("👍 ледники", None),
        ("", None),
    ],
)
def test_what_counts_as_a_greeting_or_thanks(text: str, meaning: str | None) -> None:
    assert small_talk(text) == meaning


@pytest.mark.parametrize(
    ("lang", "hello", "answer", "thanks", "welcome"),
    [
        ("ru", "Привет!", "Здравствуйте, Анна!", "Спасибо!", "Пожалуйста!"),
        ("tg", "Салом", "Салом, Анна!", "Ташаккур", "Саломат бошед!"),
        ("en", "hi", "Hello, Анна!", "thanks", "You're welcome!"),
    ],
)
async def test_a_greeting_gets_the_greeting_and_thanks_a_reply(
    bot: Harness, lang: str, hello: str, answer: str, thanks: str, welcome: str
) -> None:
    user = bot.user(language_code=lang, first_name="Анна")
    greeted = (await user.send(hello)).last
    assert greeted.text.startswith(answer)
    labels = [b.text for b in greeted.flat_buttons]
    assert len(labels) > 5 and "English" in " ".join(labels)  # the menu and the languages
    thanked = (await user.send(thanks)).last
    assert thanked.text.startswith(welcome)
    assert len(thanked.flat_buttons) > 3


async def test_a_question_with_a_greeting_is_still_searched(bot: Harness) -> None:
    user = bot.user(language_code="ru")
    found = (await user.send("Привет! UNHCR")).last
    assert found.text.startswith("Найдено по запросу «Привет! UNHCR»")


async def test_in_a_group_only_a_reply_to_the_bot_is_answered(bot: Harness) -> None:
    member = bot.user(language_code="ru", chat=bot.api.group_chat(GROUP))
    bot.api.state.members[(GROUP, member.user.id)] = "member"
    assert await member.send("Спасибо!") == []  # said to someone else
    answer = (await member.send("/help")).last
    assert (await member.send("Спасибо!", reply_to=answer.message)).last.text == "Пожалуйста! 🇺🇳🇹🇯"
    greeted = (await member.send("привет", reply_to=answer.message)).last
    assert greeted.text.startswith("🇺🇳🇹🇯 Я рассказываю об ООН и Таджикистане.")


async def test_a_greeting_during_post_is_the_news_text(bot: Harness) -> None:
    admin = bot.user(language_code="en", user_id=ADMIN)
    await admin.send("/post")
    asked = (await admin.send("Привет!")).last
    assert "Send the news text <b>in Tajik</b>" in asked.html
