"""What the running bot reports about itself (for the health probe), and the cache of files
already uploaded to Telegram."""

from __future__ import annotations

from typing import Any

from bot.storage.connection import Connection


class Status:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def set(self, values: dict[str, str]) -> None:
        async with self._conn.transaction() as tx:
            await tx.executemany(
                "INSERT INTO status (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                values.items(),
            )

    async def health(self) -> dict[str, Any]:
        """Content loaded, outbox backlog, and what the bot last wrote about itself."""
        content = await self._conn.fetchone("SELECT count(*) FROM content_items")
        backlog = await self._conn.fetchone(
            "SELECT count(*) FROM outbox WHERE state IN ('pending', 'inflight')"
        )
        status = await self._conn.fetchall("SELECT key, value FROM status")
        return {
            "content_items": int(content[0]) if content else 0,
            "outbox_backlog": int(backlog[0]) if backlog else 0,
            **{r[0]: r[1] for r in status},
        }

    async def file_id(self, key: str) -> str | None:
        row = await self._conn.fetchone("SELECT file_id FROM file_cache WHERE key = ?", (key,))
        return row[0] if row else None

    async def remember_file(self, key: str, file_id: str) -> None:
        await self._conn.execute(
            "INSERT INTO file_cache (key, file_id) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET file_id = excluded.file_id",
            (key, file_id),
        )
