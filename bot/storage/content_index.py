"""The content store's tables and its search index: replaced as a whole by the loader."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.storage.connection import Connection

WEIGHT_KEYS, WEIGHT_EXACT, WEIGHT_LOOSE = 20.0, 10.0, 1.0  # search columns
SearchDoc = tuple[str, str, str, str, str, str]  # kind, item id, lang, keys, exact, loose


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


class ContentIndex:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def replace(
        self, rows: Iterable[ContentRow], digest: str, search_docs: Iterable[SearchDoc] = ()
    ) -> None:
        """Swap the whole store and its search index in one transaction: readers see old or
        new, never half. `digest` names the files it was built from."""
        async with self._conn.transaction() as tx:
            await tx.execute("DELETE FROM content_items")
            await tx.execute("DELETE FROM content_meta")
            await tx.execute("DELETE FROM search")
            await tx.executemany(
                "INSERT INTO search (kind, item_id, lang, keys, exact, loose) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                search_docs,
            )
            await tx.executemany(
                "INSERT INTO content_items "
                "(kind, id, position, topic, period, date, month, day, body) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (r.kind, r.id, r.position, r.topic, r.period, r.date, r.month, r.day, r.body)
                    for r in rows
                ),
            )
            await tx.execute(
                "INSERT INTO content_meta (key, value) VALUES ('digest', ?)", (digest,)
            )

    async def digest(self) -> str | None:
        """What the stored content was built from (None: nothing stored yet)."""
        row = await self._conn.fetchone("SELECT value FROM content_meta WHERE key = 'digest'")
        return row[0] if row else None

    async def items(self) -> list[ContentRow]:
        rows = await self._conn.fetchall(
            "SELECT kind, id, position, topic, period, date, month, day, body "
            "FROM content_items ORDER BY kind, position"
        )
        return [ContentRow(*r) for r in rows]

    async def search(
        self, match: str, limit: int, *, ranked: bool = True
    ) -> list[tuple[str, str, str, float, str]]:
        """(kind, item id, language, bm25 score, keys column) of the best documents for a
        MATCH built by bot.search.match_expression (never raw user text); unranked: in
        content order, score 0, without computing bm25."""
        if not ranked:
            rows = await self._conn.fetchall(
                "SELECT kind, item_id, lang, 0.0, keys FROM search WHERE search MATCH ? LIMIT ?",
                (match, limit),
            )
        else:
            rows = await self._conn.fetchall(
                "SELECT kind, item_id, lang, bm25(search, 0, 0, 0, ?, ?, ?) AS score, keys "
                "FROM search WHERE search MATCH ? ORDER BY score LIMIT ?",
                (WEIGHT_KEYS, WEIGHT_EXACT, WEIGHT_LOOSE, match, limit),
            )
        return [(r[0], r[1], r[2], float(r[3]), r[4]) for r in rows]

    async def search_count(self, match: str, cap: int | None = None) -> int:
        """Documents matching; with `cap`, counting stops there (cap + 1 means "more")."""
        if cap is None:
            row = await self._conn.fetchone(
                "SELECT count(*) FROM search WHERE search MATCH ?", (match,)
            )
        else:
            row = await self._conn.fetchone(
                "SELECT count(*) FROM (SELECT 1 FROM search WHERE search MATCH ? LIMIT ?)",
                (match, cap + 1),
            )
        return int(row[0]) if row else 0

    async def documents(self) -> list[SearchDoc]:
        """The stored index rows (the search vocabulary is rebuilt from them at start)."""
        rows = await self._conn.fetchall(
            "SELECT kind, item_id, lang, keys, exact, loose FROM search"
        )
        return [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]
