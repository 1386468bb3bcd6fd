"""The sender against a Bot API that fails: every row ends sent or failed with its reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fakegram.harness import Harness


@pytest.fixture
async def bot(tmp_path: Path, small_content: Path) -> AsyncIterator[Harness]:
    async with Harness(tmp_path, content_dir=small_content) as h:
        yield h


async def subscribe(bot: Harness, n: int) -> list[int]:
    ids = []
    for _ in range(n):
        user = bot.user(language_code="en")
        await bot.services.db.chats.seen_user(user.user.id, "en")
        await bot.services.db.changes.set_subscription(user.user.id, "news", True)
        ids.append(user.user.id)
    return ids


async def queue_news(bot: Harness, key: str = "news:test") -> int:
    push_id, _ = await bot.services.db.outbox.queue(
        key, "news", {"en": "<b>News</b>", "ru": "Новость", "tg": "Хабар"}
    )
    bot.services.sender.wake()
    return push_id


async def test_each_error_of_the_bot_api_ends_as_it_should(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.delivery as delivery

    monkeypatch.setattr(delivery, "BACKOFF_BASE", 1.0)  # retry after a second, not 2, 4, 8…
    ok, limited, blocked, gone, flaky, slow, migrated = await subscribe(bot, 7)
    api = bot.api
    only = lambda chat: lambda p: p.get("chat_id") == chat  # noqa: E731
    api.fail("sendMessage", 429, retry_after=1, when=only(limited))
    api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user", when=only(blocked))
    api.fail("sendMessage", 400, "Bad Request: chat not found", when=only(gone))
    api.fail("sendMessage", 502, "Bad Gateway", times=2, when=only(flaky))
    api.fail("sendMessage", delay=1.5, when=only(slow))
    api.fail(
        "sendMessage",
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        migrate_to_chat_id=-1001234567890,
        when=only(migrated),
    )
    push_id = await queue_news(bot)
    await bot.services.sender.drain(timeout=40, everything=True)
    rows = {r["chat_id"]: r for r in await bot.services.db.outbox.rows(push_id)}
    assert rows[ok]["state"] == "sent" and rows[ok]["message_id"]
    assert (
        rows[limited]["state"] == "sent" and rows[limited]["attempts"] == 1
    )  # a 429 is no attempt
    assert (
        rows[blocked]["state"] == "failed"
        and rows[blocked]["reason"] == "403: Forbidden: bot was blocked by the user"
    )
    assert rows[gone]["state"] == "failed" and rows[gone]["reason"] == "400: Chat not found"
    assert rows[flaky]["state"] == "sent" and rows[flaky]["attempts"] == 3
    assert rows[slow]["state"] == "sent"
    assert -1001234567890 in rows and rows[-1001234567890]["state"] == "sent"
    assert (await bot.services.db.chats.get_user(blocked)).blocked  # type: ignore[union-attr]
    counts = await bot.services.db.outbox.counts(push_id)
    assert counts["pending"] == counts["inflight"] == 0
    # the blocked user is left out of the next push
    second = await queue_news(bot, "news:second")
    assert blocked not in {r["chat_id"] for r in await bot.services.db.outbox.rows(second)}


async def test_gives_up_after_max_attempts_with_the_reason(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.delivery as delivery

    monkeypatch.setattr(delivery, "BACKOFF_BASE", 0.01)
    (_chat,) = await subscribe(bot, 1)
    bot.api.fail("sendMessage", 500, "Internal Server Error", times=100)
    push_id = await queue_news(bot)
    await bot.services.sender.drain(timeout=30, everything=True)
    (row,) = await bot.services.db.outbox.rows(push_id)
    assert row["state"] == "failed" and row["attempts"] == delivery.MAX_ATTEMPTS
    assert row["reason"].startswith(f"gave up after {delivery.MAX_ATTEMPTS} attempts")


async def test_queuing_twice_queues_once(bot: Harness) -> None:
    await subscribe(bot, 3)
    db = bot.services.db
    first = await db.outbox.queue("k", "news", {"en": "x"})
    second = await db.outbox.queue("k", "news", {"en": "x"})
    assert first == (first[0], 3) and second == (first[0], 0)


async def test_graceful_stop_releases_unsent_rows(bot: Harness) -> None:
    await subscribe(bot, 5)
    bot.api.fail("sendMessage", delay=30, times=5)
    push_id = await queue_news(bot)
    await bot.api.wait_for_call(lambda c: c.method == "sendMessage")
    await bot.services.sender.stop(grace=0.2)
    counts = await bot.services.db.outbox.counts(push_id)
    assert counts["inflight"] == 0 and counts["pending"] == 5
