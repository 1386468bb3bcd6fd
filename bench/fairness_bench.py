"""Fairness: how long other users wait for a reply while the bot does something heavy.

Two heavy things, each measured the way a user meets it — a second user sending /start
(or /help) over and over through the fake Bot API, each reply timed from update to answer:
- queuing the day's reminders for N subscribers (1,000,000 with --full) on 2 March;
- the first /timeline of a language (matplotlib draws the picture, ~1 s).

    python -m bench.fairness_bench [--full] [--users N]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.common import Report, below, info, log, main, ms, percentile, populate

TARGET_MS = 100.0
DUSHANBE = ZoneInfo("Asia/Dushanbe")


async def _probe(user: object, text: str, running: asyncio.Event, waits: list[float]) -> None:
    """Send `text` again and again while `running` is set; keep each reply's latency."""
    send = user.send  # type: ignore[attr-defined]
    while running.is_set():
        began = time.perf_counter()
        await send(text)
        waits.append(time.perf_counter() - began)


async def during_reminders(tmp: Path, users: int) -> tuple[list[float], float, int]:
    from bot.reminders import queue_reminders
    from bot.storage import Database
    from fakegram.harness import Harness

    path = tmp / "bot.sqlite3"
    db = await Database.open(path)
    await db.close()
    log(f"fairness: {users:,} subscribers")
    populate(path, users, ("reminders",))
    async with Harness(tmp) as bot:
        # Just after midnight on 2 March: the reminders are due at 07:00–10:00, not now.
        bot.set_now(dt.datetime(2027, 3, 2, 0, 0, 30, tzinfo=DUSHANBE))
        user = bot.user(language_code="en")
        await user.send("/start")
        running, waits = asyncio.Event(), []
        running.set()
        probe = asyncio.create_task(_probe(user, "/start", running, waits))
        began = time.perf_counter()
        queued = await queue_reminders(bot.services)
        took = time.perf_counter() - began
        running.clear()
        await probe
    return waits, took, sum(q.rows for q in queued)


async def during_timeline(tmp: Path) -> tuple[list[float], float]:
    from fakegram.harness import Harness

    async with Harness(tmp) as bot:
        drawer, other = bot.user(language_code="tg"), bot.user(language_code="en")
        await other.send("/help")
        running, waits = asyncio.Event(), []
        running.set()
        probe = asyncio.create_task(_probe(other, "/help", running, waits))
        await asyncio.sleep(0.05)
        began = time.perf_counter()
        await drawer.send("/timeline")
        took = time.perf_counter() - began
        running.clear()
        await probe
    return waits, took


async def run(args: argparse.Namespace, report: Report) -> None:
    users = args.users or (1_000_000 if args.full else 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        waits, took, rows = await during_reminders(Path(tmp) / "reminders", users)
    report.add(
        below(
            "reminders_p99",
            f"another user's reply while {rows:,} reminders are queued, p99",
            ms(percentile(waits, 99)),
            TARGET_MS,
            "ms",
        ),
        info("reminders_p50", "… p50", ms(percentile(waits, 50)), "ms"),
        info("reminders_max", "… longest", ms(max(waits)), "ms"),
        info("reminders_s", f"… queuing took ({len(waits)} replies meanwhile)", took, "s"),
    )
    with tempfile.TemporaryDirectory() as tmp:
        waits, took = await during_timeline(Path(tmp) / "timeline")
    report.add(
        below(
            "timeline_p99",
            "another user's reply while a first /timeline is drawn, p99",
            ms(percentile(waits, 99)),
            TARGET_MS,
            "ms",
        ),
        info("timeline_p50", "… p50", ms(percentile(waits, 50)), "ms"),
        info("timeline_s", f"… the /timeline took ({len(waits)} replies meanwhile)", took, "s"),
    )


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--users", type=int, help="subscribers whose reminders are queued")


if __name__ == "__main__":
    raise SystemExit(main("fairness_bench", "Fairness: replies while the bot works", run, configure))
