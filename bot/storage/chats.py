"""Users, groups and channels: one table keyed by chat id (a private chat's id is its user's)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bot.languages import DEFAULT_LANGUAGE, LANGUAGES
from bot.storage.connection import Connection, Row, now

PUSH_TOPICS = ("reminders", "news")  # what a chat can subscribe to

# The language a chat is answered in, in SQL: what it chose, else Telegram's language if we
# speak it, else the default. Must agree with bot.i18n.resolve_language (a test checks).
EFFECTIVE_LANGUAGE_SQL = f"""coalesce(
    u.language,
    CASE WHEN lower(substr(u.telegram_language, 1, 2)) IN {LANGUAGES!r}
              AND (length(u.telegram_language) = 2 OR substr(u.telegram_language, 3, 1) IN ('-', '_'))
         THEN lower(substr(u.telegram_language, 1, 2)) ELSE '{DEFAULT_LANGUAGE}' END)"""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    chosen_language: str | None
    telegram_language: str | None
    created_at: int
    last_seen_at: int
    blocked: bool
    new: bool = False  # seen_user: this was the first visit


_USER_COLUMNS = "id, language, telegram_language, created_at, last_seen_at, blocked_at"


def _user(row: Row) -> User:
    return User(
        id=int(row[0]),
        chosen_language=row[1],
        telegram_language=row[2],
        created_at=int(row[3]),
        last_seen_at=int(row[4]),
        blocked=row[5] is not None,
    )


class Chats:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def seen_user(self, user_id: int, telegram_language: str | None) -> User:
        """Record that a user wrote to us; a user who writes again is no longer blocked.
        One statement for a known user; User.new says this was their first visit."""
        ts = now()
        row = await self._conn.fetchone(
            "UPDATE users SET telegram_language = ?, last_seen_at = ?, blocked_at = NULL "
            "WHERE id = ? RETURNING " + _USER_COLUMNS,
            (telegram_language, ts, user_id),
        )
        if row is not None:
            return _user(row)
        row = await self._conn.fetchone(
            """
            INSERT INTO users (id, telegram_language, created_at, last_seen_at)
            VALUES (?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                telegram_language = excluded.telegram_language,
                last_seen_at = excluded.last_seen_at,
                blocked_at = NULL
            RETURNING """
            + _USER_COLUMNS,
            (user_id, telegram_language, ts, ts),
        )
        assert row is not None
        return replace(_user(row), new=True)

    async def register_chat(self, chat_id: int, kind: str, title: str | None) -> None:
        """A group or channel the bot serves."""
        ts = now()
        await self._conn.execute(
            """
            INSERT INTO users (id, kind, title, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, title = excluded.title,
                last_seen_at = excluded.last_seen_at
            """,
            (chat_id, kind, title, ts, ts),
        )

    async def chat_language(self, chat_id: int) -> str | None:
        row = await self._conn.fetchone("SELECT language FROM users WHERE id = ?", (chat_id,))
        return row[0] if row else None

    async def of_kind(self, kind: str) -> list[tuple[int, str | None, bool]]:
        """(id, title, active) of the groups or channels the bot knows."""
        rows = await self._conn.fetchall(
            "SELECT id, title, blocked_at IS NULL FROM users WHERE kind = ? ORDER BY id", (kind,)
        )
        return [(int(r[0]), r[1], bool(r[2])) for r in rows]

    async def get_user(self, chat_id: int) -> User | None:
        row = await self._conn.fetchone(
            "SELECT id, language, telegram_language, created_at, last_seen_at, blocked_at "
            "FROM users WHERE id = ?",
            (chat_id,),
        )
        return _user(row) if row else None

    async def count(self) -> int:
        row = await self._conn.fetchone("SELECT count(*) FROM users")
        return int(row[0]) if row else 0

    async def stats(self) -> dict[str, Any]:
        """Chats by language, active and blocked, and subscribers per topic (for /stats)."""
        by_language = await self._conn.fetchall(
            f"SELECT {EFFECTIVE_LANGUAGE_SQL} AS lang, count(*) FROM users u GROUP BY lang"
        )
        active = await self._conn.fetchone(
            "SELECT count(*) FILTER (WHERE blocked_at IS NULL), "
            "count(*) FILTER (WHERE blocked_at IS NOT NULL) FROM users"
        )
        topics = await self._conn.fetchall(
            "SELECT sub.topic, count(*) FROM subscriptions sub JOIN users u ON u.id = sub.user_id "
            "WHERE u.blocked_at IS NULL GROUP BY sub.topic"
        )
        assert active is not None
        return {
            "languages": {lang: 0 for lang in LANGUAGES} | {r[0]: int(r[1]) for r in by_language},
            "active": int(active[0]),
            "blocked": int(active[1]),
            "topics": {t: 0 for t in PUSH_TOPICS} | {r[0]: int(r[1]) for r in topics},
        }

    async def subscribers_by_language(self, topic: str) -> dict[str, int]:
        rows = await self._conn.fetchall(
            f"SELECT {EFFECTIVE_LANGUAGE_SQL} AS lang, count(*) FROM subscriptions sub "
            "JOIN users u ON u.id = sub.user_id "
            "WHERE sub.topic = ? AND u.blocked_at IS NULL GROUP BY lang",
            (topic,),
        )
        return {lang: 0 for lang in LANGUAGES} | {r[0]: int(r[1]) for r in rows}
