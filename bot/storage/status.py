"""What the running bot reports about itself (for the health probe), and the cache of files
already uploaded to Telegram."""

from __future__ import annotations

from typing import Any

from bot.storage.connection import Connection

# The one status value that belongs to the bot, not to a process: Telegram's "retry after".
BOT_KEYS = frozenset({"push_paused_until", "content_reload"})


class Status:
    """With several instances on one database each writes its own values, under its name
    (`instance/key`); the health probe of an instance reads that instance's."""

    def __init__(self, conn: Connection, content: Connection, instance: str = "") -> None:
        self._conn = conn
        self._content = content
        self._prefix = f"{instance}/" if instance else ""

    async def set(self, values: dict[str, str]) -> None:
        async with self._conn.transaction() as tx:
            await tx.executemany(
                "INSERT INTO status (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [(k if k in BOT_KEYS else self._prefix + k, v) for k, v in values.items()],
            )

    async def value(self, key: str) -> str | None:
        name = key if key in BOT_KEYS else self._prefix + key
        row = await self._conn.fetchone("SELECT value FROM status WHERE key = ?", (name,))
        return row[0] if row else None

    async def health(self) -> dict[str, Any]:
        """Content loaded, outbox backlog, and what the bot last wrote about itself."""
        content = await self._content.fetchone("SELECT count(*) FROM content_items")
        backlog = await self._conn.fetchone(
            "SELECT count(*) FROM outbox WHERE state IN ('pending', 'inflight')"
        )
        rows = await self._conn.fetchall("SELECT key, value FROM status")
        status = {r[0]: r[1] for r in rows if "/" not in r[0]}
        if self._prefix:
            n = len(self._prefix)
            status |= {r[0][n:]: r[1] for r in rows if r[0].startswith(self._prefix)}
        # A probe in another process sees no in-memory content: the instance says its own.
        items = int(status.pop("content_items", 0) or 0) or (int(content[0]) if content else 0)
        return {
            "content_items": items,
            "outbox_backlog": int(backlog[0]) if backlog else 0,
            **status,
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
