"""Staff tools end to end: /post in three languages, /broadcasts, /stats, /reload, menus."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fakegram.harness import ChatUser, Harness
from handlers import FEATURES

ADMIN = 777


@pytest.fixture
async def bot(tmp_path: Path, small_content: Path) -> AsyncIterator[Harness]:
    async with Harness(tmp_path, content_dir=small_content, admin_ids=frozenset({ADMIN})) as h:
        yield h


async def subscribers(bot: Harness, *languages: str) -> dict[str, list[ChatUser]]:
    users: dict[str, list[ChatUser]] = {}
    for lang in languages:
        user = bot.user(language_code=lang)
        await user.send("/subscribe")
        users.setdefault(lang, []).append(user)
    return users


def news_to(bot: Harness, user: ChatUser, after: int) -> list[str]:
    return [
        c.params["text"]
        for c in bot.api.calls("sendMessage", after=after)
        if c.params["chat_id"] == user.chat_id and c.error is None
    ]


async def test_full_post_in_three_languages(bot: Harness) -> None:
    users = await subscribers(bot, "ru", "tg", "en")
    admin = bot.user(language_code="en", user_id=ADMIN)
    start = bot.api.last_seq
    assert "Send the news text <b>in Russian</b>" in (await admin.send("/post")).last.html
    await admin.send("<b>Новость</b> дня")  # plain text with markup characters stays text
    await admin.send("Хабари рӯз")
    preview = await admin.send("News of the day")
    texts = [r.text for r in preview]
    assert "Preview for readers in Russian:" in texts and "Хабари рӯз" in texts
    assert preview.last.text.startswith(
        "Ready to send to 3 news subscribers (Russian 1, Tajik 1, English 1)."
    )
    await admin.press("Send to 3")
    await bot.services.sender.drain(everything=True)
    assert news_to(bot, users["ru"][0], start) == ["&lt;b&gt;Новость&lt;/b&gt; дня"]
    assert news_to(bot, users["tg"][0], start) == ["Хабари рӯз"]
    assert news_to(bot, users["en"][0], start) == ["News of the day"]
    report = await bot.api.wait_for_call(
        lambda c: c.method == "editMessageText" and "Broadcast finished" in c.params["text"],
        after=start,
    )
    assert "Sent: 3 · failed: 0 · cancelled: 0" in report.result["text"]


STAFF_SENTENCES = {
    "ru": {
        "ask": "Отправьте текст новости <b>на русском</b>.",
        "skip": "Пропустить таджикский",
        "fallback": ["Русский", "Английский"],
        "preview": "Так увидят читатели, у которых бот на таджикском (им придет русский текст):",
        "summary": "(русский 1, таджикский 1, английский 1)",
        "toggle": "✅ Таджикский · 1",
        "stats": "По языкам: русский 2, таджикский 1, английский 1",
        "audience": "Получатели: все чаты.",
    },
    "tg": {
        "ask": "Матни хабарро <b>бо забони русӣ</b> фиристед.",
        "skip": "Бе матни тоҷикӣ",
        "fallback": ["Русӣ", "Англисӣ"],
        "preview": "Онҳое, ки ботро бо забони тоҷикӣ истифода мебаранд, инро мебинанд "
        "(ба онҳо матни русӣ фиристода мешавад):",
        "summary": "(русӣ 1, тоҷикӣ 1, англисӣ 1)",
        "toggle": "✅ Тоҷикӣ · 1",
        "stats": "Аз рӯи забон: русӣ 1, тоҷикӣ 2, англисӣ 1",
        "audience": "Гирандагон: ҳамаи чатҳо.",
    },
}


@pytest.mark.parametrize("lang", ["ru", "tg"])
async def test_staff_sentences_name_languages_in_the_staffs_language(
    bot: Harness, lang: str
) -> None:
    # Before: «на языке: <b>Русский</b>», «Пропустить: Тоҷикӣ», «бо забони Русский».
    expected = STAFF_SENTENCES[lang]
    await subscribers(bot, "ru", "tg", "en")
    admin = bot.user(language_code=lang, user_id=ADMIN)
    assert expected["ask"] in (await admin.send("/post")).last.html
    await admin.send("Новость")
    await admin.press(expected["skip"])
    choice = (await admin.send("News")).last
    assert [b.text for b in choice.flat_buttons][:2] == expected["fallback"]
    preview = await admin.press(expected["fallback"][0])
    assert expected["preview"] in [r.text for r in preview]
    assert expected["summary"] in preview.last.text
    assert expected["audience"] in preview.last.text  # a label inside a sentence
    assert expected["toggle"] in [b.text for b in preview.last.flat_buttons]
    await admin.press("✖️")
    assert expected["stats"] in (await admin.send("/stats")).last.text


async def test_skipped_language_gets_the_fallback_chosen_by_staff(bot: Harness) -> None:
    users = await subscribers(bot, "ru", "tg", "en")
    admin = bot.user(language_code="en", user_id=ADMIN)
    start = bot.api.last_seq
    await admin.send("/post")
    await admin.send("Новость")
    await admin.send("Хабар")
    choice = (await admin.press("Skip English")).last
    assert choice.text == "Readers of the skipped languages get the news in:"
    assert [b.text for b in choice.flat_buttons] == ["Russian", "Tajik", "✖️ Cancel"]
    preview = await admin.press("Tajik")
    assert any("(they get the Tajik text)" in r.text for r in preview)
    await admin.press("Send to 3")
    await bot.services.sender.drain(everything=True)
    assert news_to(bot, users["en"][0], start) == ["Хабар"]
    assert news_to(bot, users["ru"][0], start) == ["Новость"]


async def test_a_single_language_needs_no_fallback_question(bot: Harness) -> None:
    users = await subscribers(bot, "ru")
    admin = bot.user(language_code="en", user_id=ADMIN)
    start = bot.api.last_seq
    await admin.send("/post")
    await admin.press("Skip Russian")
    await admin.press("Skip Tajik")
    preview = await admin.send("Only English")
    assert preview.last.text.startswith("Ready to send to 1 news subscriber (")
    await admin.press("Send to 1")
    await bot.services.sender.drain(everything=True)
    assert news_to(bot, users["ru"][0], start) == ["Only English"]


async def test_entities_become_html(bot: Harness) -> None:
    (user,) = (await subscribers(bot, "en"))["en"]
    admin = bot.user(language_code="en", user_id=ADMIN)
    start = bot.api.last_seq
    await admin.send("/post")
    await admin.press("Skip Russian")
    await admin.press("Skip Tajik")
    update_id = bot.api.add_update(
        {
            "message": {
                "message_id": 999,
                "date": 0,
                "chat": admin.chat,
                "from": admin.user.to_dict(),
                "text": "Read the report",
                "entities": [
                    {"type": "bold", "offset": 0, "length": 4},
                    {
                        "type": "text_link",
                        "offset": 9,
                        "length": 6,
                        "url": "https://tajikistan.un.org/",
                    },
                ],
            }
        }
    )
    await bot.api.wait_done(update_id)
    await admin.press("Switch link previews")
    await admin.press("Send to 1")
    await bot.services.sender.drain(everything=True)
    (call,) = [
        c for c in bot.api.calls("sendMessage", after=start) if c.params["chat_id"] == user.chat_id
    ]
    assert call.params["text"] == '<b>Read</b> the <a href="https://tajikistan.un.org/">report</a>'
    assert call.params["link_preview_options"] == {"is_disabled": False}


@pytest.mark.parametrize("step", ["first text", "fallback", "preview"])
async def test_cancel_at_each_step_sends_nothing(bot: Harness, step: str) -> None:
    await subscribers(bot, "ru")
    admin = bot.user(language_code="en", user_id=ADMIN)
    await admin.send("/post")
    if step in ("fallback", "preview"):
        await admin.send("Новость")
        await admin.send("Хабар")
        await admin.press("Skip English")
    if step == "preview":
        await admin.press("Russian")
    reply = (
        (await admin.send("/cancel")).last
        if step != "preview"
        else (await admin.press("Cancel")).last
    )
    assert reply.text == "Cancelled: the news draft was dropped, nothing was sent."
    assert [b.text for b in reply.flat_buttons] == ["🏠 Main menu"]
    assert await bot.services.db.outbox.recent_pushes("news") == []
    assert (await admin.send("/help")).last.text.startswith("What I can do")  # out of the flow


async def test_double_confirm_queues_once(bot: Harness) -> None:
    await subscribers(bot, "en", "en")
    admin = bot.user(language_code="en", user_id=ADMIN)
    await admin.send("/post")
    await admin.press("Skip Russian")
    await admin.press("Skip Tajik")
    await admin.send("Once")
    summary = copy.deepcopy(admin.last_message_with_buttons())  # as the client still shows it
    await admin.press("Send to 2", message=summary)
    second = await admin.press("Send to 2", message=summary)  # the same button pressed again
    assert second.last.alert
    (push,) = await bot.services.db.outbox.recent_pushes("news")
    assert sum((await bot.services.db.outbox.counts(push.id)).values()) == 2


async def test_stop_a_running_broadcast(bot: Harness) -> None:
    await subscribers(bot, *["en"] * 12)
    bot.api.fail("sendMessage", delay=0.3, times=100, when=lambda p: p.get("chat_id") != ADMIN)
    admin = bot.user(language_code="en", user_id=ADMIN)
    await admin.send("/post")
    await admin.press("Skip Russian")
    await admin.press("Skip Tajik")
    await admin.send("Slow news")
    await admin.press("Send to 12")
    screen = (await admin.send("/broadcasts")).last
    assert "sending" in screen.text
    stopped = await admin.press("Stop #")
    assert stopped[0].text.startswith("Stopped:")
    await bot.services.sender.drain(everything=True)
    (push,) = await bot.services.db.outbox.recent_pushes("news")
    counts = await bot.services.db.outbox.counts(push.id)
    assert counts["cancelled"] > 0 and counts["sent"] + counts["cancelled"] + counts["failed"] == 12
    assert counts["pending"] == 0
    assert "stopped" in (await admin.send("/broadcasts")).last.text


async def test_stop_on_an_older_screen_after_the_end_stops_nothing(bot: Harness) -> None:
    await subscribers(bot, "en")
    bot.api.fail("sendMessage", delay=0.3, times=1, when=lambda p: p.get("chat_id") != ADMIN)
    admin = bot.user(language_code="en", user_id=ADMIN)
    await admin.send("/post")
    await admin.press("Skip Russian")
    await admin.press("Skip Tajik")
    await admin.send("News")
    await admin.press("Send to 1")
    screen = (await admin.send("/broadcasts")).last
    assert "sending" in screen.text
    await bot.services.sender.drain(everything=True)
    stopped = await admin.press("Stop #", message=screen.message)  # pressed after the end
    assert stopped[0].text == "This broadcast had already finished: there was nothing to stop."
    listed = (await admin.send("/broadcasts")).last
    assert "finished · sent 1" in listed.text
    assert listed.flat_buttons[-1].text == "🏠 Main menu"  # staff screens end with a way home


async def test_stats_match_the_database(bot: Harness) -> None:
    await subscribers(bot, "ru", "ru", "tg")
    blocked = bot.user(language_code="en")
    await blocked.send("/start")
    await bot.services.db.changes.set_blocked(blocked.user.id, True)
    admin = bot.user(language_code="en", user_id=ADMIN)
    stats = (await admin.send("/stats")).last
    assert stats.flat_buttons[-1].text == "🏠 Main menu"
    text = stats.text
    # 3 subscribers + the blocked user + the admin
    assert "Users: 4 active, 1 blocked" in text
    assert "By language: Russian 2, Tajik 1, English 2" in text
    assert "Subscribers: reminders 3, news 3" in text
    assert "Outbox backlog: 0 pending, 0 in flight" in text


async def test_reload_keeps_old_content_on_error_and_swaps_when_valid(
    bot: Harness, small_content: Path
) -> None:
    admin = bot.user(language_code="en", user_id=ADMIN)
    events = small_content / "events.toml"
    good = events.read_text(encoding="utf-8")
    events.write_text(good.replace('date = "1992-03-02"', 'date = "1992-02-31"'), encoding="utf-8")
    reply = (await admin.send("/reload")).last.text
    assert reply.startswith("❌ Content not reloaded: 1 problem.")
    assert "events.toml [accession] date: '1992-02-31' is not a real day" in reply
    assert "1992" in (await admin.send("/start event_accession")).last.text  # still served
    events.write_text(
        good.replace("Tajikistan became a member", "Tajikistan joined as a member"),
        encoding="utf-8",
    )
    assert (await admin.send("/reload")).last.text.startswith("✅ Content reloaded:")
    assert "joined as a member" in (await admin.send("/start event_accession")).last.text


@pytest.mark.parametrize("command", ["/post", "/broadcasts", "/stats", "/reload", "/cancel"])
async def test_non_admin_gets_the_unknown_command_answer(bot: Harness, command: str) -> None:
    user = bot.user(language_code="en")
    unknown = (await user.send("/nosuchcommand")).last.text
    assert [r.text for r in await user.send(command)] == [unknown]
    await user.send("/start")
    assert (await user.press(data="bc:stop:1")).last.alert
    assert "Staff" not in (await user.send("/help")).last.text


async def test_menus_public_and_staff(bot: Harness) -> None:
    commands = bot.api.state.commands
    public = commands[('{"type": "default"}', "en")]
    staff = commands[(f'{{"chat_id": {ADMIN}, "type": "chat"}}', "en")]
    names = [c["command"] for c in public]
    assert "post" not in names and "stats" not in names
    assert [c["command"] for c in staff][: len(names)] == names
    assert {"post", "broadcasts", "stats", "reload"} <= {c["command"] for c in staff}
    assert (f'{{"chat_id": {ADMIN}, "type": "chat"}}', "") in commands  # the default language too
    admin_help = (await bot.user(language_code="en", user_id=ADMIN).send("/help")).last.text
    assert "Staff" in admin_help and "/post — Staff: send news to subscribers" in admin_help
    staff_names = {c.name for f in FEATURES for c in f.commands if c.staff}
    assert staff_names <= {c["command"] for c in staff}
