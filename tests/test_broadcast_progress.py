"""The staff member's progress message of a broadcast, without Telegram: what the follower
edits when the message is gone, when the database fails for a moment, and when its
process stops and another takes over."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, cast

import pytest
from telegram import Bot
from telegram.error import BadRequest

from bot import broadcasts
from bot.broadcasts import ProgressFollowers
from bot.i18n import I18n
from bot.storage import Database

pytestmark = pytest.mark.storage

STAFF_CHAT, MESSAGE = 777, 41


class Telegram:
    """What a follower sees of the Bot API: edits recorded, or the answer set refusing them."""

    def __init__(self) -> None:
        self.edits: list[tuple[int, int, str]] = []
        self.refusal: Exception | None = None

    async def edit_message_text(self, text: str, *, chat_id: int, message_id: int) -> Any:
        if self.refusal is not None:
            raise self.refusal
        self.edits.append((chat_id, message_id, text))
        return True

    def texts(self) -> list[str]:
        return [text for _, _, text in self.edits]


@pytest.fixture
async def db(db_target: Path | str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Database]:
    monkeypatch.setattr(broadcasts, "PROGRESS_EVERY", 0.05)
    database = await Database.open(db_target)
    try:
        yield database
    finally:
        await database.close()


async def push_to(db: Database, readers: int) -> int:
    for chat in range(1, readers + 1):
        await db.chats.seen_user(chat, "en")
        await db.changes.set_subscription(chat, "news", True)
    push_id, _ = await db.outbox.queue("news:progress", "news", {"en": "News"})
    return push_id


async def deliver(db: Database, count: int) -> None:
    for row in await db.outbox.claim(int(time.time()) + 60, count):
        await db.outbox.mark_sent(row.id, 1000 + row.id)


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "not reached"
        await asyncio.sleep(0.02)


def followers(db: Database, telegram: Telegram, process: str) -> ProgressFollowers:
    return ProgressFollowers(db, cast(Bot, telegram), I18n(), process)


async def test_the_report_reaches_the_message_and_a_deleted_one_is_let_go(db: Database) -> None:
    push_id = await push_to(db, 3)
    telegram = Telegram()
    mine = followers(db, telegram, "one")
    try:
        await mine.show(push_id, STAFF_CHAT, MESSAGE, "ru")
        await until(lambda: any("Идет рассылка" in t for t in telegram.texts()))
        assert {(chat, message) for chat, message, _ in telegram.edits} == {(STAFF_CHAT, MESSAGE)}
        await deliver(db, 1)
        await until(lambda: any("Доставлено: 1" in t for t in telegram.texts()))
        telegram.refusal = BadRequest("Message to edit not found")  # the staff member deleted it
        await deliver(db, 1)
        await until(lambda: not mine._tasks)  # the follower ends instead of trying on
        assert await mine.adopt() == 0  # and nobody is left to follow it
    finally:
        await mine.stop()


async def test_a_database_error_is_retried_and_the_report_still_comes(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    push_id = await push_to(db, 2)
    telegram = Telegram()
    mine = followers(db, telegram, "one")
    tick = db.progress.tick
    failures = 0

    async def failing_once(*args: Any) -> bool:
        nonlocal failures
        if failures == 0:
            failures += 1
            raise OSError("connection reset")
        return await tick(*args)

    monkeypatch.setattr(db.progress, "tick", failing_once)
    try:
        await mine.show(push_id, STAFF_CHAT, MESSAGE, "en")
        await deliver(db, 2)
        await until(lambda: any("Broadcast finished" in t for t in telegram.texts()))
        assert failures == 1 and "Sent: 2 · failed: 0" in telegram.texts()[-1]
    finally:
        await mine.stop()


async def test_a_stopping_process_hands_over_at_once_and_no_message_is_followed_twice(
    db: Database,
) -> None:
    push_id = await push_to(db, 2)
    first_telegram, second_telegram = Telegram(), Telegram()
    first = followers(db, first_telegram, "first")
    second = followers(db, second_telegram, "second")
    try:
        await first.show(push_id, STAFF_CHAT, MESSAGE, "tg")
        await until(lambda: bool(first_telegram.edits))
        assert await first.adopt() == 0  # its own live follower: not a second one
        assert await second.adopt() == 0  # it ticks: nothing to take over
        await first.stop()  # a graceful stop: no quiet time to wait out
        assert await second.adopt() == 1
        await deliver(db, 2)
        await until(lambda: any("Ирсол анҷом ёфт" in t for t in second_telegram.texts()))
        assert second_telegram.edits[-1][:2] == (STAFF_CHAT, MESSAGE)
    finally:
        await first.stop()
        await second.stop()
