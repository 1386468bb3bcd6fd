"""Staff drafts of /post: one per staff member, in the database so that a restart (or
another instance) finds what was written and, once confirmed, what still has to be queued."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.storage.connection import Connection, Row, now


@dataclass(frozen=True, slots=True)
class StoredDraft:
    user_id: int
    chat_id: int
    key: str
    body: dict[str, Any]
    confirmed: bool


def _draft(row: Row) -> StoredDraft:
    return StoredDraft(int(row[0]), int(row[1]), row[2], json.loads(row[3]), row[4] is not None)


_COLUMNS = "user_id, chat_id, key, body, confirmed_at"


class Drafts:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def save(self, user_id: int, chat_id: int, key: str, body: dict[str, Any]) -> None:
        """Write (or replace) this staff member's draft; a new key starts a new draft."""
        await self._conn.execute(
            "INSERT INTO drafts (user_id, chat_id, key, body, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET chat_id = excluded.chat_id, key = excluded.key, "
            "body = excluded.body, updated_at = excluded.updated_at, "
            "confirmed_at = CASE WHEN drafts.key = excluded.key THEN drafts.confirmed_at END",
            (user_id, chat_id, key, json.dumps(body, ensure_ascii=False), now()),
        )

    async def of_user(self, user_id: int) -> StoredDraft | None:
        row = await self._conn.fetchone(
            f"SELECT {_COLUMNS} FROM drafts WHERE user_id = ?", (user_id,)
        )
        return _draft(row) if row else None

    async def by_key(self, key: str) -> StoredDraft | None:
        row = await self._conn.fetchone(f"SELECT {_COLUMNS} FROM drafts WHERE key = ?", (key,))
        return _draft(row) if row else None

    async def confirm(self, key: str) -> bool:
        """The author pressed Send: from now on a restart shows it back if it was not queued."""
        return (
            await self._conn.execute(
                "UPDATE drafts SET confirmed_at = coalesce(confirmed_at, ?), updated_at = ? "
                "WHERE key = ?",
                (now(), now(), key),
            )
            > 0
        )

    async def confirmed(self) -> list[StoredDraft]:
        rows = await self._conn.fetchall(
            f"SELECT {_COLUMNS} FROM drafts WHERE confirmed_at IS NOT NULL ORDER BY confirmed_at"
        )
        return [_draft(r) for r in rows]

    async def delete(self, key: str) -> bool:
        return await self._conn.execute("DELETE FROM drafts WHERE key = ?", (key,)) > 0

    async def delete_of_user(self, user_id: int) -> StoredDraft | None:
        """Drop the staff member's unconfirmed draft; a confirmed one stays to be sent."""
        draft = await self.of_user(user_id)
        if draft is None or draft.confirmed:
            return None
        await self._conn.execute(
            "DELETE FROM drafts WHERE user_id = ? AND confirmed_at IS NULL", (user_id,)
        )
        return draft
