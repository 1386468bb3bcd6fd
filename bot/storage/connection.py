"""The database connection as storage sees it, whichever backend runs.

Storage modules write one SQL dialect, the subset SQLite and PostgreSQL share (`?`
placeholders, ON CONFLICT … DO UPDATE, RETURNING, FILTER); the PostgreSQL connection
(bot.storage.postgres) numbers the placeholders. Nothing above storage knows which runs.

SQLite: one aiosqlite connection shared by every coroutine, so every statement and every
transaction runs under one asyncio lock: a transaction begun by one coroutine can never
swallow another's statement. Each read is one thread hop (execute_fetchall).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

Params = Sequence[Any]
SQLITE, POSTGRESQL = "sqlite", "postgresql"


class Row(Protocol):
    """A result row: by position (aiosqlite.Row and asyncpg.Record both are)."""

    def __getitem__(self, index: int) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...


def now() -> int:
    """Unix time in seconds, as every timestamp column stores it."""
    return int(time.time())


def is_postgres_url(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


class Transaction(Protocol):
    """Statements inside one transaction: all of them or none."""

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    async def executemany(self, sql: str, params: Iterable[Params]) -> None: ...


class Lease(Protocol):
    """A role only one process may hold at a time (the outbox sender)."""

    async def acquire(self) -> bool:
        """Take it if nobody holds it; True if this process holds it now."""
        ...

    async def held(self) -> bool:
        """Still ours (False once the hold was lost, e.g. its connection dropped)."""
        ...

    async def release(self) -> None: ...


class Connection(Protocol):
    """What storage needs of a backend: single statements and transactions."""

    dialect: str

    def lease(self, name: str) -> Lease: ...

    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def execute(self, sql: str, params: Params = ()) -> int: ...

    async def close(self) -> None: ...


class SqliteTransaction:
    """Statements inside one BEGIN IMMEDIATE … COMMIT, lock held throughout."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self._conn.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def execute(self, sql: str, params: Params = ()) -> int:
        cursor = await self._conn.execute(sql, params)  # one hop; a DML statement is done
        return max(cursor.rowcount, 0)

    async def executemany(self, sql: str, params: Iterable[Params]) -> None:
        await self._conn.executemany(sql, params)

    async def batches(
        self, sql: str, params: Params = (), size: int = 5000
    ) -> AsyncIterator[list[Row]]:
        """A query's rows `size` at a time, as plain tuples, one thread hop per batch: a
        whole table without holding it in memory (bot.storage.migrate copies with it)."""
        async with self._conn.execute(sql, params) as cursor:
            cursor.row_factory = None  # tuples, as they are, with nothing to convert
            while rows := await cursor.fetchmany(size):
                yield list(rows)


class OwnLease:
    """SQLite's file has one process: it holds every role."""

    async def acquire(self) -> bool:
        return True

    async def held(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class SqliteConnection:
    dialect = SQLITE

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self._tx = SqliteTransaction(conn)

    @classmethod
    async def open(cls, path: Path | str) -> SqliteConnection:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        try:
            for pragma in (
                "busy_timeout = 5000",
                "journal_mode = WAL",
                "synchronous = NORMAL",
                "foreign_keys = ON",
            ):
                await conn.execute(f"PRAGMA {pragma}")
        except BaseException:
            await conn.close()
            raise
        return cls(conn)

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()

    def lease(self, name: str) -> Lease:
        return OwnLease()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Hold the lock for a whole BEGIN…COMMIT so no other coroutine interleaves."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._tx
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self._lock:
            return await self._tx.fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._lock:
            return await self._tx.fetchall(sql, params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._lock:
            return await self._tx.execute(sql, params)
