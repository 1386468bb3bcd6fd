"""What every benchmark shares: figures with their targets, percentiles, the ×N content
(in memory and as TOML files), the machine's description and the command line.

A benchmark builds a Report (figures, notes, an analysis of missed targets) and hands it
to `main()`, which prints it (the figures come last) and, with --json, writes it for
bench.run. No benchmark ever fails on a missed target: figures are reported, not judged
by an exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import math
import os
import platform
import re
import resource
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from bot.content.kinds import BY_NAME
from bot.content.model import CONTENT_DIR, SEEDS_SUBDIR, Content, Fact, Period, Term

if TYPE_CHECKING:
    from bot.storage import Database
    from fakegram.pgserver import PgServer

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


# -- figures ------------------------------------------------------------------------------


@dataclass
class Metric:
    key: str
    label: str
    value: float | None
    unit: str = ""
    target: str = ""  # as people read it: "< 10 ms", "≥ 1,000 msg/s"; "" for information
    ok: bool | None = None  # met, missed, or None (no target / not measured)
    digits: int = 1
    reason: str = ""  # why it was not measured (value None)

    def shown(self) -> str:
        if self.value is None:
            return f"not measured: {self.reason}" if self.reason else "not measured"
        if self.digits == 0 or (float(self.value).is_integer() and abs(self.value) >= 100):
            text = f"{self.value:,.0f}"
        else:
            text = f"{self.value:,.{self.digits}f}"
        return f"{text} {self.unit}".strip()

    @property
    def verdict(self) -> str:
        return {True: "met", False: "**missed**", None: "—"}[self.ok]


def below(key: str, label: str, value: float | None, limit: float, unit: str, **kw: Any) -> Metric:
    ok = None if value is None else value < limit
    return Metric(key, label, value, unit, f"< {_num(limit)} {unit}".strip(), ok, **kw)


def at_most(
    key: str, label: str, value: float | None, limit: float, unit: str, **kw: Any
) -> Metric:
    ok = None if value is None else value <= limit
    return Metric(key, label, value, unit, f"≤ {_num(limit)} {unit}".strip(), ok, **kw)


def at_least(
    key: str, label: str, value: float | None, limit: float, unit: str, **kw: Any
) -> Metric:
    ok = None if value is None else value >= limit
    return Metric(key, label, value, unit, f"≥ {_num(limit)} {unit}".strip(), ok, **kw)


def within(
    key: str, label: str, value: float | None, low: float, high: float, unit: str, **kw: Any
) -> Metric:
    """low ≤ value ≤ high, judged on the value as shown (rounded to its digits)."""
    ok = None if value is None else low <= round(value, kw.get("digits", 1)) <= high
    return Metric(key, label, value, unit, f"{_num(low)}–{_num(high)} {unit}".strip(), ok, **kw)


def exactly(key: str, label: str, value: float | None, expected: float, **kw: Any) -> Metric:
    ok = None if value is None else value == expected
    return Metric(key, label, value, "", f"{_num(expected)}", ok, **kw)


def info(key: str, label: str, value: float | None, unit: str = "", **kw: Any) -> Metric:
    return Metric(key, label, value, unit, "", None, **kw)


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


@dataclass
class Report:
    bench: str
    title: str
    metrics: list[Metric] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how it was measured
    analysis: list[str] = field(default_factory=list)  # why a target was missed, measured
    elapsed_s: float = 0.0
    error: str | None = None

    def add(self, *metrics: Metric) -> None:
        self.metrics.extend(metrics)

    def missed(self) -> list[Metric]:
        return [m for m in self.metrics if m.ok is False]

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        metrics = [Metric(**m) for m in data.pop("metrics", [])]
        return cls(metrics=metrics, **data)


def table(metrics: Sequence[Metric]) -> str:
    rows = [("figure", "measured", "target", "")]
    rows += [(m.label, m.shown(), m.target or "—", m.verdict.strip("*")) for m in metrics]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def print_report(report: Report) -> None:
    print()
    print(f"== {report.title} ({report.elapsed_s:.0f} s)")
    for note in report.notes:
        print(f"  note: {note}")
    for line in report.analysis:
        print(f"  analysis: {line}")
    if report.error:
        print(f"  ERROR: {report.error}")
    print(table(report.metrics), flush=True)


# -- statistics -----------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100), interpolated between the closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


class Budget:
    """A time budget: benchmarks stop adding rounds once it is spent."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    @property
    def left(self) -> float:
        return self.deadline - time.monotonic()

    @property
    def spent(self) -> bool:
        return self.left <= 0


# -- the machine -------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    import aiosqlite
    import telegram

    cpu = "unknown"
    with _suppress():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with _suppress():
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "CPU": cpu,
        "cores": f"{os.cpu_count()} logical ({usable} usable by this process)",
        "RAM": ram,
        "OS": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "Python": platform.python_version(),
        "python-telegram-bot": telegram.__version__,
        "SQLite": f"{sqlite3.sqlite_version} (aiosqlite {aiosqlite.__version__})",
        "PostgreSQL": postgres_version(),
        "load average at start (1/5/15 min)": load,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def postgres_version() -> str:
    """The server the PostgreSQL rows start (fakegram/pgserver.py), or why there is none."""
    try:
        import asyncpg

        from fakegram.pgserver import SETTINGS, PgUnavailable, _version, find_bindir
    except ImportError as exc:
        return f"none: {exc}"
    try:
        version = _version(find_bindir())
    except PgUnavailable as exc:
        return f"none: {exc.reason}"
    off = ", ".join(
        k for k in ("fsync", "synchronous_commit", "full_page_writes") if SETTINGS[k] == "off"
    )
    return (
        f"{version} (asyncpg {asyncpg.__version__}), a throwaway local server over TCP "
        f"on 127.0.0.1, {off} off"
    )


def _suppress() -> contextlib.suppress:
    return contextlib.suppress(OSError)


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM), in MiB."""
    with _suppress():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    with _suppress():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return math.nan


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- content ×N ----------------------------------------------------------------------------


def multiply_content(content: Content, factor: int) -> Content:
    """The content with every event, fact, agency, contact and term copied `factor` times.

    Copy 0 keeps the ids; copy k gets "-xNN" appended (ids stay under 40 characters).
    Sources and periods stay as they are (periods may not overlap; copies cite the same
    sources and quotes, so the ×N folder is as valid as the shipped one). Contacts of a
    copy point at the agency of the same copy.
    """
    if factor <= 1:
        return content

    def suffix(item_id: str, k: int) -> str:
        return item_id if k == 0 else f"{item_id}-x{k:02d}"

    def copies(items: Iterable[Any], **extra: Callable[[Any, int], Any]) -> tuple[Any, ...]:
        out = []
        for k in range(factor):
            for item in items:
                changes = {"id": suffix(item.id, k)}
                changes.update({name: fn(item, k) for name, fn in extra.items()})
                out.append(dataclasses.replace(item, **changes))
        return tuple(out)

    copied = {
        "event": copies(content.events),
        "fact": copies(content.facts),
        "agency": copies(content.agencies),
        "contact": copies(content.contacts, agency=lambda c, k: suffix(c.agency, k)),
        "term": copies(content.terms),
    }
    return Content({kind: copied.get(kind, items) for kind, items in content.items.items()})


_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
_TOML_ESCAPES["\r"] = "\\r"
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')


def toml_string(value: str) -> str:
    def escape(match: re.Match[str]) -> str:
        ch = match.group(0)
        return _TOML_ESCAPES.get(ch) or f"\\u{ord(ch):04x}"

    return '"' + _NEEDS_ESCAPE.sub(escape, value) + '"'


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {type(value).__name__} in our schema")


def toml_tables(kind: str, items: Iterable[dict[str, Any]]) -> str:
    """`[[kind]]` tables: strings, ints, bools, lists of strings, and string tables
    (ru/tg/en) written as dotted keys, as the shipped files do."""
    out: list[str] = []
    for item in items:
        out.append(f"[[{kind}]]")
        for key, value in item.items():
            if value is None:
                continue
            if isinstance(value, dict):
                out += [f"{key}.{sub} = {toml_value(text)}" for sub, text in value.items()]
            else:
                out.append(f"{key} = {toml_value(value)}")
        out.append("")
    return "\n".join(out)


def _toml_item(item: Any) -> dict[str, Any]:
    """An item as its TOML file spells it (field names of the files, not of the classes)."""
    data = dataclasses.asdict(item)
    if isinstance(item, Period):
        return {"id": item.id, "from": item.start, "to": item.end, "title": item.title}
    if isinstance(item, Term):
        return {"id": item.id, **item.text, "source": item.source}
    if isinstance(item, Fact) and not item.featured:
        data.pop("featured")
    if "quote" in data:
        data["quote"] = list(data["quote"]) or None
    return data


def write_content_dir(content: Content, target: Path, seeds_from: Path = CONTENT_DIR) -> Path:
    """Write `content` as a content folder the loader reads (with the seed files)."""
    target.mkdir(parents=True, exist_ok=True)
    for kind, items in content.items.items():
        text = toml_tables(kind, (_toml_item(i) for i in items))
        (target / BY_NAME[kind].file).write_text(text, encoding="utf-8")
    seeds = target / SEEDS_SUBDIR
    if not seeds.exists():
        shutil.copytree(seeds_from / SEEDS_SUBDIR, seeds)
    return target


# -- the command line ------------------------------------------------------------------------


def main(
    name: str,
    title: str,
    run: Callable[[argparse.Namespace, Report], Coroutine[Any, Any, None]],
    configure: Callable[[argparse.ArgumentParser], None] | None = None,
    argv: Sequence[str] | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{name}", description=title)
    parser.add_argument(
        "--full", action="store_true", help="the sizes bench.run uses (default: small and quick)"
    )
    parser.add_argument("--json", type=Path, help="also write the report to this file")
    parser.add_argument(
        "--uvloop", action="store_true", help="run on uvloop, as python -m bot does where it can"
    )
    if configure is not None:
        configure(parser)
    args = parser.parse_args(argv)
    loopback_only()
    report = Report(name, title)
    started = time.monotonic()
    try:
        if args.uvloop:
            from bot.__main__ import run_async

            run_async(run(args, report))
            report.notes.append("event loop: uvloop")
        else:
            asyncio.run(run(args, report))
    except Exception as exc:  # report what was measured so far, and why the rest is missing
        import traceback

        traceback.print_exc()
        report.error = f"{type(exc).__name__}: {exc}"
    report.elapsed_s = time.monotonic() - started
    if args.json:
        args.json.write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
    print_report(report)
    return 0


def loopback_only() -> None:
    """Never route 127.0.0.1 through a proxy from the environment (httpx trusts it)."""
    for key in ("NO_PROXY", "no_proxy"):
        current = os.environ.get(key, "")
        if LOOPBACK not in current:
            os.environ[key] = ",".join(p for p in (current, LOOPBACK, "localhost") if p)


def ms(seconds: float) -> float:
    return seconds * 1000.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- a database full of subscribers ----------------------------------------------------------


def populate(
    path: Path,
    users: int,
    topics: Sequence[str] = ("reminders", "news"),
    *,
    first_id: int = 1,
    with_settings: bool = True,
) -> float:
    """Add `users` users (ids from first_id) subscribed to `topics`, with raw SQL on a
    database the bot's migrations already created. Their Telegram languages cycle through
    ru, tg, en and de (de: answered in Russian); with_settings gives one user in ten a
    settings row (reminder hours 7–10, one in a hundred in Europe/Moscow, some silent).
    Returns the seconds taken."""
    started = time.perf_counter()
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = NORMAL")
        con.execute("BEGIN")
        seq = "WITH RECURSIVE seq(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM seq WHERE x < ?) "
        last = first_id + users - 1
        ts = int(time.time())
        con.execute(
            seq + "INSERT INTO users (id, telegram_language, created_at, last_seen_at) "
            "SELECT x, CASE x % 4 WHEN 0 THEN 'ru' WHEN 1 THEN 'tg' WHEN 2 THEN 'en' "
            "ELSE 'de' END, ?, ? FROM seq",
            (first_id, last, ts, ts),
        )
        for topic in topics:
            con.execute(
                seq + "INSERT INTO subscriptions (user_id, topic, created_at) SELECT x, ?, ? "
                "FROM seq",
                (first_id, last, topic, ts),
            )
        if with_settings:
            con.execute(
                seq + "INSERT INTO settings (user_id, reminder_hour, timezone, silent) "
                "SELECT x, 7 + (x / 10) % 4, CASE WHEN x % 100 = 0 THEN 'Europe/Moscow' END, "
                "x % 3 = 0 FROM seq WHERE x % 10 = 0",
                (first_id, last),
            )
        con.execute("COMMIT")
    finally:
        con.close()
    return time.perf_counter() - started


async def populate_db(
    db: Database,
    users: int,
    topics: Sequence[str] = ("reminders", "news"),
    *,
    first_id: int = 1,
) -> float:
    """populate() (with its settings rows) through the database's own connection, for
    PostgreSQL: the same rows, generate_series in place of SQLite's recursive CTE, then
    ANALYZE (autovacuum would have done it long before a real push). Seconds taken."""
    started = time.perf_counter()
    last = first_id + users - 1
    ts = int(time.time())
    seq = "FROM generate_series(?::bigint, ?::bigint) AS x"
    async with db.conn.transaction() as tx:
        await tx.execute(
            "INSERT INTO users (id, telegram_language, created_at, last_seen_at) "
            "SELECT x, CASE x % 4 WHEN 0 THEN 'ru' WHEN 1 THEN 'tg' WHEN 2 THEN 'en' "
            f"ELSE 'de' END, ?::bigint, ?::bigint {seq}",
            (ts, ts, first_id, last),
        )
        for topic in topics:
            await tx.execute(
                "INSERT INTO subscriptions (user_id, topic, created_at) "
                f"SELECT x, ?::text, ?::bigint {seq}",
                (topic, ts, first_id, last),
            )
        await tx.execute(
            "INSERT INTO settings (user_id, reminder_hour, timezone, silent) "
            "SELECT x, 7 + (x / 10) % 4, CASE WHEN x % 100 = 0 THEN 'Europe/Moscow' END, "
            f"CASE WHEN x % 3 = 0 THEN 1 ELSE 0 END {seq} WHERE x % 10 = 0",
            (first_id, last),
        )
    for table_name in ("users", "subscriptions", "settings"):
        await db.conn.execute(f"ANALYZE {table_name}")
    return time.perf_counter() - started


# -- PostgreSQL beside SQLite ------------------------------------------------------------------

POSTGRES_SWITCH = "BENCH_POSTGRES"  # "0": measure SQLite only


class Postgres:
    """A throwaway PostgreSQL server (fakegram/pgserver.py) for a benchmark's PostgreSQL
    rows, or the reason there is none: those rows then say "not measured: <reason>" and
    the SQLite ones are measured as ever.

        with Postgres() as pg:
            url = pg.database()  # None when pg.reason says why not
    """

    def __init__(self) -> None:
        self.server: PgServer | None = None
        self.reason = ""
        self.version = ""  # kept after the server stopped, for the notes

    def __enter__(self) -> Postgres:
        if os.environ.get(POSTGRES_SWITCH, "").strip() == "0":
            self.reason = f"switched off ({POSTGRES_SWITCH}=0)"
            return self
        try:
            import asyncpg  # noqa: F401  # the optional extra the bot needs for PostgreSQL

            from fakegram.pgserver import PgServer, PgUnavailable, scratch_dir
        except ImportError as exc:
            self.reason = f"asyncpg is not installed ({exc})"
            return self
        folder = scratch_dir("bench-pg-")
        try:
            self.server = PgServer.start(folder)
            self.version = self.server.version
        except PgUnavailable as exc:
            self.reason = exc.reason
        except Exception as exc:  # initdb or the server failing in a way pgserver did not name
            self.reason = f"PostgreSQL did not start: {type(exc).__name__}: {exc}"
        if self.server is None:  # a start that failed early leaves its empty folder
            shutil.rmtree(folder, ignore_errors=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def failed(self, exc: BaseException) -> None:
        """A PostgreSQL run failed: its rows say so, the server goes, SQLite's rows go on."""
        import traceback

        traceback.print_exc()
        self.reason = f"failed: {type(exc).__name__}: {exc}"
        self.version = ""
        if self.server is not None:
            self.server.stop()
            self.server = None

    def database(self) -> str | None:
        """A fresh empty database's URL (the bot's migrations create its tables on open)."""
        return self.server.create_database() if self.server is not None else None

    def cpu_seconds(self) -> float:
        """CPU seconds the server's processes have used so far (0 without a server): the
        postmaster with the backends it has reaped, and the backends alive. Those are not
        in this process's CPU, where SQLite's work is."""
        if self.server is None:
            return 0.0
        try:
            postmaster = int((self.server.data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return math.nan
        ticks = 0
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:  # after "(comm)": state, ppid, …; utime, stime, cutime, cstime are 11-14
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            if int(proc.name) == postmaster:
                ticks += sum(int(f) for f in fields[11:15])
            elif int(fields[1]) == postmaster:
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    @property
    def described(self) -> str:
        if not self.version:
            return f"PostgreSQL: not measured: {self.reason}"
        return (
            f"PostgreSQL rows: PostgreSQL {self.version}, a throwaway local server "
            "(fakegram/pgserver.py) reached over TCP on 127.0.0.1, with fsync, "
            "synchronous_commit and full_page_writes off and its data in /dev/shm where "
            "there is room: a lower bound for a durable server on a disk; its CPU is in "
            "processes of its own, counted apart (read from /proc)"
        )


NEWS_TEXTS = {
    "ru": "📰 <b>Новости ООН в Таджикистане</b>\n\nПРООН и Правительство Таджикистана "
    "открыли в Душанбе центр по сохранению ледников. Подробности — в разделе /facts."
    "\n\n<i>Источник: Сотрудничество Таджикистана и ООН</i>",
    "tg": "📰 <b>Хабарҳои СММ дар Тоҷикистон</b>\n\nБРСММ ва Ҳукумати Тоҷикистон дар "
    "Душанбе маркази ҳифзи пиряхҳоро кушоданд. Тафсилот — дар бахши /facts."
    "\n\n<i>Манбаъ: Ҳамкории Тоҷикистон ва СММ</i>",
    "en": "📰 <b>UN news in Tajikistan</b>\n\nUNDP and the Government of Tajikistan "
    "opened a glacier preservation centre in Dushanbe. More under /facts."
    "\n\n<i>Source: Tajikistan – UN Cooperation</i>",
}


def failed_import_seconds(name: str = "sniffio", samples: int = 2000) -> float:
    """Seconds one failing `import name` takes here (httpcore tries `import sniffio` for
    every lock it creates; without the package each try searches all of sys.path)."""
    import importlib

    if name in sys.modules:
        return 0.0
    started = time.perf_counter()
    for _ in range(samples):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    return (time.perf_counter() - started) / samples


def calls_of(profile: Any, file_suffix: str, function: str) -> int:
    """How many times a profiled function was called."""
    import pstats

    total = 0
    for (filename, _, func), row in pstats.Stats(profile).stats.items():  # type: ignore[attr-defined]
        if filename.endswith(file_suffix) and func == function:
            total += row[1]
    return total


def sniffio_missing() -> bool:
    """True when `import sniffio` fails here (httpcore then retries it for every lock)."""
    import importlib.util

    return "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None
