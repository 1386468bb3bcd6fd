"""Delivery: queuing a push for 100,000 recipients, and the real outbox Sender's throughput
with its rate limiter off and on.

The Sender (bot.delivery.Sender) gets its own telegram.Bot built as bot.app.start_delivery
builds it, pointed at a fake Bot API that runs in a process of its own
(bench.fake_server), so the sender has a core to itself as it would with Telegram.

- queue: users and news subscriptions are created with raw SQL first, then one
  db.outbox.queue call is timed;
- limiter off: RateLimiter(None), the time until N sends came back (rows marked sent);
- queue and limiter off on PostgreSQL: the same two, the database opened with a
  postgresql:// URL on a throwaway local server (fakegram/pgserver.py, fsync off); where
  none can be started those rows say why instead;
- limiter on: RateLimiter(29) against a fake server that answers 429 beyond 30 sends a
  second (the fake's own sliding window): the sustained rate at the server and the 429s.
- limiter off on PTB's HTTPXRequest: the same sends with the Bot API client the sender had
  before bot/telegram_http.py, for comparison (information only).
Where the limiter-off target is missed, the same sends are repeated without the outbox,
with bare httpx, with fewer in flight and under a profiler, to show what limits them.
Pass --uvloop to run on uvloop, as python -m bot does where it is installed.

    python -m bench.delivery_bench [--full]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import pstats
import sys
import tempfile
import time
import types
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from bench.common import (
    NEWS_TEXTS,
    Postgres,
    Report,
    at_least,
    calls_of,
    cpu_seconds,
    exactly,
    failed_import_seconds,
    info,
    log,
    main,
    populate,
    populate_db,
    sniffio_missing,
    within,
)
from bench.fake_server import FakeServer
from bot.config import Config
from bot.delivery import RateLimiter, Sender
from bot.storage import Database
from bot.storage.postgres import POOL_SIZE
from fakegram.protocol import FAKE_TOKEN

TARGET_RATE_OFF = 1000.0
LIMITED_RATE = 29  # the limiter's rate (PUSH_RATE's default)
SERVER_RATE = 30  # what the fake server allows, like Telegram's ~30 a second


def sender_request(httpx: bool = False) -> BaseRequest:
    """The request object bot.app.start_delivery gives the sender's Bot: its health-tracking
    AiohttpRequest (bot/telegram_http.py); with httpx, PTB's HTTPXRequest, as it had before."""
    options: dict[str, Any] = {
        "connection_pool_size": 80,
        "read_timeout": 15,
        "connect_timeout": 10,
    }
    if httpx:
        return HTTPXRequest(**options)
    from bot.health import ApiStatus, TrackingRequest

    return TrackingRequest(ApiStatus(), **options)


async def make_bot(url: str, httpx: bool = False) -> Bot:
    """The sender's own Bot, built as bot.app.start_delivery builds it."""
    config = Config(token=FAKE_TOKEN, api_root=url)
    bot = Bot(
        config.require_token(),
        base_url=config.base_url,
        base_file_url=config.base_file_url,
        request=sender_request(httpx),
    )
    await bot.initialize()
    return bot


PG = " — on PostgreSQL"  # the label suffix of the PostgreSQL rows; their keys end in _pg


async def fresh_db(target: Path | str, users: int, key: str = "") -> Database:
    """A database (the bot's migrations) with `users` news subscribers and a push to them:
    a SQLite file's path, or a postgresql:// URL (an empty database)."""
    if isinstance(target, str):
        db = await Database.open(target)
        try:
            await populate_db(db, users, ("news",))
            await db.outbox.queue(f"news:{key or 'pg'}", "news", NEWS_TEXTS)
        except BaseException:
            await db.close()
            raise
        return db
    db = await Database.open(target)
    await db.close()
    populate(target, users, ("news",))
    db = await Database.open(target)
    await db.outbox.queue(f"news:{target.stem}", "news", NEWS_TEXTS)
    return db


async def send_until(sender: Sender, count: int, timeout: float) -> float:
    """Start the sender, wait until `count` rows are done (sent or failed); seconds taken."""
    started = time.monotonic()
    await sender.start()
    for _ in range(int(timeout / 0.005)):
        if sender.stats.sent + sender.stats.failed >= count:
            break
        await asyncio.sleep(0.005)
    elapsed = time.monotonic() - started
    await sender.stop()
    return elapsed


# -- queue ----------------------------------------------------------------------------------


async def bench_queue(tmp: Path, users: int, report: Report, pg: Postgres | None = None) -> None:
    """One news push queued for `users` subscribers: on SQLite, or with `pg` on a fresh
    PostgreSQL database (rows "not measured" where pg has no server)."""
    suffix, key = (PG, "_pg") if pg is not None else ("", "")
    if pg is not None:
        url = pg.database()
        if url is None:
            report.add(
                info(
                    "queue_s_pg",
                    f"queue one news push for {users:,} recipients{PG}",
                    None,
                    reason=pg.reason,
                )
            )
            return
        db = await Database.open(url)
        try:
            setup = await populate_db(db, users, ("reminders", "news"))
        except BaseException:
            await db.close()
            raise
    else:
        path = tmp / "queue.sqlite3"
        db = await Database.open(path)
        await db.close()
        setup = populate(path, users, ("reminders", "news"))
        db = await Database.open(path)
    log(f"delivery: {users:,} users and subscriptions created in {setup:.1f} s{suffix}")
    try:
        started = time.perf_counter()
        _, rows = await db.outbox.queue("news:bench", "news", NEWS_TEXTS)
        seconds = time.perf_counter() - started
        again = time.perf_counter()
        _, rows_again = await db.outbox.queue("news:bench", "news", NEWS_TEXTS)
        seconds_again = time.perf_counter() - again
    finally:
        await db.close()
    report.add(
        info(
            f"queue_s{key}",
            f"queue one news push for {rows:,} recipients (one db.outbox.queue){suffix}",
            seconds,
            "s",
            digits=2,
        ),
        info(f"queue_rate{key}", "… rows queued a second", rows / seconds, "rows/s", digits=0),
        info(
            f"queue_again_s{key}",
            f"… the same push queued again (idempotent: {rows_again} rows added)",
            seconds_again,
            "s",
            digits=2,
        ),
    )


# -- limiter off ----------------------------------------------------------------------------


async def bench_unlimited(
    tmp: Path, sends: int, report: Report, httpx: bool = False, pg: Postgres | None = None
) -> None:
    """The Sender with its limiter off: on SQLite, or with `pg` on a fresh PostgreSQL
    database (the row "not measured" where pg has no server)."""
    suffix, key = (PG, "_pg") if pg is not None else ("", "")
    target: Path | str
    if pg is not None:
        url = pg.database()
        if url is None:
            report.add(
                at_least(
                    "off_rate_pg",
                    f"sends a second, limiter off{PG}",
                    None,
                    TARGET_RATE_OFF,
                    "msg/s",
                    digits=0,
                    reason=pg.reason,
                )
            )
            return
        target = url
    else:
        target = tmp / f"unlimited{'-httpx' if httpx else ''}.sqlite3"
    db = await fresh_db(target, sends, "unlimited")
    async with FakeServer() as server:
        bot = await make_bot(server.url, httpx)
        try:
            sender = Sender(db, bot, limiter=RateLimiter(None))
            cpu_before, server_before = cpu_seconds(), (await server.stats())["cpu_s"]
            pg_before = pg.cpu_seconds() if pg is not None else 0.0
            elapsed = await send_until(sender, sends, timeout=max(60.0, sends / 100))
            cpu = cpu_seconds() - cpu_before
            pg_cpu = pg.cpu_seconds() - pg_before if pg is not None else 0.0
            stats = await server.stats()
        finally:
            await bot.shutdown()
            await db.close()
    arrivals = sorted(stats["arrivals"])
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else float("nan")
    sent = max(sender.stats.sent, 1)
    if httpx:
        report.add(
            info(
                "off_rate_httpx",
                "… the same on PTB's HTTPXRequest (the sender's client before issue 15)",
                sender.stats.sent / elapsed,
                f"msg/s ({cpu / sent * 1000:.2f} ms CPU each)",
                digits=0,
            )
        )
        return
    report.add(
        at_least(
            f"off_rate{key}",
            f"sends a second, limiter off ({sender.stats.sent:,} sends, rows marked sent){suffix}",
            sender.stats.sent / elapsed,
            TARGET_RATE_OFF,
            "msg/s",
            digits=0,
        ),
        info(
            f"off_arrival_rate{key}",
            "… as arriving at the fake server (first to last)",
            (len(arrivals) - 1) / span,
            "msg/s",
            digits=0,
        ),
        info(
            f"off_cpu_bot{key}",
            "… CPU of the sender's process per send",
            cpu / sent * 1000,
            "ms",
            digits=2,
        ),
    )
    if pg is not None:
        report.add(
            info(
                "off_cpu_postgres",
                "… CPU of PostgreSQL's processes per send",
                pg_cpu / sent * 1000,
                "ms",
                digits=2,
            )
        )
    report.add(
        info(
            f"off_cpu_server{key}",
            "… CPU of the fake server's process per send",
            (stats["cpu_s"] - server_before) / sent * 1000,
            "ms",
            digits=2,
        ),
    )
    if sender.stats.failed or stats["errors"]:
        report.notes.append(
            f"limiter off{suffix}: {sender.stats.failed} failed sends, "
            f"server errors {dict(Counter(stats['errors']))}"
        )


async def rate_of(
    fn: Callable[[int], Awaitable[object]], count: int, concurrency: int
) -> tuple[float, float]:
    """(calls a second, ms of this process's CPU per call): `count` calls, `concurrency` at once."""
    slots = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with slots:
            await fn(i)

    cpu, started = cpu_seconds(), time.monotonic()
    await asyncio.gather(*(one(i) for i in range(count)))
    return count / (time.monotonic() - started), (cpu_seconds() - cpu) / count * 1000


def shares(profile: cProfile.Profile, parts: dict[str, tuple[str, str]]) -> dict[str, float]:
    """Cumulative time of some functions as a share of the event-loop thread's busy time
    (its total minus the selector's poll, where it waits for sockets and the SQLite thread)."""
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    busy = 0.0
    found = dict.fromkeys(parts, 0.0)
    for (filename, _, function), (_, _, self_time, cumulative, _) in stats.items():
        if not (filename == "~" and "poll" in function):
            busy += self_time
        for name, (file_suffix, func) in parts.items():
            if filename.endswith(file_suffix) and function == func:
                found[name] += cumulative
    return {name: value / busy for name, value in found.items()} | {"busy_s": busy}


_RUNS = itertools.count(1)


async def sender_run(
    path: Path,
    bot: Bot,
    sends: int,
    *,
    concurrency: int = 64,
    profiler: cProfile.Profile | None = None,
) -> tuple[float, float]:
    db = await fresh_db(path.with_name(f"{path.stem}-{next(_RUNS)}.sqlite3"), sends)
    try:
        sender = Sender(db, bot, limiter=RateLimiter(None), concurrency=concurrency)
        cpu = cpu_seconds()
        if profiler is not None:
            profiler.enable()
        elapsed = await send_until(sender, sends, timeout=60)
        if profiler is not None:
            profiler.disable()
        return sender.stats.sent / elapsed, (cpu_seconds() - cpu) / sends * 1000
    finally:
        await db.close()


async def diagnose_unlimited(tmp: Path, sends: int, report: Report, rounds: int = 2) -> None:
    """Why the limiter-off rate falls short: the same sends without the outbox, bare httpx,
    fewer sends in flight, a profile, and (if it is missing) `sniffio` importable. Each variant
    runs `rounds` times, interleaved, and keeps its best round (the machine is shared)."""
    figures: dict[str, tuple[float, float]] = {}
    profiler = cProfile.Profile()
    missing = sniffio_missing()
    async with FakeServer() as server:
        bot = await make_bot(server.url)
        url = f"{server.url}/bot{FAKE_TOKEN}/sendMessage"
        text = NEWS_TEXTS["en"]
        # The pool PTB's HTTPXRequest(connection_pool_size=80) makes: 80 kept alive.
        limits = httpx.Limits(max_connections=80, max_keepalive_connections=80)
        client = httpx.AsyncClient(limits=limits)

        async def via_bot(i: int) -> None:
            await bot.send_message(i + 1, text, parse_mode="HTML")

        async def via_httpx(i: int) -> None:
            data = {"chat_id": i + 1, "text": text, "parse_mode": "HTML"}
            (await client.post(url, data=data)).raise_for_status()

        async def with_sniffio(concurrency: int = 64) -> tuple[float, float]:
            sys.modules["sniffio"] = _sniffio_stub()
            try:
                return await sender_run(tmp / "dsn.sqlite3", bot, sends, concurrency=concurrency)
            finally:  # without it, `import sniffio` fails (and searches sys.path) again
                del sys.modules["sniffio"]

        variants: dict[str, Callable[[], Awaitable[tuple[float, float]]]] = {
            "bot": lambda: rate_of(via_bot, sends, 64),
            "httpx": lambda: rate_of(via_httpx, sends, 64),
            "httpx8": lambda: rate_of(via_httpx, sends, 8),
            "sender64": lambda: sender_run(tmp / "d64.sqlite3", bot, sends),
            "sender8": lambda: sender_run(tmp / "d8.sqlite3", bot, sends, concurrency=8),
        }
        if missing:
            variants["sniffio"] = with_sniffio
            variants["sniffio8"] = lambda: with_sniffio(8)
        try:
            for _ in range(rounds):
                for key, variant in variants.items():
                    result = await variant()
                    if key not in figures or result[0] > figures[key][0]:
                        figures[key] = result
            await sender_run(tmp / "dprof.sqlite3", bot, sends, profiler=profiler)
        finally:
            await client.aclose()
            await bot.shutdown()
    part = shares(
        profiler,
        {
            "httpx": ("httpx/_client.py", "request"),
            "sniffio": ("httpcore/_synchronization.py", "current_async_library"),
            "pool": ("httpcore/_async/connection_pool.py", "_assign_requests_to_connections"),
            "claim": ("bot/storage.py", "claim"),
            "mark_sent": ("bot/storage.py", "mark_sent"),
        },
    )
    labels = {
        "bot": "bot.send_message alone (no outbox), 64 in flight",
        "httpx": "bare httpx POST to the same server, 64 in flight",
        "httpx8": "bare httpx POST, 8 in flight",
        "sender64": "the Sender again (64 in flight)",
        "sender8": "Sender(concurrency=8)",
        "sniffio": "the Sender with a `sniffio` module importable",
        "sniffio8": "the Sender with sniffio importable and 8 in flight",
    }
    for key, label in labels.items():
        if key not in figures:
            continue
        rate, cpu_ms = figures[key]
        report.add(
            info(
                f"diag_{key}",
                f"diagnosis: {label}",
                rate,
                f"msg/s ({cpu_ms:.2f} ms CPU each)",
                digits=0,
            )
        )
    per_send = calls_of(profiler, "httpcore/_synchronization.py", "current_async_library") / sends
    part["sniffio_ms"] = per_send * failed_import_seconds() * 1000 if missing else 0.0
    part["sniffio_calls"] = per_send
    report.analysis.append(limits_text(figures, part, rounds, sends))


def limits_text(
    figures: dict[str, tuple[float, float]], part: dict[str, float], rounds: int, sends: int
) -> str:
    """The analysis of the limiter-off rate, worded after what was measured."""
    sender_rate = figures["sender64"][0]
    bot_rate = figures["bot"][0]
    ceiling_rate, ceiling_cpu = max(figures["httpx"], figures["httpx8"])
    if ceiling_rate < TARGET_RATE_OFF:
        head = (
            "What limits the limiter-off rate is the HTTP client's CPU cost on the one "
            "event-loop thread: bare httpx POSTs to the same fake server, without PTB or the "
            f"outbox, reach only {figures['httpx8'][0]:,.0f}/s with 8 in flight "
            f"({figures['httpx8'][1]:.2f} ms of CPU each) and {figures['httpx'][0]:,.0f}/s with "
            f"64 ({figures['httpx'][1]:.2f} ms each: httpcore's pool bookkeeping grows with the "
            f"connections in use), so one core issues at most ~{1000 / ceiling_cpu:,.0f} httpx "
            f"requests a second here; bot.send_message without the outbox {bot_rate:,.0f}/s, "
            f"the Sender {sender_rate:,.0f}/s"
        )
    else:
        head = (
            f"Bare httpx POSTs reach {ceiling_rate:,.0f}/s, bot.send_message without the "
            f"outbox {bot_rate:,.0f}/s and the Sender {sender_rate:,.0f}/s: the gap is PTB's "
            "and the Sender's own work per send"
        )
    outbox = part["claim"] + part["mark_sent"]
    missing = "sniffio" in figures
    sniffio = (
        f" and failed `import sniffio` attempts {part['sniffio']:.0%} (httpcore tries to "
        "import sniffio for every lock it creates; it is not installed, so every try "
        f"searches sys.path: {part['sniffio_calls']:.1f} tries per send, "
        f"{part['sniffio_ms']:.2f} ms of CPU per send without the profiler)"
        if missing
        else ""
    )
    profile = (
        f"Profile of the Sender (shares of the event loop's {part['busy_s']:.1f} s of busy "
        f"time under cProfile): httpx.AsyncClient.request {part['httpx']:.0%}, within it "
        f"httpcore's pool bookkeeping {part['pool']:.0%} (_assign_requests_to_connections "
        "checks every pooled connection on each request: 64 in flight means 64 connections "
        f"to check){sniffio}; the outbox's claim and mark_sent {outbox:.0%}"
    )
    names = {"sender8": "8 sends in flight"}
    if missing:
        names |= {"sniffio": "sniffio importable", "sniffio8": "both"}
    whatifs = (
        f"Measured what-ifs (best of {rounds} interleaved rounds of {sends:,} sends): "
        + "; ".join(f"{label} {figures[key][0]:,.0f}/s" for key, label in names.items())
        + f"; the Sender as shipped {sender_rate:,.0f}/s"
    )
    helps = [n for k, n in names.items() if figures[k][0] > sender_rate * 1.10]
    best = max(figures[k][0] for k in names)
    if best >= TARGET_RATE_OFF:
        tail = f"These reach the target: {', '.join(helps)}."
    else:
        tail = (
            "Gains over 10 % in this run: "
            + (", ".join(helps) if helps else "none")
            + f". Even the best ({best:,.0f}/s) stays under {TARGET_RATE_OFF:,.0f}/s on this "
            "machine: 1,000 msg/s needs a lighter HTTP client than httpx (PTB accepts a "
            "custom BaseRequest) with fewer requests in flight"
            + (", and sniffio installed" if missing else "")
            + " — or senders in more than one process (which the outbox would have to "
            "allow: Sender.start puts every in-flight row back to pending, another "
            "sender's included)."
        )
    return f"{head}. {profile}. {whatifs}. {tail}"


def postgres_text(report: Report) -> str:
    """Why the Sender on PostgreSQL falls short, from this run's figures."""
    figure = {m.key: m.value or 0.0 for m in report.metrics}
    return (
        f"On PostgreSQL the same Sender reached {figure['off_rate_pg']:,.0f} sends a second "
        f"against {figure['off_rate']:,.0f} on SQLite in this run; its process's CPU per "
        f"send {figure['off_cpu_bot_pg']:.2f} ms against {figure['off_cpu_bot']:.2f} ms, and "
        f"PostgreSQL's processes {figure['off_cpu_postgres']:.2f} ms more per send. Each "
        "row sent is marked with one UPDATE, a round trip over TCP through the pool of "
        f"{POOL_SIZE} connections (64 sends in flight), and each claim of 200 rows takes "
        "a few statements more (here to a local server with fsync off). In production "
        f"Telegram's ~{SERVER_RATE} messages a second bound the sender long before either "
        "backend does."
    )


def _sniffio_stub() -> types.ModuleType:
    module = types.ModuleType("sniffio")
    module.current_async_library = lambda: "asyncio"  # type: ignore[attr-defined]
    return module


# -- limiter on -----------------------------------------------------------------------------


async def bench_limited(tmp: Path, seconds: float, report: Report) -> None:
    sends = int(LIMITED_RATE * seconds)
    db = await fresh_db(tmp / "limited.sqlite3", sends)
    async with FakeServer(rate=SERVER_RATE) as server:
        bot = await make_bot(server.url)
        try:
            sender = Sender(db, bot, limiter=RateLimiter(LIMITED_RATE))
            elapsed = await send_until(sender, sends, timeout=seconds + 30)
            stats = await server.stats()
        finally:
            await bot.shutdown()
            await db.close()
    arrivals = sorted(stats["arrivals"])
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else float("nan")
    window = max_in_window(arrivals, 1.0)
    report.add(
        within(
            "on_rate",
            f"sustained sends a second, RateLimiter({LIMITED_RATE}) vs a {SERVER_RATE}/s "
            f"server ({len(arrivals):,} sends over {span:.1f} s)",
            (len(arrivals) - 1) / span,
            29,
            30,
            "msg/s",
        ),
        exactly(
            "on_429",
            "429 Too Many Requests answers, limiter on",
            stats["too_many_requests"],
            0,
            digits=0,
        ),
        info(
            "on_window", "… most sends the server saw in any 1-second window", window, "", digits=0
        ),
        info("on_elapsed", "… wall time until every row was sent", elapsed, "s"),
    )
    if stats["too_many_requests"]:
        report.analysis.append(
            f"The limiter spaces sends 1/{LIMITED_RATE} s apart as they leave, but the fake "
            f"server counts arrivals in a sliding 1-second window: up to {window} arrived "
            "within one second, so stalls of the event loop on this busy machine bunched "
            f"them; the sender paused {sender.stats.too_many_requests} time(s) as told "
            "(retry_after) and sent those rows again."
        )


def max_in_window(times: list[float], width: float) -> int:
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= width:
            start += 1
        best = max(best, end - start + 1)
    return best


async def run(args: argparse.Namespace, report: Report) -> None:
    queue_users = args.queue_users or (100_000 if args.full else 20_000)
    sends = args.sends or (10_000 if args.full else 2_000)
    seconds = args.seconds or (15.0 if args.full else 5.0)
    with tempfile.TemporaryDirectory() as tmp_name, Postgres() as pg:
        tmp = Path(tmp_name)
        log(f"delivery: queue {queue_users:,}")
        await bench_queue(tmp, queue_users, report)
        log(f"delivery: queue {queue_users:,} on PostgreSQL")
        try:
            await bench_queue(tmp, queue_users, report, pg=pg)
        except Exception as exc:
            pg.failed(exc)
            await bench_queue(tmp, queue_users, report, pg=pg)  # its row: why not measured
        log(f"delivery: {sends:,} sends, limiter off")
        await bench_unlimited(tmp, sends, report)
        log(f"delivery: {sends:,} sends, limiter off, on PostgreSQL")
        try:
            await bench_unlimited(tmp, sends, report, pg=pg)
        except Exception as exc:
            pg.failed(exc)
            report.metrics = [m for m in report.metrics if not m.key.startswith("off_rate_pg")]
            await bench_unlimited(tmp, sends, report, pg=pg)  # its row: why not measured
        log(f"delivery: {sends:,} sends, limiter off, PTB's HTTPXRequest")
        await bench_unlimited(tmp, sends, report, httpx=True)
        log(f"delivery: limiter on for ~{seconds:.0f} s")
        await bench_limited(tmp, seconds, report)
        off = next(m for m in report.metrics if m.key == "off_rate")
        if off.ok is False or args.diagnose:
            log("delivery: diagnosing the limiter-off rate")
            await diagnose_unlimited(tmp, min(sends, 1000), report)
        if next(m for m in report.metrics if m.key == "off_rate_pg").ok is False:
            report.analysis.append(postgres_text(report))
    report.notes.append(
        f"queue: {queue_users:,} users (one in ten with settings) subscribed to news and "
        f"reminders, created with raw SQL. Limiter off: one push to {sends:,} users, rows "
        "claimed 200 at a time, 64 sends in flight (the Sender's defaults). The fake Bot "
        "API runs in its own process and checks each message's HTML as Telegram would"
    )
    report.notes.append(
        f"{pg.described}. They time the same queue call and Sender, the database "
        "opened with its postgresql:// URL (the bot's migrations, its pool of "
        f"{POOL_SIZE} connections), the users created with INSERT … SELECT generate_series "
        "and ANALYZEd before the timed part. In production the sender's rate is bounded by "
        f"Telegram's ~{SERVER_RATE} messages a second anyway (the limiter-on rows): the "
        "limiter-off figures are the headroom above that"
        if pg.version
        else pg.described
    )


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--queue-users", type=int, help="recipients of the timed queue call")
    parser.add_argument("--sends", type=int, help="sends with the limiter off")
    parser.add_argument("--seconds", type=float, help="duration with the limiter on")
    parser.add_argument("--diagnose", action="store_true", help="diagnose even if met")


if __name__ == "__main__":
    raise SystemExit(main("delivery_bench", "Delivery: queue and send", run, configure))
