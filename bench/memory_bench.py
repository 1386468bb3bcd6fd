"""Memory: the peak resident set of a process holding a database of 1,000,000 users
subscribed to reminders while a reminder run queues them all, and the time it takes.

The users (one in ten with a settings row: reminder hours 7–10, some in another time
zone, some silent) and their subscriptions are written with raw SQL into a database the
bot's own migrations created. Then a fresh child process imports the bot as the running
bot does (bot.app and every handler), opens the database with bot.storage.Database, loads
the shipped content with ContentStore, and runs bot.reminders.queue_day for 2 March (the
anniversary of Tajikistan joining the UN). The child reads its own VmHWM (peak RSS) from
/proc/self/status before and after.

    python -m bench.memory_bench [--full]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, Report, below, info, log, main, peak_rss_mb, populate, rss_mb

TARGET_MB = 200.0
DAY = dt.date(2027, 3, 2)


async def child(db_path: Path) -> dict[str, float]:
    """In the measured process: what the bot holds, then one reminder run."""
    import bot.app  # noqa: F401  (the running bot has all of it imported)
    import handlers  # noqa: F401
    from bot.config import Config
    from bot.content.model import CONTENT_DIR
    from bot.content.store import ContentStore
    from bot.i18n import I18n
    from bot.reminders import queue_day
    from bot.storage import Database

    out = {"imports_rss_mb": rss_mb()}
    db = await Database.open(db_path)
    try:
        content = ContentStore(db)
        await content.load(CONTENT_DIR)
        i18n = I18n()
        out["ready_rss_mb"] = rss_mb()
        out["ready_peak_mb"] = peak_rss_mb()
        waits: list[float] = []
        running = True

        async def probe() -> None:
            """A user writing to the bot during the run: Users.seen's database write."""
            while running:
                began = time.perf_counter()
                await db.chats.seen_user(2_000_000_000, "en")
                waits.append(time.perf_counter() - began)
                await asyncio.sleep(0.05)

        prober = asyncio.create_task(probe())
        started = time.perf_counter()
        queued = await queue_day(db, i18n, content.current, DAY, Config(token=None).timezone)
        out["queue_s"] = time.perf_counter() - started
        running = False
        await prober
        out["probe_max_s"] = max(waits)
        out["rows"] = sum(q.rows for q in queued)
        out["pushes"] = len(queued)
        out["after_rss_mb"] = rss_mb()
        out["peak_mb"] = peak_rss_mb()
    finally:
        await db.close()
    return out


def groups_of(db_path: Path) -> int:
    """How many (time zone, hour) groups queue() inserts separately, one statement each."""
    con = sqlite3.connect(db_path)
    try:
        row = con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT s.timezone, coalesce(s.reminder_hour, 9) "
            "FROM subscriptions sub JOIN users u ON u.id = sub.user_id "
            "LEFT JOIN settings s ON s.user_id = sub.user_id "
            "WHERE sub.topic = 'reminders' AND u.blocked_at IS NULL)"
        ).fetchone()
        return int(row[0])
    finally:
        con.close()


async def run(args: argparse.Namespace, report: Report) -> None:
    users = args.users or (1_000_000 if args.full else 100_000)
    from bot.storage import Database

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "million.sqlite3"
        db = await Database.open(path)
        await db.close()
        log(f"memory: creating {users:,} users subscribed to reminders")
        setup = populate(path, users, ("reminders",))
        size_mb = path.stat().st_size / 2**20
        log(f"memory: created in {setup:.1f} s ({size_mb:.0f} MB); queuing in a fresh process")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.memory_bench",
            "--child",
            str(path),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            stdout, _ = await asyncio.wait_for(proc.communicate(), args.timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise
        result = json.loads(stdout.decode().strip().splitlines()[-1])
        groups = groups_of(path)
    report.add(
        below(
            "peak_mb",
            f"peak RSS while queuing reminders for {int(result['rows']):,} users",
            result["peak_mb"],
            TARGET_MB,
            "MB",
            digits=0,
        ),
        info(
            "ready_mb",
            "… RSS before the run (bot imported, content loaded)",
            result["ready_rss_mb"],
            "MB",
            digits=0,
        ),
        info(
            "queue_s",
            f"… time of queue_day ({int(result['pushes'])} push, {groups} time-zone/hour groups)",
            result["queue_s"],
            "s",
        ),
        info(
            "queue_rate",
            "… rows queued a second",
            result["rows"] / result["queue_s"],
            "rows/s",
            digits=0,
        ),
        info(
            "probe_max_s",
            "… longest wait of an update's user write (seen_user) during the run",
            result["probe_max_s"],
            "s",
            digits=2,
        ),
        info("setup_s", f"setting up {users:,} users with raw SQL (not the bot)", setup, "s"),
    )
    report.notes.append(
        f"database file {size_mb:.0f} MB before the run; RSS (VmRSS/VmHWM of the child, "
        "MiB): after imports "
        f"{result['imports_rss_mb']:.0f}, ready {result['ready_rss_mb']:.0f}, after the run "
        f"{result['after_rss_mb']:.0f}, peak {result['peak_mb']:.0f}; queue() inserts one "
        "INSERT…SELECT per (time zone, hour) group inside one transaction, holding the "
        "bot's single database lock meanwhile; a probe wrote a user (as every update "
        "does) every 50 ms during the run"
    )
    if result["probe_max_s"] > 0.5:
        report.analysis.append(
            f"No target, but worth knowing: queue_day took {result['queue_s']:.1f} s for "
            f"{int(result['rows']):,} rows in one transaction under the bot's single database "
            f"lock, so a user's update (which writes the user first) waited up to "
            f"{result['probe_max_s']:.1f} s: at this size the bot stops answering for that "
            "long when reminders are queued (the daily job, and the catch-up at every start "
            "on such a day; queuing again is idempotent but rescans every subscriber). "
            "Queuing in chunks (e.g. 50,000 users per transaction, by user id) would let "
            "other statements in between."
        )
    if result["peak_mb"] >= TARGET_MB:
        report.analysis.append(
            f"Peak RSS {result['peak_mb']:.0f} MB, of which {result['ready_rss_mb']:.0f} MB "
            "before the run: the queue itself adds "
            f"{result['peak_mb'] - result['ready_rss_mb']:.0f} MB."
        )


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--users", type=int, help="subscribed users")
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds for the child")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)


if __name__ == "__main__":
    if "--child" in sys.argv:
        path = Path(sys.argv[sys.argv.index("--child") + 1])
        print(json.dumps(asyncio.run(child(path))), flush=True)
        raise SystemExit(0)
    raise SystemExit(main("memory_bench", "Memory of a reminder run", run, configure))
