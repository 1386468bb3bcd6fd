"""PostgreSQL behind the same seam as SQLite (asyncpg, the optional extra `postgres`).

Storage writes `?` placeholders; here they become `$1, $2, …` (outside quoted text), once
per statement text. A pool serves concurrent chats; a transaction holds one pooled
connection from BEGIN to COMMIT.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

from bot.storage.connection import POSTGRESQL, Lease, Params, Row, Transaction

log = logging.getLogger(__name__)

POOL_SIZE = 10


@lru_cache(maxsize=1024)
def numbered(sql: str) -> str:
    """`?` → `$n`, leaving quoted strings and identifiers alone."""
    out: list[str] = []
    n = 0
    quote: str | None = None
    for ch in sql:
        if quote:
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "?":
            n += 1
            out.append(f"${n}")
            continue
        out.append(ch)
    return "".join(out)


def _changed(status: str) -> int:
    """Rows a statement changed, from asyncpg's command tag ("UPDATE 3", "INSERT 0 5")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresTransaction:
    """Statements on one connection inside a transaction, or, for single statements, on
    the pool (asyncpg's Pool offers the same fetchrow/fetch/execute)."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = await self._conn.fetchrow(numbered(sql), *params)
        return row

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._conn.fetch(numbered(sql), *params))

    async def execute(self, sql: str, params: Params = ()) -> int:
        return _changed(await self._conn.execute(numbered(sql), *params))

    async def executemany(self, sql: str, params: Iterable[Params]) -> None:
        rows = [tuple(p) for p in params]
        if rows:
            await self._conn.executemany(numbered(sql), rows)

    async def copy(
        self, table: str, columns: Sequence[str], records: AsyncIterable[tuple[Any, ...]]
    ) -> int:
        """Rows into a table by binary COPY (asyncpg's fast path, many times executemany's
        rate); each value must already be the column's Python type. The rows copied."""
        status = await self._conn.copy_records_to_table(
            table, records=records, columns=list(columns)
        )
        return _changed(status)


class PostgresConnection:
    dialect = POSTGRESQL

    def __init__(self, pool: Any, url: str) -> None:
        self._pool = pool
        self._single = PostgresTransaction(pool)  # one statement, any pooled connection
        self.url = url

    @classmethod
    async def open(cls, url: str) -> PostgresConnection:
        try:
            import asyncpg
        except ImportError as exc:  # the optional extra is not installed
            raise RuntimeError(
                "DATABASE_URL names PostgreSQL, but asyncpg is not installed: "
                'pip install -e ".[postgres]"'
            ) from exc
        pool = await asyncpg.create_pool(url, min_size=1, max_size=POOL_SIZE)
        return cls(pool, url)

    async def close(self) -> None:
        await self._pool.close()

    def lease(self, name: str) -> Lease:
        return AdvisoryLease(self.url, zlib.crc32(name.encode()))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield PostgresTransaction(conn)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        return await self._single.fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._single.fetchall(sql, params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        return await self._single.execute(sql, params)


class AdvisoryLease:
    """A session advisory lock on a connection of its own: held while that connection
    lives, released by PostgreSQL the moment the process dies (its socket closes). A
    standby keeps its connection between tries: one session, not one a second."""

    def __init__(self, url: str, key: int) -> None:
        self._url = url
        self._key = key
        self._conn: Any = None
        self._held = False

    async def acquire(self) -> bool:
        import asyncpg

        if self._held:
            return await self.held()
        if self._conn is None or self._conn.is_closed():
            try:
                self._conn = await asyncpg.connect(self._url)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("could not reach PostgreSQL for the %s lock: %s", self._key, exc)
                self._conn = None
                return False
        try:
            self._held = bool(
                await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self._key, timeout=5)
            )
        except Exception as exc:  # the connection broke: a new one at the next try
            log.warning("could not ask PostgreSQL for the %s lock: %s", self._key, exc)
            self._drop()
        return self._held

    async def held(self) -> bool:
        if not self._held:
            return False
        if self._conn is None or self._conn.is_closed():
            self._drop()
            return False
        try:
            await self._conn.fetchval("SELECT 1", timeout=5)
        except Exception:  # the connection is gone, and the lock with it
            self._drop()
            return False
        return True

    async def release(self) -> None:
        self._held = False
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                await conn.close(timeout=5)
            except Exception:
                conn.terminate()

    def _drop(self) -> None:
        self._held = False
        if self._conn is not None:
            self._conn.terminate()
            self._conn = None
