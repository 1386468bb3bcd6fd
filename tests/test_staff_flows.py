"""Staff conversations end to end (issues 16, 19, 20): leaving, expiring, channels, drafts
that survive a restart, stored stops, scheduled news and audiences."""

from __future__ import annotations

import copy
import datetime as dt
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import build_application
from bot.storage import Database
from fakegram.harness import ChatUser, Harness
from handlers import FEATURES, channels, post

ADMIN = 777


@pytest.fixture
async def bot(tmp_path: Path, small_content: Path) -> AsyncIterator[Harness]:
    async with Harness(tmp_path, content_dir=small_content, admin_ids=frozenset({ADMIN})) as h:
        yield h


async def subscribers(bot: Harness, *languages: str) -> list[ChatUser]:
    users = []
    for lang in languages:
        user = bot.user(language_code=lang)
        await user.send("/subscribe")
        users.append(user)
    return users


def received(bot: Harness, user: ChatUser, after: int = 0) -> list[str]:
    return [
        c.params["text"]
        for c in bot.api.calls("sendMessage", after=after)
        if c.params["chat_id"] == user.chat_id and c.error is None
    ]


async def to_preview(admin: ChatUser, text: str = "English news") -> None:
    await admin.send("/post")
    await admin.press("Skip Russian")
    await admin.press("Skip Tajik")
    await admin.send(text)


async def run_job(bot: Harness, name: str) -> None:
    assert bot.app is not None and bot.app.job_queue is not None
    (job,) = bot.app.job_queue.get_jobs_by_name(name)
    await job.run(bot.app)


# -- leaving and expiring ------------------------------------------------------------------


async def test_a_command_leaves_post_and_runs(bot: Harness) -> None:
    admin = bot.user(language_code="ru", user_id=ADMIN)
    await admin.send("/post")
    replies = await admin.send("/start")
    assert replies[0].text == "Черновик новости удален."
    assert replies[-1].text.startswith("Здравствуйте")  # the start screen, with its menu
    assert "💡 Факты" in [b.text for b in replies[-1].flat_buttons]
    search = await admin.send("абракадабра")
    assert search.last.text.startswith("Ничего не нашлось по запросу «абракадабра»")  # a search
    assert await bot.services.db.drafts.of_user(ADMIN) is None
    assert await bot.services.db.outbox.recent_pushes("news") == []


async def test_a_command_leaves_channel_and_runs(bot: Harness) -> None:
    admin = bot.user(language_code="en", user_id=ADMIN)
    await admin.send("/channel")
    replies = await admin.send("/help")
    assert replies[0].text == "Stopped waiting for a channel: none was linked."
    assert replies.last.text.startswith("What I can do")
    assert "not a post forwarded" not in (await admin.send("hello")).text


async def test_cancel_says_what_it_cancelled(bot: Harness) -> None:
    admin = bot.user(language_code="en", user_id=ADMIN)
    await admin.send("/channel")
    assert (await admin.send("/cancel")).last.text == "Cancelled: no channel was linked."
    assert (await admin.send("/cancel")).last.text == "There is nothing to cancel."


async def test_a_draft_left_alone_expires_with_a_message(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(post.POST_CONVERSATION, "_conversation_timeout", 0.5)
    admin = bot.user(language_code="en", user_id=ADMIN)
    start = bot.api.last_seq
    await admin.send("/post")
    await admin.send("Новость")
    call = await bot.api.wait_for_call(
        lambda c: c.method == "sendMessage" and "was dropped" in c.params["text"], after=start
    )
    assert call.params["text"].startswith("The news draft waited 30 minutes and was dropped")
    assert await bot.services.db.drafts.of_user(ADMIN) is None
    assert "Send the news text" not in (await admin.send("hello")).text


async def test_channel_wait_expires_with_a_message(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(channels.CHANNEL_CONVERSATION, "_conversation_timeout", 0.5)
    admin = bot.user(language_code="en", user_id=ADMIN)
    start = bot.api.last_seq
    await admin.send("/channel")
    call = await bot.api.wait_for_call(
        lambda c: c.method == "sendMessage" and "I waited" in c.params["text"], after=start
    )
    assert "none was linked" in call.params["text"]


async def test_an_edit_during_post_changes_nothing(bot: Harness) -> None:
    admin = bot.user(language_code="en", user_id=ADMIN)
    await admin.send("/post")
    await admin.send("Русский текст")
    draft = await bot.services.db.drafts.of_user(ADMIN)
    assert draft is not None
    after = bot.api.last_seq
    update_id = bot.api.add_update(
        {
            "edited_message": {
                "message_id": 1,
                "date": 0,
                "edit_date": 1,
                "chat": admin.chat,
                "from": admin.user.to_dict(),
                "text": "Исправленный текст",
            }
        }
    )
    await bot.api.wait_done(update_id)
    flow = [c for c in bot.api.calls("sendMessage", after=after) if "news" in c.params["text"]]
    assert flow == []  # not taken as the next language's text (search may answer the edit)
    stored = await bot.services.db.drafts.of_user(ADMIN)
    assert stored is not None and stored.body["texts"] == {"ru": "Русский текст"}
    assert "Send the news text <b>in English</b>" in (await admin.send("Тоҷикӣ матн")).last.html


# -- /channel ------------------------------------------------------------------------------


async def test_channel_with_an_argument_and_an_unknown_username(bot: Harness) -> None:
    admin = bot.user(language_code="en", user_id=ADMIN)
    missing = (await admin.send("/channel @missing_channel")).last.text
    assert missing.startswith("I found no channel @missing_channel")
    bot.api.add_channel("@untj_direct", -1005550009, "Direct", bot_can_post=True)
    linked = (await admin.send("/channel @untj_direct")).last
    assert linked.text.startswith("✅ Channel “Direct” is linked")


async def test_forged_channel_buttons_are_refused(bot: Harness) -> None:
    admin = bot.user(language_code="en", user_id=ADMIN)
    bot.api.add_channel("@untj_real", -1005550010, "Real", bot_can_post=True)
    await admin.send("/channel @untj_real")
    for data in (
        "ch:lang:-1005559999:en",  # never linked
        "ch:topic:-1005559999:news",
        f"ch:lang:{2**63}:en",
        f"ch:topic:-{2**63 + 1}:news",
        "ch:lang:１２３:en",
        "ch:lang:abc:en",
        "ch:lang:-1005550010:xx",
    ):
        reply = await admin.press(data=data)
        assert reply.last.alert and "out of date" in reply.last.text, data
    assert await bot.services.db.chats.get_user(-1005559999) is None
    ok = await admin.press("English")
    assert not ok.last.alert and "✅ English" in [b.text for b in ok.last.flat_buttons]


async def test_a_linked_channel_where_the_bot_lost_its_rights_is_refused(bot: Harness) -> None:
    admin = bot.user(language_code="en", user_id=ADMIN)
    bot.api.add_channel("@untj_lost", -1005550011, "Lost", bot_can_post=True)
    await admin.send("/channel @untj_lost")
    bot.api.add_channel("@untj_lost", -1005550011, "Lost", bot_can_post=False)
    assert (await admin.press("English")).last.alert


async def test_a_channel_post_with_a_forged_from_runs_no_staff_command(bot: Harness) -> None:
    channel = bot.api.add_channel("@untj_forged", -1005550012, "Forged", bot_can_post=True)
    after = bot.api.last_seq
    update_id = bot.api.add_update(
        {
            "channel_post": {
                "message_id": 3,
                "date": 0,
                "chat": channel,
                "from": {"id": ADMIN, "is_bot": False, "first_name": "Staff"},
                "text": "/stats",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            }
        }
    )
    await bot.api.wait_done(update_id)
    assert not any("Statistics" in c.params.get("text", "") for c in bot.api.calls(after=after))


# -- the preview ---------------------------------------------------------------------------


async def test_switches_edit_the_confirmation_in_place(bot: Harness) -> None:
    await subscribers(bot, "en")
    admin = bot.user(language_code="en", user_id=ADMIN)
    await to_preview(admin)
    after = bot.api.last_seq
    switched = await admin.press("Switch link previews")
    await admin.press("Switch paid broadcast")
    assert bot.api.calls("sendMessage", after=after) == []
    edits = bot.api.calls("editMessageText", after=after)
    assert len(edits) == 2 and "Link previews: on" in edits[0].params["text"]
    assert "Paid broadcast" in edits[1].params["text"] and switched.last.buttons


async def test_an_audience_of_tajik_speakers_reaches_exactly_them(bot: Harness) -> None:
    ru, tg1, tg2, en = await subscribers(bot, "ru", "tg", "tg", "en")
    admin = bot.user(language_code="en", user_id=ADMIN)
    start = bot.api.last_seq
    await admin.send("/post")
    await admin.send("Новость")
    await admin.send("Хабар")
    preview = await admin.send("News")
    labels = [b.text for b in preview.last.flat_buttons]
    assert "✅ Tajik · 2" in labels and "✅ Russian · 1" in labels
    assert "🔘 All chats · 4" in labels and "Groups and channels · 0" in labels
    await admin.press("Russian ·")
    summary = (await admin.press("English ·")).last
    assert summary.text.startswith("Ready to send to 2 news subscribers (Tajik 2).")
    assert "⬜ Russian · 1" in [b.text for b in summary.flat_buttons]
    await admin.press("Send to 2")
    await bot.services.sender.drain(everything=True)
    assert received(bot, tg1, start) == ["Хабар"] and received(bot, tg2, start) == ["Хабар"]
    assert received(bot, ru, start) == [] and received(bot, en, start) == []


async def test_an_audience_of_groups_only(bot: Harness) -> None:
    (private,) = await subscribers(bot, "en")
    group = bot.user(language_code="en", chat=bot.api.group_chat(-4242))
    await bot.services.db.chats.register_chat(-4242, "group", "Test group")
    await bot.services.db.changes.set_subscription(-4242, "news", True)
    admin = bot.user(language_code="en", user_id=ADMIN)
    start = bot.api.last_seq
    await to_preview(admin, "Group news")
    await admin.press("Groups and channels ·")
    await admin.press("Send to 1")
    await bot.services.sender.drain(everything=True)
    assert received(bot, group, start) == ["Group news"] and received(bot, private, start) == []


# -- drafts across a restart ---------------------------------------------------------------


async def test_send_then_a_crash_before_queuing_shows_the_draft_back(bot: Harness) -> None:
    await subscribers(bot, "en", "en")
    admin = bot.user(language_code="en", user_id=ADMIN)
    await to_preview(admin, "Crash news")
    summary = copy.deepcopy(admin.last_message_with_buttons())
    # The handler dies right after Send (its answer fails): confirmed, not queued.
    bot.api.fail("answerCallbackQuery", 500, "Internal Server Error", times=1)
    await admin.press("Send to 2", message=summary)
    assert await bot.services.db.outbox.recent_pushes("news") == []
    start = bot.api.last_seq
    await bot.restart()
    shown = await bot.api.wait_for_call(
        lambda c: c.method == "sendMessage" and "You pressed Send" in c.params["text"], after=start
    )
    assert shown.params["chat_id"] == ADMIN and "Crash news" in shown.params["text"]
    again_post = (await admin.send("/post")).last  # a new draft would erase it: shown again
    assert again_post.text.startswith("⚠️ You pressed Send") and "Crash news" in again_post.text
    await admin.press("Send to 2")
    await admin.press("Send to 2")  # pressed twice: still one post
    again = await admin.press("Send to 2", message=summary)  # the old Send button
    assert again.last.alert and "already sent" in again.last.text
    (push,) = await bot.services.db.outbox.recent_pushes("news")
    assert sum((await bot.services.db.outbox.counts(push.id)).values()) == 2


async def test_a_draft_queued_before_the_crash_is_not_offered_again(bot: Harness) -> None:
    await subscribers(bot, "en")
    admin = bot.user(language_code="en", user_id=ADMIN)
    await to_preview(admin)
    stored = await bot.services.db.drafts.of_user(ADMIN)
    assert stored is not None
    await bot.services.db.drafts.confirm(stored.key)
    await bot.services.db.outbox.queue(stored.key, "news", {"en": "x"})  # queued, then killed
    start = bot.api.last_seq
    await bot.restart()
    told = await bot.api.wait_for_call(
        lambda c: c.method == "sendMessage" and c.params["chat_id"] == ADMIN, after=start
    )
    assert told.params["text"] == "Your news was queued before the restart: nothing more to do."
    assert await bot.services.db.drafts.of_user(ADMIN) is None


async def test_a_stopped_broadcast_sends_nothing_after_a_restart(
    bot: Harness, db_target: Path | str
) -> None:
    users = await subscribers(bot, *["en"] * 10)
    await bot.stop_bot()
    # What a crash leaves: rows claimed (in flight) by a sender, then the stop stored.
    db = await Database.open(db_target)  # the bot's own database
    push_id, queued = await db.outbox.queue("news:stopped", "news", {"en": "Stopped"})
    assert queued == 10
    assert len(await db.outbox.claim(2**40, 6)) == 6
    await db.outbox.stop_push(push_id)
    await db.close()
    start = bot.api.last_seq
    await bot.start_bot()
    await bot.services.sender.drain(everything=True)
    assert all(received(bot, u, start) == [] for u in users)
    counts = await bot.services.db.outbox.counts(push_id)
    assert counts["cancelled"] == 10


# -- scheduled news ------------------------------------------------------------------------


def news(bot: Harness, user: ChatUser, after: int) -> list[str]:
    """What the user got of the news (reminders due at the same hour left aside)."""
    return [t for t in received(bot, user, after) if "news" in t]


def tomorrow(bot: Harness, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """A time on the bot's next day (pushes are queued at the real time: keep after it)."""
    zone = bot.services.config.timezone
    day = dt.datetime.now(zone).date() + dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=zone)


async def schedule_at_nine(bot: Harness, admin: ChatUser) -> str:
    day = tomorrow(bot, 9)
    bot.set_now(tomorrow(bot, 7, 30))
    await to_preview(admin, "Scheduled news")
    days = (await admin.press("Schedule for later")).last
    assert days.text.startswith("On which day? Times are in Dushanbe (UTC+5).")
    hours = (await admin.press(f"{day.day} {day:%B}")).last
    assert hours.text.endswith("at what hour? Times are in Dushanbe (UTC+5).")
    assert "07:00" not in [b.text for b in hours.flat_buttons]  # past hours are not offered
    summary = (await admin.press("09:00")).last
    assert f"When: {day.day} {day:%B %Y}, 09:00, Dushanbe (UTC+5)." in summary.text
    return (await admin.press("Schedule for 1")).last.text


async def test_a_post_scheduled_for_nine_is_sent_at_nine_once(bot: Harness) -> None:
    (reader,) = await subscribers(bot, "en")
    admin = bot.user(language_code="en", user_id=ADMIN)
    start = bot.api.last_seq
    done = await schedule_at_nine(bot, admin)
    day = tomorrow(bot, 9)
    assert done.startswith(f"🕘 Scheduled #1 for {day.day} {day:%B %Y}, 09:00")
    listed = (await admin.send("/broadcasts")).last
    assert f"#1 · {day.day} {day:%B %Y}, 09:00, Dushanbe (UTC+5)" in listed.text
    bot.set_now(tomorrow(bot, 8, 59, 59))
    await run_job(bot, "scheduled-posts")
    await bot.services.sender.drain()
    assert news(bot, reader, start) == []
    await bot.restart()
    bot.set_now(tomorrow(bot, 9))
    await run_job(bot, "scheduled-posts")
    await run_job(bot, "scheduled-posts")
    await bot.services.sender.drain()
    await bot.restart()
    await run_job(bot, "scheduled-posts")
    await bot.services.sender.drain()
    assert news(bot, reader, start) == ["Scheduled news"]


async def test_a_scheduled_post_cancelled_or_sent_now(bot: Harness) -> None:
    (reader,) = await subscribers(bot, "en")
    admin = bot.user(language_code="en", user_id=ADMIN)
    start = bot.api.last_seq
    await schedule_at_nine(bot, admin)
    await admin.send("/broadcasts")
    cancelled = await admin.press("Cancel #1")
    assert cancelled[0].text == "Scheduled post #1 cancelled: it will not be sent."
    assert "Cancel #1" not in [b.text for b in cancelled.last.flat_buttons]
    bot.set_now(tomorrow(bot, 10))
    await run_job(bot, "scheduled-posts")
    await bot.services.sender.drain()
    assert news(bot, reader, start) == []
    # another, sent at once from /broadcasts
    await schedule_at_nine(bot, admin)
    await admin.send("/broadcasts")
    now = await admin.press("Send #2 now")
    assert now[0].text == "Scheduled post #2 queued now for 1 subscriber."
    await bot.services.sender.drain()
    assert news(bot, reader, start) == ["Scheduled news"]
    bot.set_now(tomorrow(bot, 9))
    await run_job(bot, "scheduled-posts")
    await bot.services.sender.drain()
    assert news(bot, reader, start) == ["Scheduled news"]


async def test_reload_names_the_kinds_in_the_staff_language(bot: Harness) -> None:
    admin = bot.user(language_code="ru", user_id=ADMIN)
    text = (await admin.send("/reload")).last.text
    assert text.startswith("✅ Содержимое обновлено:")
    assert "source" not in text and "period" not in text and "event" not in text


async def test_channel_during_post_drops_the_draft_and_waits_for_a_channel(bot: Harness) -> None:
    admin = bot.user(language_code="en", user_id=ADMIN)
    await admin.send("/post")
    replies = await admin.send("/channel")
    assert replies[0].text == "The news draft was dropped."
    assert replies.last.text.startswith("Forward me a post from the channel")
    bot.api.add_channel("@untj_next", -1005550013, "Next", bot_can_post=True)
    assert (await admin.send("@untj_next")).last.text.startswith("✅ Channel “Next” is linked")
    assert await bot.services.db.drafts.of_user(ADMIN) is None


async def test_an_unknown_command_during_post_drops_the_draft_and_is_answered(
    bot: Harness,
) -> None:
    admin = bot.user(language_code="en", user_id=ADMIN)
    await admin.send("/post")
    replies = await admin.send("/nosuchcommand")
    assert replies[0].text == "The news draft was dropped."
    assert replies.last.text.startswith("I don't know this command")


async def test_a_conversation_still_answers_after_many_applications_in_one_process(
    bot: Harness,
) -> None:
    """The conversations' handlers are module objects that every Application names again:
    after more builds than Python's recursion limit (a long test run, the sandbox's
    restarts) a command during /post raised RecursionError and got the apology."""
    for _ in range(sys.getrecursionlimit() + 100):
        build_application(bot.config, features=FEATURES)
    await bot.restart()
    admin = bot.user(language_code="en", user_id=ADMIN)
    await admin.send("/post")
    replies = await admin.send("/help")
    assert replies[0].text == "The news draft was dropped."
    assert replies.last.text.startswith("What I can do")
