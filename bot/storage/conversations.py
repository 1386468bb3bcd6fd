"""Where open conversations stand, per (chat, user): the shared copy of PTB's in-memory
ConversationHandler state, for instances that share one database."""

from __future__ import annotations

import json

from bot.storage.connection import Connection, now


class ConversationStates:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def of(self, chat_id: int, user_id: int) -> dict[str, tuple[object, int]]:
        """Conversation name → (state, updated at) of what this user has open in this chat."""
        rows = await self._conn.fetchall(
            "SELECT name, state, updated_at FROM conversations WHERE chat_id = ? AND user_id = ?",
            (chat_id, user_id),
        )
        return {r[0]: (json.loads(r[1]), int(r[2])) for r in rows}

    async def put(self, name: str, chat_id: int, user_id: int, state: object) -> None:
        await self._conn.execute(
            "INSERT INTO conversations (name, chat_id, user_id, state, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id, user_id, name) DO UPDATE SET "
            "state = excluded.state, updated_at = excluded.updated_at",
            (name, chat_id, user_id, json.dumps(state), now()),
        )

    async def end(
        self, name: str, chat_id: int, user_id: int, *, idle_since: int | None = None
    ) -> bool:
        """Forget the conversation (only if untouched since `idle_since`, when given);
        True if there was one to forget."""
        sql = "DELETE FROM conversations WHERE name = ? AND chat_id = ? AND user_id = ?"
        params: list[object] = [name, chat_id, user_id]
        if idle_since is not None:
            sql += " AND updated_at <= ?"
            params.append(idle_since)
        return await self._conn.execute(sql, params) > 0
