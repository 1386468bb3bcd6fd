"""Moving the shared state from SQLite's file into an empty PostgreSQL database
(`python -m bot migrate-db --to postgresql://…`, docs/DEPLOY.md).

Every table both schemas have is copied; the content and its search index are not (with
PostgreSQL each instance builds its own from content/). The copy is one PostgreSQL
transaction, checked table by table before it commits: a failure leaves the target as
empty as it was. The SQLite side is read in one transaction too, holding the file's write
lock, so the copy is one moment's state and nothing writes to the file meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.storage.connection import (
    Row,
    SqliteConnection,
    SqliteTransaction,
    Transaction,
    is_postgres_url,
)
from bot.storage.migrations import migrate
from bot.storage.postgres import PostgresConnection, PostgresTransaction

log = logging.getLogger(__name__)

BATCH = 1000  # rows per thread hop and per stretch the loop runs nothing else (~5 ms)
VERSION_TABLE = "schema_version"  # PostgreSQL's record of the migrations, not state
RUNNING_WITHIN = 15  # seconds: three of the heartbeats a running bot writes (bot.health)


class MigrateError(Exception):
    """Why nothing was copied, in one line for the operator."""


class BadArguments(MigrateError):
    """The command was given something else than a SQLite file and a PostgreSQL URL."""


@dataclass
class TableCount:
    table: str
    sqlite: int
    postgresql: int


@dataclass
class MigrateReport:
    counts: list[TableCount] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # SQLite's content tables
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(c.postgresql for c in self.counts)

    def lines(self) -> list[str]:
        width = max([len("table"), *(len(c.table) for c in self.counts)])
        out = [f"{'table':<{width}}  {'sqlite':>9}  {'postgresql':>10}"]
        out += [
            f"{c.table:<{width}}  {c.sqlite:>9}  {c.postgresql:>10}"
            for c in sorted(self.counts, key=lambda c: c.table)
        ]
        if self.skipped:
            out.append(
                f"not copied (the content, rebuilt from content/): {', '.join(self.skipped)}"
            )
        out.append(f"copied {self.rows} rows in {len(self.counts)} tables in {self.seconds:.1f} s")
        return out


def shown_url(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{parts.hostname or ''}{port}{parts.path}"


def check_arguments(sqlite_path: Path, url: str) -> None:
    if not is_postgres_url(url):
        raise BadArguments(f"--to must be a postgresql:// URL, not {url.split('://')[0]!r}")
    if not sqlite_path.is_file():  # SqliteConnection.open would create an empty one
        raise BadArguments(
            f"no SQLite database at {sqlite_path.resolve()}: set DATABASE_PATH to the "
            "bot's file (bot.sqlite3)"
        )


async def migrate_database(sqlite_path: Path, url: str) -> MigrateReport:
    """Copy the SQLite database at `sqlite_path` into the empty PostgreSQL database at
    `url`; MigrateError (with nothing written to the target) when it cannot."""
    check_arguments(sqlite_path, url)
    started = time.perf_counter()
    target = shown_url(url)
    try:
        pg = await PostgresConnection.open(url)
    except Exception as exc:  # unreachable, no such database, wrong password, no asyncpg
        raise MigrateError(f"cannot open {target}: {exc}") from exc
    try:
        await _refuse_data(pg, target)  # before the migrations: they would write
        sqlite = await SqliteConnection.open(sqlite_path)
        try:
            await _refuse_running(sqlite, sqlite_path)
            await migrate(sqlite)  # the columns as PostgreSQL's schema has them
            await migrate(pg)
            report = await _copy(sqlite, pg, target)
        finally:
            await sqlite.close()
    except MigrateError:
        raise
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise MigrateError(f"{sqlite_path}: {exc}; nothing was copied") from exc
        raise MigrateError(
            f"{sqlite_path} is in use ({exc}): stop the bot first; nothing was copied"
        ) from exc
    except Exception as exc:  # a newer schema, a constraint PostgreSQL checks, a lost link
        raise MigrateError(
            f"the copy failed and was undone, {target} holds no data: "
            f"{type(exc).__name__}: {_one_line(exc)}"
        ) from exc
    finally:
        await pg.close()
    report.seconds = time.perf_counter() - started
    return report


async def _refuse_running(sqlite: SqliteConnection, path: Path) -> None:
    """A bot idle between two writes holds no lock, but it writes its heartbeat every few
    seconds: a recent one means it runs, and what it writes after the copy would be lost."""
    try:
        row = await sqlite.fetchone("SELECT value FROM status WHERE key = 'heartbeat'")
    except sqlite3.OperationalError:  # no status table yet: no bot ever ran on it
        return
    if row is None:
        return
    age = time.time() - float(row[0])
    if age < RUNNING_WITHIN:
        raise MigrateError(
            f"a bot is running on {path} (its heartbeat is {max(age, 0):.0f} s old): stop it "
            f"first, then copy ({RUNNING_WITHIN} s after it stopped); nothing was copied"
        )


def _one_line(exc: BaseException) -> str:
    """asyncpg's message and its DETAIL line, on one line."""
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())


async def _tables_with_rows(
    tx: Transaction | PostgresConnection, tables: Sequence[str]
) -> list[str]:
    found = []
    for table in tables:
        row = await tx.fetchone(f"SELECT EXISTS (SELECT 1 FROM {_quoted(table)})")
        if row is not None and row[0]:
            found.append(table)
    return found


async def _pg_tables(tx: Transaction | PostgresConnection) -> list[str]:
    rows = await tx.fetchall(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' "
        "ORDER BY table_name"
    )
    return [str(r[0]) for r in rows if r[0] != VERSION_TABLE]


def _not_empty(target: str, tables: Sequence[str]) -> MigrateError:
    return MigrateError(
        f"{target} already holds data (in {', '.join(tables)}): migrate-db copies into an "
        "empty database only; nothing was written (docs/DEPLOY.md says how to empty it)"
    )


async def _refuse_data(pg: PostgresConnection, target: str) -> None:
    if full := await _tables_with_rows(pg, await _pg_tables(pg)):
        raise _not_empty(target, full)


async def _copy(sqlite: SqliteConnection, pg: PostgresConnection, target: str) -> MigrateReport:
    report = MigrateReport()
    listed = await sqlite.fetchall(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' "
        "ESCAPE '!'"
    )
    sqlite_tables = {str(r[0]) for r in listed}
    virtual = [str(r[0]) for r in listed if str(r[1]).upper().startswith("CREATE VIRTUAL")]
    async with pg.transaction() as ptx, sqlite.transaction() as stx:
        assert isinstance(ptx, PostgresTransaction) and isinstance(stx, SqliteTransaction)
        tables = await _pg_tables(ptx)
        missing = sorted(set(tables) - sqlite_tables)
        if missing:
            raise MigrateError(
                f"{target} has tables the bot's schema has not ({', '.join(missing)}): "
                "give migrate-db a database of the bot's own"
            )
        report.skipped = sorted(
            t
            for t in sqlite_tables - set(tables)
            if not t.startswith(tuple(f"{v}_" for v in virtual))
        )
        # Nobody may write while we copy; and a bot that started meanwhile is refused too.
        await ptx.execute(
            f"LOCK TABLE {', '.join(_quoted(t) for t in tables)} IN SHARE ROW EXCLUSIVE MODE"
        )
        if full := await _tables_with_rows(ptx, tables):
            raise _not_empty(target, full)
        for table in await _parents_first(ptx, tables):
            report.counts.append(await _copy_table(stx, ptx, table))
        await _reset_identities(ptx, tables)
        wrong = [c for c in report.counts if c.sqlite != c.postgresql]
        if wrong:  # the transaction rolls back: the target stays empty
            raise MigrateError(
                "row counts differ, nothing was kept: "
                + ", ".join(f"{c.table} {c.sqlite} in SQLite, {c.postgresql} copied" for c in wrong)
            )
    return report


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _parents_first(tx: PostgresTransaction, tables: Sequence[str]) -> list[str]:
    """The tables in an order where each one's foreign keys point at tables already
    copied (settings after users, outbox after pushes): the constraints stay checked."""
    rows = await tx.fetchall(
        "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c "
        "WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace"
    )
    parents: dict[str, set[str]] = {t: set() for t in tables}
    for child, parent in rows:
        child, parent = str(child).strip('"'), str(parent).strip('"')
        if child in parents and parent in parents and parent != child:
            parents[child].add(parent)
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = sorted(t for t in tables if t not in ordered and parents[t] <= set(ordered))
        if not ready:
            raise MigrateError(
                f"foreign keys in a circle among {sorted(set(tables) - set(ordered))}"
            )
        ordered += ready
    return ordered


async def _copy_table(stx: SqliteTransaction, ptx: PostgresTransaction, table: str) -> TableCount:
    columns = [
        (str(c[0]), str(c[1]))
        for c in await ptx.fetchall(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )
    ]
    names = [name for name, _ in columns]
    fixes = await _fixes(stx, table, columns)
    row = await stx.fetchone(f"SELECT count(*) FROM {_quoted(table)}")
    in_sqlite = int(row[0]) if row is not None else 0
    select = f"SELECT {', '.join(_quoted(n) for n in names)} FROM {_quoted(table)}"

    async def records() -> AsyncIterator[tuple[Any, ...]]:
        async for batch in stx.batches(select, size=BATCH):
            for r in _fixed(batch, fixes) if fixes else batch:
                yield tuple(r)
            await asyncio.sleep(0)  # between batches, the loop runs whatever else is due

    if in_sqlite:
        await ptx.copy(table, names, records())
    row = await ptx.fetchone(f"SELECT count(*) FROM {_quoted(table)}")
    copied = int(row[0]) if row is not None else 0
    log.debug("migrate-db: table=%s sqlite=%s postgresql=%s", table, in_sqlite, copied)
    return TableCount(table, in_sqlite, copied)


Convert = Callable[[Any], Any]
# What SQLite's typeof() says of a value asyncpg takes as it is, per PostgreSQL column type
STORED_AS = {"bigint": "integer", "integer": "integer", "smallint": "integer", "text": "text"}


async def _fixes(
    stx: SqliteTransaction, table: str, columns: Sequence[tuple[str, str]]
) -> dict[int, Convert]:
    """The columns holding some value of another type than PostgreSQL's (SQLite keeps what
    it is given: 5.5 in an INTEGER column), found by one scan in SQLite, with the
    conversion each needs; usually none, and the rows go to COPY as they are."""
    checked = [
        (i, name, STORED_AS[kind]) for i, (name, kind) in enumerate(columns) if kind in STORED_AS
    ]
    if not checked:
        return {}
    sums = ", ".join(
        f"coalesce(sum(typeof({_quoted(name)}) NOT IN ('null', '{stored}')), 0)"
        for _, name, stored in checked
    )
    row = await stx.fetchone(f"SELECT {sums} FROM {_quoted(table)}")
    assert row is not None
    return {
        i: _converter(table, name, columns[i][1])
        for (i, name, _), odd in zip(checked, row, strict=True)
        if odd
    }


def _fixed(batch: list[Row], fixes: dict[int, Convert]) -> list[list[Any]]:
    rows = []
    for r in batch:
        values = list(r)
        for i, convert in fixes.items():
            values[i] = convert(values[i])
        rows.append(values)
    return rows


def _converter(table: str, column: str, data_type: str) -> Convert:
    """The Python type asyncpg's COPY wants for the column, from what SQLite holds there."""

    def refuse(value: Any) -> MigrateError:
        return MigrateError(
            f"{table}.{column} holds {value!r}, which is no {data_type}: correct it in SQLite "
            "and copy again; nothing was copied"
        )

    if STORED_AS.get(data_type) == "integer":

        def whole(value: Any) -> Any:
            if value is None or type(value) is int:
                return value
            try:  # a fraction in a whole-number column (a REAL timestamp): to the second
                return round(float(value))
            except (TypeError, ValueError, OverflowError):  # text, NaN, infinity
                raise refuse(value) from None

        return whole

    def text(value: Any) -> Any:
        if value is None or type(value) is str:
            return value
        if isinstance(value, bytes):
            try:
                return value.decode()
            except UnicodeDecodeError:
                raise refuse(value[:20]) from None
        return str(value)

    return text


async def _reset_identities(tx: PostgresTransaction, tables: Sequence[str]) -> None:
    """Generated ids continue after the copied ones (a new push must not take id 1)."""
    rows = await tx.fetchall(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND is_identity = 'YES'"
    )
    for table, column in rows:
        if table not in tables:
            continue
        top = await tx.fetchone(f"SELECT max({_quoted(column)}) FROM {_quoted(table)}")
        if top is not None and top[0] is not None and int(top[0]) >= 1:
            await tx.execute(
                "SELECT setval(pg_get_serial_sequence(?, ?), ?)",
                (_quoted(table), column, int(top[0])),
            )
