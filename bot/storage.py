"""The one owner of the SQLite database: connection, schema migrations and every query.

One aiosqlite connection serves the whole bot (WAL, foreign keys, busy timeout). Because
coroutines share it, every method runs under one asyncio lock: a transaction begun by one
coroutine can never swallow another coroutine's statement. SQL lives only in this module.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

LANGUAGES = ("ru", "tg", "en")
WEIGHT_KEYS, WEIGHT_EXACT, WEIGHT_LOOSE = 20.0, 10.0, 1.0  # search columns
TOPICS = ("reminders", "news")
DEFAULT_REMINDER_HOUR = 9

# Each entry moves the schema one version up; never edit a released one, append a new one.
MIGRATIONS: tuple[str, ...] = (
    # 1: users, their settings and subscriptions
    """
    CREATE TABLE users (
        id                INTEGER PRIMARY KEY,
        kind              TEXT NOT NULL DEFAULT 'private'
                          CHECK (kind IN ('private', 'group', 'supergroup', 'channel')),
        title             TEXT,
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
    # 3: the durable outbox: one push (texts per language), one row per recipient
    """
    CREATE TABLE pushes (
        id         INTEGER PRIMARY KEY,
        key        TEXT NOT NULL UNIQUE,
        topic      TEXT NOT NULL CHECK (topic IN ('reminders', 'news')),
        texts      TEXT NOT NULL,
        options    TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL,
        created_by INTEGER,
        stopped_at INTEGER
    );
    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY,
        push_id         INTEGER NOT NULL REFERENCES pushes(id),
        chat_id         INTEGER NOT NULL,
        lang            TEXT NOT NULL,
        silent          INTEGER NOT NULL DEFAULT 0,
        state           TEXT NOT NULL DEFAULT 'pending'
                        CHECK (state IN ('pending', 'inflight', 'sent', 'failed', 'cancelled')),
        due_at          INTEGER NOT NULL,
        expires_at      INTEGER,
        attempts        INTEGER NOT NULL DEFAULT 0,
        sent_message_id INTEGER,
        reason          TEXT,
        updated_at      INTEGER NOT NULL,
        UNIQUE (push_id, chat_id)
    );
    CREATE INDEX outbox_due ON outbox(due_at) WHERE state = 'pending';
    CREATE INDEX outbox_inflight ON outbox(state) WHERE state = 'inflight';
    CREATE INDEX outbox_by_chat ON outbox(chat_id, state);
    CREATE INDEX outbox_updated ON outbox(updated_at, state);
    """,
    # 4: the search index over the content, one document per item and language
    """
    CREATE VIRTUAL TABLE search USING fts5(
        kind UNINDEXED, item_id UNINDEXED, lang, keys, exact, loose,
        tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4'
    );
    """,
    # 5: what the running bot reports about itself, for the health probe
    """
    CREATE TABLE status (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
)

# The language a user is answered in, in SQL: what they chose, else Telegram's language if
# we speak it, else Russian. Must agree with bot.i18n.resolve_language (a test checks).
EFFECTIVE_LANGUAGE_SQL = """coalesce(
    u.language,
    CASE WHEN lower(substr(u.telegram_language, 1, 2)) IN ('ru', 'tg', 'en')
              AND (length(u.telegram_language) = 2 OR substr(u.telegram_language, 3, 1) IN ('-', '_'))
         THEN lower(substr(u.telegram_language, 1, 2)) ELSE 'ru' END)"""


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
        self.outbox = OutboxStore(self)

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

    async def register_chat(self, chat_id: int, kind: str, title: str | None) -> None:
        """A group or channel the bot serves (users and chats share one table, by chat id)."""
        ts = now()
        await self._execute(
            """
            INSERT INTO users (id, kind, title, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, title = excluded.title,
                last_seen_at = excluded.last_seen_at
            """,
            (chat_id, kind, title, ts, ts),
        )

    async def chat_language(self, chat_id: int) -> str | None:
        row = await self._fetchone("SELECT language FROM users WHERE id = ?", (chat_id,))
        return row[0] if row else None

    async def chats(self, kind: str) -> list[tuple[int, str | None, bool]]:
        """(id, title, active) of the groups or channels the bot knows."""
        rows = await self._fetchall(
            "SELECT id, title, blocked_at IS NULL FROM users WHERE kind = ? ORDER BY id", (kind,)
        )
        return [(int(r[0]), r[1], bool(r[2])) for r in rows]

    async def migrate_chat(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: its settings, subscriptions and queue follow it."""
        async with self._transaction() as conn:
            async with conn.execute("SELECT 1 FROM users WHERE id = ?", (new_id,)) as cur:
                exists = await cur.fetchone()
            if exists is None:
                await conn.execute(
                    "INSERT INTO users (id, kind, title, language, telegram_language, created_at, "
                    "last_seen_at, blocked_at) SELECT ?, 'supergroup', title, language, "
                    "telegram_language, created_at, last_seen_at, blocked_at FROM users WHERE id = ?",
                    (new_id, old_id),
                )
            await conn.execute(
                "INSERT OR IGNORE INTO settings (user_id, reminder_hour, timezone, silent) "
                "SELECT ?, reminder_hour, timezone, silent FROM settings WHERE user_id = ?",
                (new_id, old_id),
            )
            await conn.execute(
                "INSERT OR IGNORE INTO subscriptions (user_id, topic, created_at) "
                "SELECT ?, topic, created_at FROM subscriptions WHERE user_id = ?",
                (new_id, old_id),
            )
            await conn.execute(
                "UPDATE OR IGNORE outbox SET chat_id = ? WHERE chat_id = ? AND state = 'pending'",
                (new_id, old_id),
            )
            await conn.execute(
                "UPDATE outbox SET state = 'cancelled', reason = 'chat migrated', updated_at = ? "
                "WHERE chat_id = ? AND state = 'pending'",
                (now(), old_id),
            )
            await conn.execute("DELETE FROM subscriptions WHERE user_id = ?", (old_id,))
            await conn.execute(
                "UPDATE users SET blocked_at = coalesce(blocked_at, ?) WHERE id = ?",
                (now(), old_id),
            )

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
        async with self._transaction() as conn:
            await conn.execute(
                """
                INSERT INTO users (id, language, created_at, last_seen_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET language = excluded.language
                """,
                (user_id, language, ts, ts),
            )
            # What is queued but not sent yet follows the new language too.
            await conn.execute(
                "UPDATE outbox SET lang = ? WHERE chat_id = ? AND state = 'pending'",
                (language, user_id),
            )

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        await self._execute(
            "UPDATE users SET blocked_at = ? WHERE id = ?", (now() if blocked else None, user_id)
        )

    async def user_stats(self) -> dict[str, Any]:
        """Users by language, active and blocked, and subscribers per topic (for /stats)."""
        by_language = await self._fetchall(
            f"SELECT {EFFECTIVE_LANGUAGE_SQL} AS lang, count(*) FROM users u GROUP BY lang"
        )
        active = await self._fetchone(
            "SELECT count(*) FILTER (WHERE blocked_at IS NULL), "
            "count(*) FILTER (WHERE blocked_at IS NOT NULL) FROM users"
        )
        topics = await self._fetchall(
            "SELECT sub.topic, count(*) FROM subscriptions sub JOIN users u ON u.id = sub.user_id "
            "WHERE u.blocked_at IS NULL GROUP BY sub.topic"
        )
        assert active is not None
        return {
            "languages": {lang: 0 for lang in LANGUAGES} | {r[0]: int(r[1]) for r in by_language},
            "active": int(active[0]),
            "blocked": int(active[1]),
            "topics": {t: 0 for t in TOPICS} | {r[0]: int(r[1]) for r in topics},
        }

    async def subscribers_by_language(self, topic: str) -> dict[str, int]:
        rows = await self._fetchall(
            f"SELECT {EFFECTIVE_LANGUAGE_SQL} AS lang, count(*) FROM subscriptions sub "
            "JOIN users u ON u.id = sub.user_id "
            "WHERE sub.topic = ? AND u.blocked_at IS NULL GROUP BY lang",
            (topic,),
        )
        return {lang: 0 for lang in LANGUAGES} | {r[0]: int(r[1]) for r in rows}

    async def set_status(self, values: dict[str, str]) -> None:
        async with self._transaction() as conn:
            await conn.executemany(
                "INSERT INTO status (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                values.items(),
            )

    async def status_value(self, key: str) -> str | None:
        row = await self._fetchone("SELECT value FROM status WHERE key = ?", (key,))
        return row[0] if row else None

    async def health(self) -> dict[str, Any]:
        """What the health probe reports: content loaded, backlog, the bot's own status."""
        content = await self._fetchone("SELECT count(*) FROM content_items")
        backlog = await self._fetchone(
            "SELECT count(*) FROM outbox WHERE state IN ('pending', 'inflight')"
        )
        status = await self._fetchall("SELECT key, value FROM status")
        return {
            "content_items": int(content[0]) if content else 0,
            "outbox_backlog": int(backlog[0]) if backlog else 0,
            **{r[0]: r[1] for r in status},
        }

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
            if reminder_hour is not None:
                # Reminders already queued for today move with the new hour.
                await conn.execute(
                    """
                    UPDATE outbox SET due_at = due_at + 3600 * (
                        ? - (SELECT reminder_hour FROM settings WHERE user_id = ?))
                    WHERE chat_id = ? AND state = 'pending'
                      AND push_id IN (SELECT id FROM pushes WHERE topic = 'reminders')
                    """,
                    (reminder_hour, user_id, user_id),
                )
            if silent is not None:
                await conn.execute(
                    "UPDATE outbox SET silent = ? WHERE chat_id = ? AND state = 'pending'",
                    (int(silent), user_id),
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

    async def shift_pending_reminders(self, chat_id: int, seconds: int) -> None:
        """Queued reminders keep their local hour when the chat's time zone changes."""
        await self._execute(
            "UPDATE outbox SET due_at = due_at + ?, expires_at = expires_at + ? "
            "WHERE chat_id = ? AND state = 'pending' "
            "AND push_id IN (SELECT id FROM pushes WHERE topic = 'reminders')",
            (seconds, seconds, chat_id),
        )

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
        removed = await self._execute(
            "DELETE FROM subscriptions WHERE user_id = ? AND topic = ?", (user_id, topic)
        )
        await self.outbox.cancel_for_chat(user_id, f"unsubscribed from {topic}", topic)
        return removed > 0

    async def subscriptions(self, user_id: int) -> frozenset[str]:
        rows = await self._fetchall("SELECT topic FROM subscriptions WHERE user_id = ?", (user_id,))
        return frozenset(r[0] for r in rows)

    # -- content --------------------------------------------------------------------------

    async def replace_content(
        self,
        rows: Iterable[ContentRow],
        meta: dict[str, str],
        search_docs: Iterable[tuple[str, str, str, str, str, str]] = (),
    ) -> None:
        """Swap the whole content store and its search index in one transaction: readers
        see old or new, never half."""
        async with self._transaction() as conn:
            await conn.execute("DELETE FROM content_items")
            await conn.execute("DELETE FROM content_meta")
            await conn.execute("DELETE FROM search")
            await conn.executemany(
                "INSERT INTO search (kind, item_id, lang, keys, exact, loose) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                search_docs,
            )
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

    async def search(
        self, match: str, limit: int, *, ranked: bool = True
    ) -> list[tuple[str, str, str, float]]:
        """(kind, item id, language, bm25 score) of the best documents for a MATCH built
        by bot.search.match_expression (never raw user text); unranked: in content order,
        score 0, without computing bm25."""
        if not ranked:
            rows = await self._fetchall(
                "SELECT kind, item_id, lang, 0.0 FROM search WHERE search MATCH ? LIMIT ?",
                (match, limit),
            )
        else:
            rows = await self._fetchall(
                "SELECT kind, item_id, lang, bm25(search, 0, 0, 0, ?, ?, ?) AS score FROM search "
                "WHERE search MATCH ? ORDER BY score LIMIT ?",
                (WEIGHT_KEYS, WEIGHT_EXACT, WEIGHT_LOOSE, match, limit),
            )
        return [(r[0], r[1], r[2], float(r[3])) for r in rows]

    async def search_count(self, match: str, cap: int | None = None) -> int:
        """Documents matching; with `cap`, counting stops there (cap + 1 means "more")."""
        if cap is None:
            row = await self._fetchone("SELECT count(*) FROM search WHERE search MATCH ?", (match,))
        else:
            row = await self._fetchone(
                "SELECT count(*) FROM (SELECT 1 FROM search WHERE search MATCH ? LIMIT ?)",
                (match, cap + 1),
            )
        return int(row[0]) if row else 0

    async def content_items(self, kind: str) -> list[ContentRow]:
        rows = await self._fetchall(
            "SELECT kind, id, position, topic, period, date, month, day, body "
            "FROM content_items WHERE kind = ? ORDER BY position",
            (kind,),
        )
        return [ContentRow(*r) for r in rows]

    async def content_counts(self) -> dict[str, int]:
        rows = await self._fetchall("SELECT kind, count(*) FROM content_items GROUP BY kind")
        return {r[0]: int(r[1]) for r in rows}


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    push_id: int
    chat_id: int
    lang: str
    silent: bool
    attempts: int


class Schedule(Protocol):
    def __call__(self, timezone: str | None, hour: int) -> tuple[int, int | None]:
        """(deliver at, too late after) as unix times, for recipients in this time zone
        who chose this hour. A reminder for a day is not sent once that day is over."""
        ...


class OutboxStore:
    """The durable outbox, on the same connection and lock as everything else."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def queue(
        self,
        key: str,
        topic: str,
        texts: dict[str, str],
        *,
        schedule: Schedule | None = None,
        created_by: int | None = None,
        only_chat: int | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[int, int]:
        """Create the push (once per key) and a row per subscriber of the topic, in one
        transaction. Returns (push id, rows added): queuing twice queues once."""
        if topic not in TOPICS:
            raise ValueError(f"unknown topic {topic!r}")
        ts = now()
        async with self._db._transaction() as conn:
            async with conn.execute(
                "INSERT INTO pushes (key, topic, texts, options, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                (
                    key,
                    topic,
                    json.dumps(texts, ensure_ascii=False),
                    json.dumps(options or {}),
                    ts,
                    created_by,
                ),
            ):
                pass
            async with conn.execute(
                "SELECT id, stopped_at FROM pushes WHERE key = ?", (key,)
            ) as cur:
                row = await cur.fetchone()
            assert row is not None
            push_id = int(row[0])
            if row[1] is not None:
                return push_id, 0
            recipients = """
                FROM subscriptions sub
                JOIN users u ON u.id = sub.user_id
                LEFT JOIN settings s ON s.user_id = sub.user_id
                WHERE sub.topic = ? AND u.blocked_at IS NULL
            """
            base_params: list[Any] = [topic]
            if only_chat is not None:
                recipients += " AND sub.user_id = ?"
                base_params.append(only_chat)
            groups: list[tuple[str | None, int, tuple[int, int | None]]] = []
            if schedule is None:
                groups.append((None, -1, (ts, None)))
            else:
                async with conn.execute(
                    f"SELECT DISTINCT s.timezone, coalesce(s.reminder_hour, {DEFAULT_REMINDER_HOUR}) "
                    + recipients,
                    base_params,
                ) as cur:
                    for tz, hour in await cur.fetchall():
                        groups.append((tz, int(hour), schedule(tz, int(hour))))
            added = 0
            for tz, hour, (due_at, expires_at) in groups:
                where, params = recipients, list(base_params)
                if hour >= 0:
                    where += f" AND s.timezone IS ? AND coalesce(s.reminder_hour, {DEFAULT_REMINDER_HOUR}) = ?"
                    params += [tz, hour]
                async with conn.execute(
                    "INSERT INTO outbox "
                    "(push_id, chat_id, lang, silent, due_at, expires_at, updated_at) "
                    f"SELECT ?, sub.user_id, {EFFECTIVE_LANGUAGE_SQL}, coalesce(s.silent, 0), ?, ?, ? "
                    + where
                    + " ON CONFLICT (push_id, chat_id) DO NOTHING",
                    [push_id, due_at, expires_at, ts, *params],
                ) as cur:
                    added += max(cur.rowcount, 0)
        return push_id, added

    async def push(self, push_id: int) -> Push | None:
        row = await self._db._fetchone(
            "SELECT id, key, topic, texts, options, created_at, created_by, stopped_at "
            "FROM pushes WHERE id = ?",
            (push_id,),
        )
        return _push(row) if row else None

    async def recent_pushes(self, topic: str, limit: int = 10) -> list[Push]:
        rows = await self._db._fetchall(
            "SELECT id, key, topic, texts, options, created_at, created_by, stopped_at "
            "FROM pushes WHERE topic = ? ORDER BY id DESC LIMIT ?",
            (topic, limit),
        )
        return [_push(r) for r in rows]

    async def stop_push(self, push_id: int) -> int:
        """Stop a broadcast: pending rows are cancelled, sent ones stay sent."""
        async with self._db._transaction() as conn:
            await conn.execute(
                "UPDATE pushes SET stopped_at = coalesce(stopped_at, ?) WHERE id = ?",
                (now(), push_id),
            )
            async with conn.execute(
                "UPDATE outbox SET state = 'cancelled', reason = 'broadcast stopped', "
                "updated_at = ? WHERE push_id = ? AND state = 'pending'",
                (now(), push_id),
            ) as cur:
                return cur.rowcount

    async def deliveries_since(self, since: int) -> dict[str, int]:
        rows = await self._db._fetchall(
            "SELECT state, count(*) FROM outbox WHERE updated_at >= ? "
            "AND state IN ('sent', 'failed') GROUP BY state",
            (since,),
        )
        result = {"sent": 0, "failed": 0}
        result.update({r[0]: int(r[1]) for r in rows})
        return result

    async def claim(self, due_before: int, limit: int) -> list[OutboxRow]:
        """Mark due rows in flight before sending them: a crash then repeats at most these.

        Rows whose day is over are cancelled instead: yesterday's "today" is no reminder."""
        await self._db._execute(
            "UPDATE outbox SET state = 'cancelled', reason = 'expired: its day was over', "
            "updated_at = ? WHERE state = 'pending' AND due_at <= ? AND expires_at <= ?",
            (now(), due_before, due_before),
        )
        rows = await self._db._fetchall(
            """
            UPDATE outbox SET state = 'inflight', attempts = attempts + 1, updated_at = ?
            WHERE id IN (
                SELECT id FROM outbox WHERE state = 'pending' AND due_at <= ?
                ORDER BY due_at, id LIMIT ?
            )
            RETURNING id, push_id, chat_id, lang, silent, attempts
            """,
            (now(), due_before, limit),
        )
        return sorted(
            (OutboxRow(int(r[0]), int(r[1]), int(r[2]), r[3], bool(r[4]), int(r[5])) for r in rows),
            key=lambda r: r.id,
        )

    async def next_due(self) -> int | None:
        row = await self._db._fetchone("SELECT min(due_at) FROM outbox WHERE state = 'pending'")
        return int(row[0]) if row and row[0] is not None else None

    async def mark_sent(self, row_id: int, message_id: int) -> None:
        await self._db._execute(
            "UPDATE outbox SET state = 'sent', sent_message_id = ?, reason = NULL, updated_at = ? "
            "WHERE id = ?",
            (message_id, now(), row_id),
        )

    async def mark_failed(self, row_id: int, reason: str) -> None:
        await self._db._execute(
            "UPDATE outbox SET state = 'failed', reason = ?, updated_at = ? WHERE id = ?",
            (reason, now(), row_id),
        )

    async def mark_cancelled(self, row_id: int, reason: str) -> None:
        await self._db._execute(
            "UPDATE outbox SET state = 'cancelled', reason = ?, updated_at = ? WHERE id = ?",
            (reason, now(), row_id),
        )

    async def retry_later(
        self, row_id: int, due_at: int, reason: str, *, count: bool = True
    ) -> None:
        await self._db._execute(
            "UPDATE outbox SET state = 'pending', due_at = ?, reason = ?, updated_at = ?, "
            "attempts = attempts - ? WHERE id = ?",
            (due_at, reason, now(), 0 if count else 1, row_id),
        )

    async def move_chat(self, row_id: int, new_chat_id: int) -> bool:
        """A group became a supergroup: send this row to its new id (unless already queued)."""
        async with self._db._transaction() as conn:
            try:
                await conn.execute(
                    "UPDATE outbox SET chat_id = ?, state = 'pending', updated_at = ? WHERE id = ?",
                    (new_chat_id, now(), row_id),
                )
            except sqlite3.IntegrityError:
                await conn.execute(
                    "UPDATE outbox SET state = 'cancelled', reason = ?, updated_at = ? WHERE id = ?",
                    (f"chat migrated to {new_chat_id}, already queued there", now(), row_id),
                )
                return False
        return True

    async def cancel_for_chat(self, chat_id: int, reason: str, topic: str | None = None) -> int:
        topic_filter = " AND push_id IN (SELECT id FROM pushes WHERE topic = ?)" if topic else ""
        params: list[Any] = [reason, now(), chat_id] + ([topic] if topic else [])
        return await self._db._execute(
            "UPDATE outbox SET state = 'cancelled', reason = ?, updated_at = ? "
            "WHERE chat_id = ? AND state = 'pending'" + topic_filter,
            params,
        )

    async def release_inflight(self, ids: Iterable[int] | None = None) -> int:
        """Back to pending: at start, what a crash left in flight; at stop, what was not sent."""
        if ids is None:
            return await self._db._execute(
                "UPDATE outbox SET state = 'pending', updated_at = ? WHERE state = 'inflight'",
                (now(),),
            )
        id_list = list(ids)
        if not id_list:
            return 0
        marks = ",".join("?" * len(id_list))
        return await self._db._execute(
            f"UPDATE outbox SET state = 'pending', attempts = attempts - 1, updated_at = ? "
            f"WHERE state = 'inflight' AND id IN ({marks})",
            [now(), *id_list],
        )

    async def counts(self, push_id: int | None = None) -> dict[str, int]:
        where, params = ("WHERE push_id = ?", (push_id,)) if push_id is not None else ("", ())
        rows = await self._db._fetchall(
            f"SELECT state, count(*) FROM outbox {where} GROUP BY state", params
        )
        result = {state: 0 for state in ("pending", "inflight", "sent", "failed", "cancelled")}
        result.update({r[0]: int(r[1]) for r in rows})
        return result

    async def rows(self, push_id: int) -> list[dict[str, Any]]:
        rows = await self._db._fetchall(
            "SELECT chat_id, lang, state, attempts, sent_message_id, reason FROM outbox "
            "WHERE push_id = ? ORDER BY id",
            (push_id,),
        )
        return [
            dict(
                zip(
                    ("chat_id", "lang", "state", "attempts", "message_id", "reason"), r, strict=True
                )
            )
            for r in rows
        ]


@dataclass(frozen=True, slots=True)
class Push:
    id: int
    key: str
    topic: str
    texts: dict[str, str]
    options: dict[str, Any]
    created_at: int
    created_by: int | None
    stopped_at: int | None


def _push(row: aiosqlite.Row) -> Push:
    return Push(
        int(row[0]),
        row[1],
        row[2],
        json.loads(row[3]),
        json.loads(row[4]),
        int(row[5]),
        row[6],
        row[7],
    )


def _user(row: aiosqlite.Row) -> User:
    return User(
        id=int(row[0]),
        chosen_language=row[1],
        telegram_language=row[2],
        created_at=int(row[3]),
        last_seen_at=int(row[4]),
        blocked=row[5] is not None,
    )
