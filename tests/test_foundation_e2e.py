"""The first slice end to end: the real Application over HTTP against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Update

from bot.context import BotContext
from bot.features import Command, Feature
from bot.i18n import lazy_pgettext
from fakegram.harness import Harness
from handlers import FEATURES


@pytest.fixture
async def bot(tmp_path: Path, small_content: Path) -> AsyncIterator[Harness]:
    async with Harness(tmp_path, content_dir=small_content) as h:
        yield h


async def test_start_greets_in_telegram_language_with_language_and_menu_buttons(
    bot: Harness,
) -> None:
    user = bot.user(language_code="en", first_name="Ann")
    reply = (await user.send("/start")).last
    assert reply.text.startswith("Hello, Ann!")
    labels = [b.text for b in reply.flat_buttons]
    assert {"🇷🇺 Русский", "🇹🇯 Тоҷикӣ", "✅ English"} <= set(labels)
    assert "❓ Help" in labels and "ℹ️ About" in labels


async def test_unknown_telegram_language_falls_back_to_russian(bot: Harness) -> None:
    reply = (await bot.user(language_code="de", first_name="Jan").send("/start")).last
    assert reply.text.startswith("Здравствуйте, Jan!")


async def test_user_name_is_escaped_not_interpreted(bot: Harness) -> None:
    reply = (await bot.user(first_name="<b>Eve</b> & co").send("/start")).last
    assert reply.text.startswith("Hello, <b>Eve</b> & co!")
    assert "&lt;b&gt;Eve&lt;/b&gt; &amp; co" in reply.html


async def test_language_switch_by_button_applies_to_every_following_message(bot: Harness) -> None:
    user = bot.user(language_code="en")
    await user.send("/start")
    switched = await user.press("Тоҷикӣ")
    assert any(r.text == "Тоҷикӣ" for r in switched)  # the toast
    edited = switched.last
    assert edited.method == "editMessageText"
    assert edited.text.startswith("Забон: Тоҷикӣ.")
    assert "✅ Тоҷикӣ" in [b.text for b in edited.flat_buttons]
    assert "Ман чӣ кор карда метавонам" in (await user.send("/help")).last.text
    assert "Ман ин фармонро намедонам" in (await user.send("/whatever")).last.text


async def test_language_command_and_choice_survive_a_restart(bot: Harness) -> None:
    user = bot.user(language_code="en")
    reply = (await user.send("/language")).last
    assert reply.text == "Choose the language I should speak with you:"
    await user.press("Русский")
    await bot.restart()
    assert (await user.send("/help")).last.text.startswith("Что я умею")


@pytest.mark.parametrize(
    ("lang", "title", "line"),
    [
        ("ru", "Что я умею", "/language — Сменить язык"),
        ("tg", "Ман чӣ кор карда метавонам", "/language — Иваз кардани забон"),
        ("en", "What I can do", "/language — Change the language"),
    ],
)
async def test_help_lists_every_command_in_each_language(
    bot: Harness, lang: str, title: str, line: str
) -> None:
    text = (await bot.user(language_code=lang).send("/help")).last.text
    assert text.startswith(title)
    assert line in text
    for feature in FEATURES:
        for command in feature.commands:
            assert (f"/{command.name} — " in text) == (command.in_menu and not command.staff)


async def test_main_menu_button_opens_the_command(bot: Harness) -> None:
    user = bot.user(language_code="en")
    await user.send("/start")
    assert (await user.press("Help")).last.text.startswith("What I can do")


async def test_about_names_the_sources(bot: Harness) -> None:
    text = (await bot.user(language_code="en").send("/about")).last.text
    assert "UN–Tajikistan partnership bot" in text
    assert "Tajikistan – UN Cooperation, 8 July 2019" in text
    assert "Version 0.1.0" in text


async def test_unknown_command_and_free_text_get_translated_answers(bot: Harness) -> None:
    user = bot.user(language_code="ru")
    assert "Такой команды я не знаю" in (await user.send("/nonsense")).last.text
    # free text is a search; with nothing found, the user is told how to go on
    nothing = (await user.send("абракадабра")).last.text
    assert "«абракадабра»" in nothing and "ЮНИСЕФ" in nothing and "/help" in nothing


async def test_forged_and_stale_buttons_get_a_translated_alert(bot: Harness) -> None:
    user = bot.user(language_code="en")
    await user.send("/start")
    for data in ("lang:xx", "cmd:removed", "garbage", "x" * 64):
        reply = (await user.press(data=data)).last
        assert reply.method == "answerCallbackQuery"
        assert "out of date" in reply.text


async def test_menus_published_per_language_with_default(bot: Harness) -> None:
    commands = bot.api.state.commands
    default = '{"type": "default"}'
    assert commands[(default, "tg")][0] == {
        "command": "start",
        "description": "Оғоз: салом ва менюи асосӣ",
    }
    assert commands[(default, "")] == commands[(default, "ru")]
    declared = [c.name for f in FEATURES for c in f.commands if c.in_menu and not c.staff]
    assert [c["command"] for c in commands[(default, "en")]] == declared
    expected = {"start", "facts", "history", "today", "next", "agencies", "contacts"}
    assert expected | {"language", "help", "about"} <= set(declared)


async def _boom(update: Update, context: BotContext) -> None:
    raise RuntimeError("a bug in a handler")


BOOM = Feature(
    "boom",
    commands=(
        Command("boom", lazy_pgettext("command menu", "Start: greeting and main menu"), _boom),
    ),
)


async def test_a_handler_that_raises_still_answers_the_user(
    tmp_path: Path, small_content: Path
) -> None:
    async with Harness(tmp_path, content_dir=small_content, features=(BOOM, *FEATURES)) as h:
        replies = await h.user(language_code="tg").send("/boom")
        assert replies.last.text.startswith("Бубахшед, аз ҷониби ман хатое рух дод.")


async def test_telegram_failing_once_still_leaves_an_answer(bot: Harness) -> None:
    bot.api.fail("sendMessage", 500, times=1)
    replies = await bot.user(language_code="en").send("/help")
    assert replies.last.text.startswith("Sorry, something went wrong on my side.")


async def test_button_under_a_deleted_message_gets_a_new_message(bot: Harness) -> None:
    """Found by the fuzzer: editing a message that is gone raised instead of answering."""
    user = bot.user(language_code="en")
    await user.send("/settings")
    message = user.last_message_with_buttons()
    del bot.api.state.messages[(user.chat_id, message["message_id"])]
    replies = await user.press("10", message=message)
    assert replies.last.method == "sendMessage" and "Reminder time: 10:00" in replies.last.text
