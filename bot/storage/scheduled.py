"""News scheduled for a later hour. Each is queued once: claiming due ones and marking them
queued happen in one transaction, and the push keeps the scheduled key, which the outbox
never queues twice."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.storage.connection import Connection, Row, now


@dataclass(frozen=True, slots=True)
class ScheduledPost:
    id: int
    key: str
    texts: dict[str, str]
    options: dict[str, Any]
    audience: dict[str, Any]
    due_at: int
    created_by: int | None
    state: str
    push_id: int | None


_COLUMNS = "id, key, texts, options, audience, due_at, created_by, state, push_id"


def _post(row: Row) -> ScheduledPost:
    return ScheduledPost(
        int(row[0]),
        row[1],
        json.loads(row[2]),
        json.loads(row[3]),
        json.loads(row[4]),
        int(row[5]),
        row[6],
        row[7],
        row[8],
    )


class Scheduled:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(
        self,
        key: str,
        texts: dict[str, str],
        options: dict[str, Any],
        audience: dict[str, Any],
        due_at: int,
        created_by: int | None,
    ) -> int:
        """Schedule once per key (a second Send of the same draft schedules nothing new)."""
        async with self._conn.transaction() as tx:
            await tx.execute(
                "INSERT INTO scheduled (key, texts, options, audience, due_at, created_at, "
                "created_by) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                (
                    key,
                    json.dumps(texts, ensure_ascii=False),
                    json.dumps(options),
                    json.dumps(audience),
                    due_at,
                    now(),
                    created_by,
                ),
            )
            row = await tx.fetchone("SELECT id FROM scheduled WHERE key = ?", (key,))
        assert row is not None
        return int(row[0])

    async def get(self, post_id: int) -> ScheduledPost | None:
        row = await self._conn.fetchone(
            f"SELECT {_COLUMNS} FROM scheduled WHERE id = ?", (post_id,)
        )
        return _post(row) if row else None

    async def by_key(self, key: str) -> ScheduledPost | None:
        row = await self._conn.fetchone(f"SELECT {_COLUMNS} FROM scheduled WHERE key = ?", (key,))
        return _post(row) if row else None

    async def waiting(self, limit: int = 20) -> list[ScheduledPost]:
        rows = await self._conn.fetchall(
            f"SELECT {_COLUMNS} FROM scheduled WHERE state = 'waiting' ORDER BY due_at, id LIMIT ?",
            (limit,),
        )
        return [_post(r) for r in rows]

    async def claim_due(self, due_before: int) -> list[ScheduledPost]:
        """Due posts, marked queued in the same statement: two instances never both take one."""
        rows = await self._conn.fetchall(
            f"UPDATE scheduled SET state = 'queued' WHERE state = 'waiting' AND due_at <= ? "
            f"RETURNING {_COLUMNS}",
            (due_before,),
        )
        return sorted((_post(r) for r in rows), key=lambda p: (p.due_at, p.id))

    async def claim(self, post_id: int) -> ScheduledPost | None:
        """ "Send now": take this waiting post (None if it was already queued or cancelled)."""
        row = await self._conn.fetchone(
            f"UPDATE scheduled SET state = 'queued' WHERE id = ? AND state = 'waiting' "
            f"RETURNING {_COLUMNS}",
            (post_id,),
        )
        return _post(row) if row else None

    async def set_push(self, post_id: int, push_id: int) -> None:
        await self._conn.execute(
            "UPDATE scheduled SET push_id = ? WHERE id = ?", (push_id, post_id)
        )

    async def queued_without_push(self) -> list[ScheduledPost]:
        """Claimed but not yet queued (a crash in between): queued again, once, by key."""
        rows = await self._conn.fetchall(
            f"SELECT {_COLUMNS} FROM scheduled WHERE state = 'queued' AND push_id IS NULL"
        )
        return [_post(r) for r in rows]

    async def cancel(self, post_id: int) -> bool:
        return (
            await self._conn.execute(
                "UPDATE scheduled SET state = 'cancelled' WHERE id = ? AND state = 'waiting'",
                (post_id,),
            )
            > 0
        )
