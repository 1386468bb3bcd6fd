from pathlib import Path

import pytest

from bot.storage import MIGRATIONS, Database


async def test_schema_wal_and_migrations_are_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "db" / "bot.sqlite3"
    db = await Database.open(path)
    assert await db.schema_version() == len(MIGRATIONS)
    row = await db._fetchone("PRAGMA journal_mode")
    assert row is not None and row[0] == "wal"
    row = await db._fetchone("PRAGMA foreign_keys")
    assert row is not None and row[0] == 1
    await db.close()
    db = await Database.open(path)  # reopening applies nothing twice
    assert await db.schema_version() == len(MIGRATIONS)
    await db.close()


async def test_users_language_settings_subscriptions(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    user = await db.seen_user(42, "en")
    assert user.chosen_language is None and user.telegram_language == "en"
    await db.set_language(42, "tg")
    assert (await db.get_user(42)).chosen_language == "tg"  # type: ignore[union-attr]
    await db.set_blocked(42, True)
    assert (await db.get_user(42)).blocked  # type: ignore[union-attr]
    assert not (await db.seen_user(42, "en")).blocked  # writing again unblocks
    assert (await db.get_settings(42)).reminder_hour == 9
    settings = await db.update_settings(42, reminder_hour=7, silent=True)
    assert (settings.reminder_hour, settings.silent) == (7, True)
    assert await db.set_subscription(42, "news", True)
    assert not await db.set_subscription(42, "news", True)
    assert await db.subscriptions(42) == {"news"}
    with pytest.raises(ValueError):
        await db.set_language(42, "de")
    with pytest.raises(ValueError):
        await db.update_settings(42, reminder_hour=24)
    await db.close()


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    await db._execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    await db.close()
    with pytest.raises(RuntimeError, match="newer than this bot knows"):
        await Database.open(tmp_path / "bot.sqlite3")
