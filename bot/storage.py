"""The one owner of the SQLite database: connection, schema migrations and every query.

One aiosqlite connection serves the whole bot (WAL, foreign keys, busy timeout). Because
coroutines share it, every method runs under one asyncio lock: a transaction begun by one
coroutine can never swallow another coroutine's statement. SQL lives only in this module.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

LANGUAGES = ("ru", "tg", "en")
TOPICS = ("reminders", "news")
DEFAULT_REMINDER_HOUR = 9

# Each entry moves the schema one version up; never edit a released one, append a new one.
MIGRATIONS: tuple[str, ...] = (
    # 1: users, their settings and subscriptions
    """
    CREATE TABLE users (
        id                INTEGER PRIMARY KEY,
        language          TEXT CHECK (language IN ('ru', 'tg', 'en')),
        telegram_language TEXT,
        created_at        INTEGER NOT NULL,
        last_seen_at      INTEGER NOT NULL,
        blocked_at        INTEGER
    );
    CREATE TABLE settings (
        user_id       INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        reminder_hour INTEGER NOT NULL DEFAULT 9 CHECK (reminder_hour BETWEEN 0 AND 23),
        timezone      TEXT,
        silent        INTEGER NOT NULL DEFAULT 0 CHECK (silent IN (0, 1))
    );
    CREATE TABLE subscriptions (
        user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        topic      TEXT NOT NULL CHECK (topic IN ('reminders', 'news')),
        created_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, topic)
    ) WITHOUT ROWID;
    CREATE INDEX subscriptions_by_topic ON subscriptions(topic, user_id);
    """,
    # 2: the content store, replaced as a whole by the loader
    """
    CREATE TABLE content_items (
        kind     TEXT NOT NULL,
        id       TEXT NOT NULL,
        position INTEGER NOT NULL,
        topic    TEXT,
        period   TEXT,
        date     TEXT,
        month    INTEGER,
        day      INTEGER,
        body     TEXT NOT NULL,
        PRIMARY KEY (kind, id)
    ) WITHOUT ROWID;
    CREATE INDEX content_by_day ON content_items(month, day) WHERE day IS NOT NULL;
    CREATE TABLE content_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
)


@dataclass(frozen=True, slots=True)
class User:
    id: int
    chosen_language: str | None
    telegram_language: str | None
    created_at: int
    last_seen_at: int
    blocked: bool


@dataclass(frozen=True, slots=True)
class Settings:
    reminder_hour: int
    timezone: str | None
    silent: bool


@dataclass(frozen=True, slots=True)
class ContentRow:
    kind: str
    id: str
    position: int
    topic: str | None
    period: str | None
    date: str | None
    month: int | None
    day: int | None
    body: str


def now() -> int:
    return int(time.time())


class Database:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        db = cls(conn)
        try:
            await conn.execute("PRAGMA busy_timeout = 5000")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await db._migrate()
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Hold the lock for a whole BEGIN…COMMIT so no other coroutine interleaves."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def _fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        async with self._lock, self._conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        async with self._lock, self._conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._lock, self._conn.execute(sql, params) as cur:
            return cur.rowcount

    # -- schema -------------------------------------------------------------------------

    async def schema_version(self) -> int:
        row = await self._fetchone("PRAGMA user_version")
        assert row is not None
        return int(row[0])

    async def _migrate(self) -> None:
        current = await self.schema_version()
        if current > len(MIGRATIONS):
            raise RuntimeError(
                f"the database schema is version {current}, newer than this bot knows "
                f"({len(MIGRATIONS)}); run a newer release"
            )
        for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
            # executescript would COMMIT first; run statement by statement in one transaction.
            async with self._transaction() as conn:
                for statement in script.split(";"):
                    if statement.strip():
                        await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {version}")

    # -- users ----------------------------------------------------------------------------

    async def seen_user(self, user_id: int, telegram_language: str | None) -> User:
        """Record that a user wrote to us; a user who writes again is no longer blocked."""
        ts = now()
        row = await self._fetchone(
            """
            INSERT INTO users (id, telegram_language, created_at, last_seen_at)
            VALUES (?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                telegram_language = excluded.telegram_language,
                last_seen_at = excluded.last_seen_at,
                blocked_at = NULL
            RETURNING id, language, telegram_language, created_at, last_seen_at, blocked_at
            """,
            (user_id, telegram_language, ts, ts),
        )
        assert row is not None
        return _user(row)

    async def get_user(self, user_id: int) -> User | None:
        row = await self._fetchone(
            "SELECT id, language, telegram_language, created_at, last_seen_at, blocked_at "
            "FROM users WHERE id = ?",
            (user_id,),
        )
        return _user(row) if row else None

    async def set_language(self, user_id: int, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        ts = now()
        await self._execute(
            """
            INSERT INTO users (id, language, created_at, last_seen_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET language = excluded.language
            """,
            (user_id, language, ts, ts),
        )

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        await self._execute(
            "UPDATE users SET blocked_at = ? WHERE id = ?", (now() if blocked else None, user_id)
        )

    async def count_users(self) -> int:
        row = await self._fetchone("SELECT count(*) FROM users")
        return int(row[0]) if row else 0

    # -- settings and subscriptions -------------------------------------------------------

    async def get_settings(self, user_id: int) -> Settings:
        row = await self._fetchone(
            "SELECT reminder_hour, timezone, silent FROM settings WHERE user_id = ?", (user_id,)
        )
        if row is None:
            return Settings(DEFAULT_REMINDER_HOUR, None, False)
        return Settings(int(row[0]), row[1], bool(row[2]))

    async def update_settings(
        self,
        user_id: int,
        *,
        reminder_hour: int | None = None,
        timezone: str | None = None,
        silent: bool | None = None,
    ) -> Settings:
        if reminder_hour is not None and not 0 <= reminder_hour <= 23:
            raise ValueError("reminder_hour must be 0..23")
        async with self._transaction() as conn:
            await conn.execute(
                "INSERT INTO settings (user_id) VALUES (?) ON CONFLICT (user_id) DO NOTHING",
                (user_id,),
            )
            await conn.execute(
                """
                UPDATE settings SET
                    reminder_hour = coalesce(?, reminder_hour),
                    timezone = coalesce(?, timezone),
                    silent = coalesce(?, silent)
                WHERE user_id = ?
                """,
                (reminder_hour, timezone, None if silent is None else int(silent), user_id),
            )
            async with conn.execute(
                "SELECT reminder_hour, timezone, silent FROM settings WHERE user_id = ?",
                (user_id,),
            ) as cur:
                row = await cur.fetchone()
        assert row is not None
        return Settings(int(row[0]), row[1], bool(row[2]))

    async def set_subscription(self, user_id: int, topic: str, on: bool) -> bool:
        """Return True when something changed (so the reply can say "already subscribed")."""
        if topic not in TOPICS:
            raise ValueError(f"unknown topic {topic!r}")
        if on:
            return (
                await self._execute(
                    "INSERT INTO subscriptions (user_id, topic, created_at) VALUES (?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (user_id, topic, now()),
                )
                > 0
            )
        return (
            await self._execute(
                "DELETE FROM subscriptions WHERE user_id = ? AND topic = ?", (user_id, topic)
            )
            > 0
        )

    async def subscriptions(self, user_id: int) -> frozenset[str]:
        rows = await self._fetchall("SELECT topic FROM subscriptions WHERE user_id = ?", (user_id,))
        return frozenset(r[0] for r in rows)

    # -- content --------------------------------------------------------------------------

    async def replace_content(self, rows: Iterable[ContentRow], meta: dict[str, str]) -> None:
        """Swap the whole content store in one transaction: readers see old or new, never half."""
        async with self._transaction() as conn:
            await conn.execute("DELETE FROM content_items")
            await conn.execute("DELETE FROM content_meta")
            await conn.executemany(
                "INSERT INTO content_items "
                "(kind, id, position, topic, period, date, month, day, body) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (r.kind, r.id, r.position, r.topic, r.period, r.date, r.month, r.day, r.body)
                    for r in rows
                ),
            )
            await conn.executemany(
                "INSERT INTO content_meta (key, value) VALUES (?, ?)", meta.items()
            )

    async def content_meta(self, key: str) -> str | None:
        row = await self._fetchone("SELECT value FROM content_meta WHERE key = ?", (key,))
        return row[0] if row else None

    async def content_items(self, kind: str) -> list[ContentRow]:
        rows = await self._fetchall(
            "SELECT kind, id, position, topic, period, date, month, day, body "
            "FROM content_items WHERE kind = ? ORDER BY position",
            (kind,),
        )
        return [ContentRow(*r) for r in rows]

    async def content_item(self, kind: str, item_id: str) -> ContentRow | None:
        row = await self._fetchone(
            "SELECT kind, id, position, topic, period, date, month, day, body "
            "FROM content_items WHERE kind = ? AND id = ?",
            (kind, item_id),
        )
        return ContentRow(*row) if row else None

    async def content_counts(self) -> dict[str, int]:
        rows = await self._fetchall("SELECT kind, count(*) FROM content_items GROUP BY kind")
        return {r[0]: int(r[1]) for r in rows}


def _user(row: aiosqlite.Row) -> User:
    return User(
        id=int(row[0]),
        chosen_language=row[1],
        telegram_language=row[2],
        created_at=int(row[3]),
        last_seen_at=int(row[4]),
        blocked=row[5] is not None,
    )
