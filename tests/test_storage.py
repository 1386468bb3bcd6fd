from pathlib import Path

import pytest

from bot.storage import Database
from bot.storage.migrations import MIGRATIONS
from bot.storage.progress import Watched


async def test_migrations_are_idempotent(db_target: Path | str) -> None:
    db = await Database.open(db_target)
    assert await db.schema_version() == len(MIGRATIONS)
    await db.close()
    db = await Database.open(db_target)  # reopening applies nothing twice
    assert await db.schema_version() == len(MIGRATIONS)
    await db.close()


@pytest.mark.sqlite_only
async def test_sqlite_file_is_made_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "db" / "bot.sqlite3"  # its folder is made too
    db = await Database.open(path)
    row = await db.conn.fetchone("PRAGMA journal_mode")
    assert row is not None and row[0] == "wal"
    row = await db.conn.fetchone("PRAGMA foreign_keys")
    assert row is not None and row[0] == 1
    await db.close()
    assert path.exists()


async def test_users_language_settings_subscriptions(db_target: Path | str) -> None:
    db = await Database.open(db_target)
    user = await db.chats.seen_user(42, "en")
    assert user.chosen_language is None and user.telegram_language == "en"
    await db.changes.set_language(42, "tg")
    user = await db.chats.get_user(42)
    assert user is not None and user.chosen_language == "tg"
    await db.changes.set_blocked(42, True)
    user = await db.chats.get_user(42)
    assert user is not None and user.blocked
    assert not (await db.chats.seen_user(42, "en")).blocked  # writing again unblocks
    assert (await db.settings.get_settings(42)).reminder_hour == 9
    settings = await db.changes.update_settings(42, reminder_hour=7, silent=True)
    assert (settings.reminder_hour, settings.silent) == (7, True)
    assert await db.changes.set_subscription(42, "news", True)
    assert not await db.changes.set_subscription(42, "news", True)
    assert await db.settings.subscriptions(42) == {"news"}
    with pytest.raises(ValueError):
        await db.changes.set_language(42, "de")
    with pytest.raises(ValueError):
        await db.changes.update_settings(42, reminder_hour=24)
    await db.close()


@pytest.mark.sqlite_only  # the schema version is SQLite's user_version here
async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    await db.conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    await db.close()
    with pytest.raises(RuntimeError, match="newer than this bot knows"):
        await Database.open(tmp_path / "bot.sqlite3")


@pytest.mark.sqlite_only  # a database left at version 5, made with SQLite's user_version
async def test_timeline_file_ids_leave_the_health_status(tmp_path: Path) -> None:
    """Migration 6: cached file ids move to their own table; health no longer prints them."""
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    await db.conn.execute("PRAGMA user_version = 5")
    for later in ("file_cache", "drafts", "scheduled"):  # what migrations 6 and after made
        await db.conn.execute(f"DROP TABLE IF EXISTS {later}")
    await db.status.set({"heartbeat": "1", "timeline:en:abc": "photo-38"})
    await db.close()
    db = await Database.open(path)
    assert await db.status.file_id("timeline:en:abc") == "photo-38"
    assert "timeline:en:abc" not in await db.status.health()
    assert (await db.status.health())["heartbeat"] == "1"
    await db.close()


async def _subscribers(db: Database, count: int) -> None:
    async with db.conn.transaction() as tx:
        await tx.executemany(
            "INSERT INTO users (id, created_at, last_seen_at) VALUES (?, 0, 0)",
            [(i,) for i in range(1, count + 1)],
        )
        await tx.executemany(
            "INSERT INTO subscriptions (user_id, topic, created_at) VALUES (?, 'news', 0)",
            [(i,) for i in range(1, count + 1)],
        )


async def test_queuing_is_chunked_and_an_interrupted_queue_completes_once(
    db_target: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Big pushes are written in short transactions: other statements run in between, and a
    queue interrupted half-way (a crash) is completed by the next run, each row once."""
    import asyncio

    from bot.storage import outbox

    monkeypatch.setattr(outbox, "QUEUE_CHUNK", 50)
    db = await Database.open(db_target)
    await _subscribers(db, 1000)
    interleaved = 0

    async def reader() -> None:
        nonlocal interleaved
        while True:
            await db.chats.count()
            interleaved += 1
            await asyncio.sleep(0)

    reading = asyncio.create_task(reader())
    task = asyncio.create_task(db.outbox.queue("news:1", "news", {"ru": "x"}))
    for _ in range(100_000):  # until part of the recipients are queued
        if (await db.outbox.counts())["pending"] >= 300:
            break
    task.cancel()  # the crash: part of the recipients queued
    with pytest.raises(asyncio.CancelledError):
        await task
    partial = (await db.outbox.counts())["pending"]
    assert 300 <= partial < 1000
    _, added = await db.outbox.queue("news:1", "news", {"ru": "x"})
    reading.cancel()
    assert partial + added == 1000
    rows = await db.conn.fetchone("SELECT count(*), count(DISTINCT chat_id) FROM outbox")
    assert rows is not None and tuple(rows) == (1000, 1000)
    assert interleaved > 1000 // 50  # the reader got in between the chunks
    await db.close()


async def _sessions(db: Database) -> int:
    """Sessions PostgreSQL has opened for this database so far."""
    row = await db.conn.fetchone(
        "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
    )
    assert row is not None
    return int(row[0])


@pytest.mark.postgresql_only
async def test_one_sender_at_a_time_and_a_standby_keeps_one_session(db_target: str) -> None:
    first, second = await Database.open(db_target), await Database.open(db_target)
    active, standby = first.sender_lease(), second.sender_lease()
    try:
        assert await active.acquire()
        await standby.acquire()  # its session is open from here on
        before = await _sessions(second)
        tries = [await standby.acquire() for _ in range(5)]
        opened = await _sessions(second) - before
        assert tries == [False] * 5 and await active.held()
        assert opened == 0, f"the standby opened {opened} sessions for 5 tries"
        await active.release()
        assert not await active.held()
        assert await standby.acquire() and await standby.held()
    finally:
        await active.release()
        await standby.release()
        await first.close()
        await second.close()


async def test_a_quiet_progress_message_is_taken_over(db_target: Path | str) -> None:
    db = await Database.open(db_target)
    names = iter(["second", "third"])
    try:
        push_id, _ = await db.outbox.queue("news:progress", "news", {"en": "News"})
        watched = Watched(push_id, 777, 41, "tg", 1_700_000_000_000)
        other = Watched(push_id, 778, 42, "en", 1_700_000_000_000)  # the same push, twice
        await db.progress.watch(watched, "first")
        await db.progress.watch(other, "first")
        assert await db.progress.adopt(lambda: next(names), quiet_for=60) == []  # it ticks
        assert await db.progress.tick(watched, "first")
        # gone quiet (-1: a tick in this very second counts as quiet): another takes it,
        # but not the one this process still follows
        adopted = await db.progress.adopt(lambda: next(names), quiet_for=-1, skip={other.key})
        assert adopted == [(watched, "second")]
        assert not await db.progress.tick(watched, "first")  # the old follower stops
        assert await db.progress.tick(watched, "second") and await db.progress.tick(other, "first")
        await db.progress.let_go(["first"])  # its process stops: taken over at once
        assert await db.progress.adopt(lambda: next(names), quiet_for=60) == [(other, "third")]
        await db.progress.finish(watched)
        assert not await db.progress.tick(watched, "second")
        assert await db.progress.tick(other, "third")
    finally:
        await db.close()
