"""Groups and channels end to end, and the per-group rate limit."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.delivery import GROUP_MAX, RateLimiter
from bot.reminders import queue_reminders
from fakegram.harness import Harness
from fakegram.protocol import BOT_ID

GROUP = -4001
ADMIN = 777


@pytest.fixture
async def bot(tmp_path: Path, small_content: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path, content_dir=small_content, admin_ids=frozenset({ADMIN}))
    h.set_now(dt.datetime(2027, 3, 2, 3, 0, tzinfo=dt.UTC))
    async with h:
        yield h


def in_group(bot: Harness, lang: str = "en", admin: bool = False, user_id: int | None = None):
    member = bot.user(language_code=lang, chat=bot.api.group_chat(GROUP), user_id=user_id)
    bot.api.state.members[(GROUP, member.user.id)] = "administrator" if admin else "member"
    return member


async def test_commands_with_and_without_the_bots_name(bot: Harness) -> None:
    member = in_group(bot)
    assert (await member.send("/help")).last.text.startswith("What I can do")
    assert (await member.send(f"/help@{bot.api.username}")).last.text.startswith("What I can do")
    assert await member.send("/help@some_other_bot") == []


async def test_ordinary_chatter_is_ignored_and_replies_to_the_bot_are_answered(
    bot: Harness,
) -> None:
    member = in_group(bot)
    assert await member.send("hello everyone, glaciers are melting") == []
    assert await member.send("/nosuchcommand") == []  # maybe another bot's command
    answer = (await member.send("/start")).last
    assert "Group admins: /subscribe and /settings" in answer.text  # short in groups
    replies = await member.send("UNHCR", reply_to=answer.message)
    assert replies.last.text.startswith("Found for “UNHCR”:")


async def test_only_group_admins_change_group_settings(bot: Harness) -> None:
    member = in_group(bot)
    refused = (await member.send("/subscribe")).last.text
    assert refused == "Only the group's admins can change its settings."
    assert await bot.services.db.settings.subscriptions(GROUP) == frozenset()
    admin = in_group(bot, admin=True)
    assert (await admin.send("/subscribe")).last.text.startswith("Done!")
    assert await bot.services.db.settings.subscriptions(GROUP) == {"reminders", "news"}
    assert (
        await member.press("Русский")
    ).last.text == "Only the group's admins can change its settings."
    edited = (await admin.press("Русский")).last
    assert edited.text.startswith("Настройки группы")
    # the group now speaks Russian to everyone, whatever their own language
    assert (await member.send("/help")).last.text.startswith("Что я умею")
    scope = f'{{"chat_id": {GROUP}, "type": "chat"}}'
    assert bot.api.state.commands[(scope, "")][0]["description"].startswith("Начало")


async def test_group_subscription_receives_the_reminder(bot: Harness) -> None:
    admin = in_group(bot, lang="tg", admin=True)
    await admin.send("/subscribe")
    start = bot.api.last_seq
    bot.set_now(dt.datetime(2027, 3, 2, 4, 0, 1, tzinfo=dt.UTC))
    await queue_reminders(bot.services)
    call = await bot.api.wait_for_call(
        lambda c: c.method == "sendMessage" and c.params["chat_id"] == GROUP and c.error is None,
        after=start,
    )
    assert "Дар ҳамин рӯз, 35 сол пеш" in call.params["text"]


async def test_kicked_then_added_back_and_migration(bot: Harness) -> None:
    admin = in_group(bot, admin=True)
    await admin.send("/subscribe")
    kicked = bot.api.member_update(admin.user, admin.chat, "member", "kicked")
    await bot.api.wait_done(kicked)
    assert (await bot.services.db.chats.get_user(GROUP)).blocked  # type: ignore[union-attr]
    assert (await bot.services.db.outbox.queue("news:x", "news", {"en": "x"}))[1] == 0
    added = bot.api.member_update(admin.user, admin.chat, "left", "member")
    await bot.api.wait_done(added)
    assert not (await bot.services.db.chats.get_user(GROUP)).blocked  # type: ignore[union-attr]
    assert await bot.services.db.settings.subscriptions(GROUP) == {"reminders", "news"}  # old settings kept
    new_id = -1009999999999
    update_id = bot.api.add_update(
        {
            "message": {
                "message_id": 50,
                "date": 0,
                "chat": admin.chat,
                "from": admin.user.to_dict(),
                "migrate_to_chat_id": new_id,
            }
        }
    )
    await bot.api.wait_done(update_id)
    assert await bot.services.db.settings.subscriptions(new_id) == {"reminders", "news"}
    assert await bot.services.db.settings.subscriptions(GROUP) == frozenset()


async def test_channel_linking_needs_admin_rights_then_gets_news(bot: Harness) -> None:
    admin = bot.user(language_code="en", user_id=ADMIN)
    bot.api.add_channel("@untj_news", -1005550001, "UN Tajikistan news", bot_can_post=False)
    assert (await admin.send("/channel")).last.text.startswith("Forward me a post")
    refused = (await admin.send("@untj_news")).last.text
    assert refused.startswith("I am not an administrator of “UN Tajikistan news”")
    bot.api.state.bot_rights[-1005550001] = {"can_post_messages": True}
    bot.api.state.members[(-1005550001, BOT_ID)] = "administrator"
    linked = (await admin.send("@untj_news")).last
    assert linked.text.startswith("✅ Channel “UN Tajikistan news” is linked.")
    await admin.press("News")
    await admin.press("Тоҷикӣ")
    assert await bot.services.db.settings.subscriptions(-1005550001) == {"news"}
    start = bot.api.last_seq
    await admin.send("/post")
    await admin.press("Skip Russian")
    await admin.send("Хабари канал")
    await admin.press("Skip English")
    await admin.press("Send to 1")
    call = await bot.api.wait_for_call(
        lambda c: (
            c.method == "sendMessage" and c.params["chat_id"] == -1005550001 and c.error is None
        ),
        after=start,
    )
    assert call.params["text"] == "Хабари канал"
    other = bot.user(language_code="en")
    await other.send("/start")
    assert (await other.press(data="ch:topic:-1005550001:news")).last.alert  # not staff


async def test_forwarded_post_links_a_channel(bot: Harness) -> None:
    admin = bot.user(language_code="en", user_id=ADMIN)
    channel = bot.api.add_channel("@forwarded", -1005550002, "Forwarded channel", bot_can_post=True)
    await admin.send("/channel")
    update_id = bot.api.add_update(
        {
            "message": {
                "message_id": 77,
                "date": 0,
                "chat": admin.chat,
                "from": admin.user.to_dict(),
                "text": "a post",
                "forward_origin": {"type": "channel", "chat": channel, "message_id": 5, "date": 0},
            }
        }
    )
    await bot.api.wait_done(update_id)
    assert -1005550002 in [c for c, _, _ in await bot.services.db.chats.of_kind("channel")]


async def test_paid_broadcast_flag_and_rate(bot: Harness) -> None:
    for _ in range(60):
        user = bot.user(language_code="en")
        await bot.services.db.chats.seen_user(user.user.id, "en")
        await bot.services.db.changes.set_subscription(user.user.id, "news", True)
    admin = bot.user(language_code="en", user_id=ADMIN)
    await admin.send("/post")
    await admin.press("Skip Russian")
    await admin.press("Skip Tajik")
    preview = (await admin.send("Urgent")).last
    assert (
        "Paid broadcast (up to 1,000 messages a second, paid in Telegram Stars): off."
        in preview.text
    )
    assert (
        "Paid broadcast (up to 1,000 messages a second, paid in Telegram Stars): on."
        in (await admin.press("Switch paid broadcast")).last.text
    )
    start = bot.api.last_seq
    began = time.monotonic()
    await admin.press("Send to 60")
    await bot.services.sender.drain(everything=True)
    elapsed = time.monotonic() - began
    calls = [
        c for c in bot.api.calls("sendMessage", after=start) if c.params.get("allow_paid_broadcast")
    ]
    assert len(calls) == 60
    assert elapsed < 60 / 29  # faster than the ordinary limit could ever allow


def test_group_limit_twenty_a_minute_while_private_chats_go_on() -> None:
    now = [1000.0]
    limiter = RateLimiter(29, clock=lambda: now[0])
    for _ in range(GROUP_MAX):
        assert limiter.chat_delay(GROUP) == 0
        limiter.record(GROUP)
        now[0] += 0.5
    assert limiter.chat_delay(GROUP) == pytest.approx(60 - GROUP_MAX * 0.5)  # the 21st waits
    for chat in range(1, 100):  # private chats are not held up by the group
        assert limiter.chat_delay(chat) == 0
        limiter.record(chat)
    assert limiter.chat_delay(1) == pytest.approx(1.0)  # one a second per private chat
    now[0] += 60
    assert limiter.chat_delay(GROUP) == 0
