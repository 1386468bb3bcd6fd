"""Forgetting a user (/forget): every row that names them, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.connection import Connection


@dataclass(frozen=True, slots=True)
class Forgotten:
    pushes_cancelled: int  # queued pushes that will now never be sent
    rows_deleted: int


class Privacy:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def forget(self, user_id: int) -> Forgotten:
        """Queued pushes are dropped before they are sent (rows in flight are dropped too: the
        sender's later mark finds nothing); settings, subscriptions, ratings and the user go.
        A push the user wrote as staff stays, without their id. The usage figures hold no id."""
        async with self._conn.transaction() as tx:
            pending = await tx.execute(
                "DELETE FROM outbox WHERE chat_id = ? AND state IN ('pending', 'inflight')",
                (user_id,),
            )
            deleted = pending
            deleted += await tx.execute("DELETE FROM outbox WHERE chat_id = ?", (user_id,))
            await tx.execute("DELETE FROM progress_messages WHERE chat_id = ?", (user_id,))
            for table in ("ratings", "settings", "subscriptions"):
                deleted += await tx.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
            await tx.execute("UPDATE pushes SET created_by = NULL WHERE created_by = ?", (user_id,))
            deleted += await tx.execute("DELETE FROM users WHERE id = ?", (user_id,))
        return Forgotten(pending, deleted)
