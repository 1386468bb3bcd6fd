"""End to end: our bot against a bare python-telegram-bot echo bot, same load, same run.

N simulated users each send M messages (/start, /help, /facts, /next and a search word in
their language), one at a time: a user sends the next message once the bot finished the
previous one (closed loop, N users at once). Each bot runs in this process with its own
fake Bot API (fakegram.server over real HTTP on 127.0.0.1) and long polling, as the Harness
runs it. Latency: from the update queued at the fake server (api.message_update) to the
bot's sendMessage arriving there (Call.at). Variants run in interleaved rounds:

- echo: Application with one MessageHandler sending the same text back, PTB's defaults
  (HTTPXRequest);
- echo on aiohttp: the same echo bot on the bot's own HTTP backend (bot/telegram_http.py,
  the pools build_application gives it), so that ours' overhead beyond HTTP is visible;
- ours: the real application (fakegram.harness.Harness, build_application as shipped, with its
  AIORateLimiter);
- ours without the reply limiter: build_application(rate_limit=False), to size its cost;
- ours on PostgreSQL: the real application with Config.database_url, a fresh database per
  run on a throwaway local server (fakegram/pgserver.py, over TCP, fsync off); its CPU
  figure adds the server's processes. Where no server can be started, its rows say why.

Where a target is missed, the benchmark profiles both bots, times each command alone,
and runs what-ifs in interleaved rounds (an echo bot sending ours' /start reply, ours
without the limiter, with concurrent updates …), compared by CPU time per update.

    python -m bench.e2e_bench [--full]
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import cProfile
import functools
import os
import pstats
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ApplicationBuilder, MessageHandler, TypeHandler, filters

from bench.common import (
    Postgres,
    Report,
    at_least,
    at_most,
    calls_of,
    cpu_seconds,
    failed_import_seconds,
    info,
    log,
    main,
    median,
    ms,
    percentile,
    sniffio_missing,
)
from bot.app import build_application
from bot.config import Config
from bot.content.model import CONTENT_DIR
from bot.telegram_http import AiohttpRequest
from fakegram.harness import DONE_GROUP, Harness
from fakegram.protocol import FAKE_TOKEN
from fakegram.records import FakeUser
from fakegram.server import FakeBotAPI

SEARCH_WORDS = {"ru": "ледники", "tg": "пиряхҳо", "en": "glaciers"}
SCRIPT = ("/start", "/help", "/facts", "/next", None)  # None: a search word
LANGS = ("ru", "tg", "en")
TARGET_THROUGHPUT = 1.0  # issue 15: at least a bare PTB echo bot's throughput
TARGET_P95 = 1.0
ECHO_AIOHTTP = "echo on aiohttp"
OURS_PG = "ours on PostgreSQL"


def message(user: FakeUser, k: int) -> str:
    text = SCRIPT[k % len(SCRIPT)]
    return text if text is not None else SEARCH_WORDS[user.language_code or "ru"]


class NoLimiterHarness(Harness):
    """The Harness, with build_application(rate_limit=False): no AIORateLimiter."""

    async def start_bot(self) -> Any:
        app = build_application(
            self.config, content_dir=self.content_dir, features=self.features, rate_limit=False
        )
        app.add_handler(TypeHandler(Update, self._mark_done), group=DONE_GROUP)
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=5)
        self.app = app
        return app


@asynccontextmanager
async def ours(
    tmp: Path, limiter: bool = True, database_url: str | None = None
) -> AsyncIterator[FakeBotAPI]:
    """Ours in the Harness: on a SQLite file in `tmp`, or with database_url on PostgreSQL."""
    cls = Harness if limiter else NoLimiterHarness
    config = Config(token=FAKE_TOKEN, database_path=tmp / "bot.sqlite3", database_url=database_url)
    async with cls(tmp, content_dir=CONTENT_DIR, config=config) as h:
        yield h.api


def ours_on(pg: Postgres) -> Callable[[Path], Any]:
    """Ours on a fresh PostgreSQL database of `pg`'s server each time it is started."""

    def factory(tmp: Path) -> Any:
        return ours(tmp, database_url=pg.database())

    return factory


@asynccontextmanager
async def echo(
    tmp: Path, reply_with: dict[str, Any] | None = None, aiohttp: bool = False
) -> AsyncIterator[FakeBotAPI]:
    """A bare PTB echo bot, started and stopped like the Harness starts ours. With
    reply_with (a sendMessage's params), it answers every message with that message
    instead (same text, HTML, buttons): the cost of ours' replies without ours' work.
    With aiohttp, it talks to the Bot API through ours' backend, pools as ours has them."""
    api = FakeBotAPI()
    await api.start()
    builder = (
        ApplicationBuilder()
        .token(FAKE_TOKEN)
        .base_url(f"{api.url}/bot")
        .base_file_url(f"{api.url}/file/bot")
    )
    if aiohttp:
        builder = builder.request(AiohttpRequest(connection_pool_size=64)).get_updates_request(
            AiohttpRequest(connection_pool_size=2, read_timeout=30)
        )
    app: Application[Any, Any, Any, Any, Any, Any] = builder.build()
    markup = None
    if reply_with and reply_with.get("reply_markup"):
        rows = reply_with["reply_markup"].get("inline_keyboard", [])
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(**b) for b in row] for row in rows])

    async def reply(update: Update, context: Any) -> None:
        assert update.effective_chat is not None and update.effective_message is not None
        if reply_with is None:
            await update.effective_chat.send_message(update.effective_message.text or "")
        else:
            await update.effective_chat.send_message(
                reply_with["text"], parse_mode=reply_with.get("parse_mode"), reply_markup=markup
            )

    async def done(update: Update, context: Any) -> None:
        api.mark_done(update.update_id)

    app.add_handler(MessageHandler(filters.TEXT, reply))
    app.add_handler(TypeHandler(Update, done), group=DONE_GROUP)
    try:
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=5)
        yield api
    finally:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        await api.stop()


async def drive(
    api: FakeBotAPI, users: list[FakeUser], per_user: int
) -> tuple[float, list[float], int]:
    """(seconds, latencies, unanswered): every user sends per_user messages, one at a time."""
    import asyncio

    sent: dict[int, list[float]] = defaultdict(list)

    async def one(user: FakeUser) -> None:
        for k in range(per_user):
            started = time.monotonic()
            update_id = api.message_update(user, message(user, k))
            sent[user.id].append(started)
            await api.wait_done(update_id, timeout=60)

    started = time.monotonic()
    await asyncio.gather(*(one(u) for u in users))
    elapsed = time.monotonic() - started
    replies: dict[int, list[float]] = defaultdict(list)
    for call in api.calls("sendMessage"):
        if call.error is None:
            replies[int(call.params["chat_id"])].append(call.at)
    latencies, unanswered = [], 0
    for user_id, times in sent.items():
        arrivals = sorted(replies[user_id])
        for t in times:
            i = bisect.bisect_left(arrivals, t)
            if i < len(arrivals):
                latencies.append(arrivals[i] - t)
            else:
                unanswered += 1
    return elapsed, latencies, unanswered


def make_users(count: int, first_id: int) -> list[FakeUser]:
    return [FakeUser(first_id + i, f"User{i}", LANGS[i % 3]) for i in range(count)]


async def run_variant(
    name: str,
    factory: Callable[[Path], Any],
    users: int,
    per_user: int,
    other_cpu: Callable[[], float] | None = None,
) -> dict[str, float]:
    """One run of a variant; other_cpu: CPU seconds of other processes doing its work (a
    PostgreSQL server's), added to this process's."""

    def cpu_now() -> float:
        return cpu_seconds() + (other_cpu() if other_cpu is not None else 0.0)

    with tempfile.TemporaryDirectory() as tmp:
        async with factory(Path(tmp)) as api:
            # warm-up: every command once in every language (locale data, first renders)
            await drive(api, make_users(3, 900_000), len(SCRIPT))
            cpu, own = cpu_now(), cpu_seconds()
            elapsed, latencies, unanswered = await drive(api, make_users(users, 1000), per_user)
            cpu, own = cpu_now() - cpu, cpu_seconds() - own
    total = users * per_user
    result = {
        "rate": total / elapsed,
        "cpu_ms": cpu / total * 1000,
        "own_cpu_ms": own / total * 1000,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "unanswered": unanswered,
    }
    log(
        f"e2e: {name}: {result['rate']:.0f} updates/s, p50 {ms(result['p50']):.0f} ms, "
        f"p95 {ms(result['p95']):.0f} ms, {result['cpu_ms']:.2f} ms CPU per update"
    )
    return result


GROUPS = (
    (
        "fake Bot API (tornado, fakegram/, html.parser)",
        ("tornado/", "fakegram/", "html/parser", "_markupbase"),
    ),
    (
        "HTTP client (httpx, httpcore, anyio, h11; aiohttp, yarl, multidict, orjson)",
        (
            "httpx/",
            "httpcore/",
            "anyio/",
            "h11/",
            "aiohttp/",
            "yarl/",
            "multidict/",
            "orjson",
            "bot/telegram_http.py",
        ),
    ),
    ("failed `import sniffio` (importlib)", ("<frozen importlib",)),
    ("PTB dispatch and handlers (telegram/ext)", ("telegram/ext/",)),
    ("PTB objects, JSON, requests (telegram/)", ("telegram/",)),
    ("our code (bot/, handlers/)", ("/bot/", "/handlers/")),
    ("babel", ("babel/",)),
    ("aiosqlite (loop side)", ("aiosqlite/",)),
    ("json", ("json/",)),
    ("logging", ("logging/",)),
    ("asyncio", ("asyncio/",)),
)
REST = "the rest (stdlib, builtins without a known caller)"


def group_of(filename: str) -> str:
    return next((name for name, marks in GROUPS if any(m in filename for m in marks)), REST)


def per_update_ms(profile: cProfile.Profile, updates: int) -> dict[str, float]:
    """Self time of the event-loop thread per update, grouped by package; the time of
    built-in functions (socket calls, dict and str methods …) goes to the package of the
    caller; "idle" is the selector waiting for sockets and the SQLite thread."""
    out: dict[str, float] = defaultdict(float)
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    for (filename, _, function), (_, _, self_time, _, callers) in stats.items():
        if filename == "~" and "poll" in function:
            out["idle"] += self_time
        elif filename == "~" and callers:
            for (caller_file, _, _), edge in callers.items():
                out[group_of(caller_file)] += edge[2]
        else:
            out[group_of(filename)] += self_time
    return {group: seconds * 1000 / updates for group, seconds in out.items()}


async def profile_both(users: int, per_user: int) -> dict[str, dict[str, float]]:
    result = {}
    for name, factory in (("echo", echo), ("ours", ours)):
        with tempfile.TemporaryDirectory() as tmp:
            async with factory(Path(tmp)) as api:
                await drive(api, make_users(3, 900_000), len(SCRIPT))
                profiler = cProfile.Profile()
                profiler.enable()
                await drive(api, make_users(users, 1000), per_user)
                profiler.disable()
        result[name] = per_update_ms(profiler, users * per_user)
        tries = calls_of(profiler, "httpcore/_synchronization.py", "current_async_library")
        result[name]["sniffio tries"] = tries / (users * per_user)
    return result


@contextmanager
def counting_db_calls() -> Iterator[Counter[str]]:
    """Count the Database's statements (observation only; the methods are put back)."""
    from bot.storage.connection import SqliteConnection as Database

    counts: Counter[str] = Counter()
    originals = {
        name: getattr(Database, name) for name in ("fetchone", "fetchall", "execute", "transaction")
    }

    def counted(name: str, original: Any) -> Any:
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            counts["statements"] += 1
            return original(self, *args, **kwargs)

        return call

    for name, original in originals.items():
        setattr(Database, name, counted(name, original))
    try:
        yield counts
    finally:
        for name, original in originals.items():
            setattr(Database, name, original)


async def per_command(samples: int) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """One user, one message at a time: p50 latency per command and SQL statements per
    update; and ours' reply to /start (params of its sendMessage)."""
    out: dict[str, dict[str, float]] = {}
    sample: dict[str, Any] = {}
    user = FakeUser(5000, "User", "en")
    texts = [t if t is not None else SEARCH_WORDS["en"] for t in SCRIPT]
    for name, factory in (("echo", echo), ("ours", ours)):
        with tempfile.TemporaryDirectory() as tmp, counting_db_calls() as counts:
            async with factory(Path(tmp)) as api:
                for text in texts:  # warm-up
                    await api.wait_done(api.message_update(user, text))
                for text in texts:
                    counts.clear()
                    latencies = []
                    for _ in range(samples):
                        started = time.monotonic()
                        await api.wait_done(api.message_update(user, text))
                        call = api.calls("sendMessage")[-1]
                        latencies.append(call.at - started)
                        if name == "ours" and text == "/start":
                            sample = dict(call.params)
                    out.setdefault(text, {})[name] = percentile(latencies, 50)
                    out[text][f"{name}_db"] = counts["statements"] / samples
    return out, sample


@contextmanager
def cached_seen() -> Iterator[None]:
    """What-if: Users.seen answers from its language cache when it can (no write per
    update). Patched in this process only while the block runs."""
    from bot.users import Users

    original = Users.seen

    async def seen(self: Users, user_id: int, telegram_language: str | None) -> str:
        cached = self._languages.get(user_id)
        return cached if cached else await original(self, user_id, telegram_language)

    Users.seen = seen  # type: ignore[method-assign]
    try:
        yield
    finally:
        Users.seen = original  # type: ignore[method-assign]


@contextmanager
def sniffio_importable() -> Iterator[None]:
    """What-if: a `sniffio` module importable (httpcore tries to import it for every lock)."""
    import sys
    import types

    stub = types.ModuleType("sniffio")
    stub.current_async_library = lambda: "asyncio"  # type: ignore[attr-defined]
    sys.modules["sniffio"] = stub
    try:
        yield
    finally:
        del sys.modules["sniffio"]


@contextmanager
def concurrent_updates() -> Iterator[None]:
    """What-if: build_application's builder with concurrent_updates(True) (PTB handles up
    to 256 updates at once instead of one at a time). Patched while the block runs."""
    import bot.app as app_module

    original = app_module.ApplicationBuilder

    class Concurrent(original):  # type: ignore[valid-type,misc]
        def build(self) -> Any:
            self.concurrent_updates(True)
            return super().build()

    app_module.ApplicationBuilder = Concurrent  # type: ignore[misc]
    try:
        yield
    finally:
        app_module.ApplicationBuilder = original  # type: ignore[misc]


Variant = tuple[str, Callable[[Path], Any], Callable[[], Any] | None]


async def what_ifs(
    users: int, per_user: int, rounds: int, variants: list[Variant]
) -> tuple[dict[str, float], dict[str, float]]:
    """(best updates/s, least CPU ms per update) of each variant over interleaved rounds.
    CPU time (bot and fake server together, this process) is what the comparisons use:
    on a shared machine it moves far less than wall time."""
    best: dict[str, float] = defaultdict(float)
    cpu: dict[str, float] = defaultdict(lambda: float("inf"))
    for _ in range(rounds):
        for name, factory, patch in variants:
            with patch() if patch is not None else contextlib.nullcontext():
                result = await run_variant(f"{name} (what-if)", factory, users, per_user)
            best[name] = max(best[name], result["rate"])
            cpu[name] = min(cpu[name], result["cpu_ms"])
    return best, cpu


LIKE_OURS = "echo replying with ours' /start message"


async def diagnose(users: int, per_user: int, rounds: int, report: Report) -> None:
    small = max(users // 2, 5)
    profiles = await profile_both(small, per_user)
    tries = {name: profiles[name].pop("sniffio tries") for name in profiles}
    commands, sample = await per_command(20)
    plain = [v["ours_db"] for t, v in commands.items() if t.startswith("/")]
    writes = sum(plain) / max(len(plain), 1)
    missing = sniffio_missing()
    variants: list[Variant] = [
        ("echo", echo, None),
        (LIKE_OURS, functools.partial(echo, reply_with=sample), None),
        ("ours", ours, None),
        ("ours, no reply limiter", functools.partial(ours, limiter=False), None),
        ("ours, concurrent updates", ours, concurrent_updates),
    ]
    if writes >= 0.5:
        variants.append(("ours, Users.seen cached", ours, cached_seen))
    if missing:
        variants += [
            ("echo, sniffio", echo, sniffio_importable),
            ("ours, sniffio", ours, sniffio_importable),
        ]
    each = max(per_user // 2, 5)  # as many users as the main rounds: the same batching
    best, cpu = await what_ifs(users, each, rounds, variants)

    diffs = {
        g: profiles["ours"].get(g, 0) - profiles["echo"].get(g, 0)
        for g in set(profiles["echo"]) | set(profiles["ours"])
    }
    groups = sorted(diffs, key=lambda g: diffs[g], reverse=True)
    parts = ", ".join(
        f"{g} {profiles['echo'].get(g, 0):.2f} → {profiles['ours'].get(g, 0):.2f}" for g in groups
    )
    per_cmd = ", ".join(
        f"{text} {ms(v['echo']):.1f} → {ms(v['ours']):.1f} ms ({v['ours_db']:.1f} SQL)"
        for text, v in commands.items()
    )
    failed_import = failed_import_seconds() if missing else 0.0
    sniffio_note = (
        f" httpcore tries `import sniffio` for every lock it creates and sniffio is not "
        f"installed: {tries['ours']:.1f} failed imports per update at "
        f"{failed_import * 1e6:.0f} µs each without the profiler "
        f"({tries['ours'] * failed_import * 1000:.2f} ms per update)."
        if missing
        else ""
    )
    report.analysis.append(
        f"Where ours spends its time: one user, one message at a time, p50 from update to "
        f"reply, echo → ours: {per_cmd} (SQL statements per update in brackets). Profile of "
        f"the event loop, ms per update ({small} users), echo → ours: {parts}.{sniffio_note}"
    )

    def base(name: str) -> str:
        return "echo, sniffio" if "sniffio" in name else "echo"

    shown = [n for n, _, _ in variants if n != "echo" and not n.startswith("echo, ")]
    for name in shown:
        report.add(
            info(
                f"whatif_{name}",
                f"what-if, CPU per update / echo's: {name}",
                cpu[name] / cpu[base(name)],
                "×",
                digits=2,
            )
        )
    gap = cpu["ours"] - cpu["echo"]  # ms of CPU more per update
    reply_part = cpu[LIKE_OURS] - cpu["echo"]
    buttons = sum(len(r) for r in (sample.get("reply_markup") or {}).get("inline_keyboard", []))
    if gap > 0:
        reply_text = (
            f"Ours takes {gap:.2f} ms more CPU per update than echo ({cpu['ours']:.2f} vs "
            f"{cpu['echo']:.2f} ms, bot and fake server together). An echo bot sending ours' "
            f"/start reply ({len(sample.get('text', ''))} characters of HTML, {buttons} buttons) "
            f"takes {reply_part:+.2f} ms over echo: the replies' size is "
            f"{max(min(reply_part / gap, 1.0), 0.0):.0%} of the difference, the rest is ours' "
            "own work per update (largest differences in the profile: "
            + ", ".join(f"{g} {diffs[g]:+.2f} ms" for g in groups[:4])
            + ")."
        )
    else:
        reply_text = "Ours did not take more CPU per update than echo in these rounds."
    limiter = cpu["ours"] - cpu["ours, no reply limiter"]
    limiter_text = (
        f"The reply limiter costs {limiter:+.2f} ms of CPU per update "
        f"({limiter / cpu['ours']:+.0%} of ours'): "
        + ("not what limits ours." if limiter / cpu["ours"] < 0.10 else "a real share.")
    )
    changes = {n: cpu[n] / cpu["ours"] - 1 for n in shown if n.startswith("ours, ")}
    if missing:
        changes["ours, sniffio"] = (cpu["ours, sniffio"] / cpu["echo, sniffio"]) / (
            cpu["ours"] / cpu["echo"]
        ) - 1
    helps = [f"{n.removeprefix('ours, ')} ({c:+.0%} CPU)" for n, c in changes.items() if c < -0.10]
    flat = [f"{n.removeprefix('ours, ')} ({c:+.0%})" for n, c in changes.items() if c >= -0.10]
    concurrent = best["ours, concurrent updates"] / best["ours"] - 1
    report.analysis.append(
        f"Measured what-ifs, {rounds} interleaved rounds of {users} users × {each} "
        "messages, CPU ms per update (least of the rounds) and updates/s (best): "
        + "; ".join(f"{n} {cpu[n]:.2f} ms, {best[n]:,.0f}/s" for n, _, _ in variants)
        + f". {reply_text} {limiter_text} Changes that save over 10 % of ours' CPU per "
        "update: "
        + (", ".join(helps) if helps else "none")
        + "; under 10 %: "
        + (", ".join(flat) if flat else "none")
        + f". Handling updates concurrently changed updates/s by {concurrent:+.0%}: it "
        "cannot help an event loop that is busy rather than waiting. What would close the "
        "gap: less of ours' own work per update (the profile's largest differences say "
        "where), since updates are handled one after another on one busy event loop."
    )


async def run(args: argparse.Namespace, report: Report) -> None:
    users = args.users or (50 if args.full else 10)
    per_user = args.messages or (20 if args.full else 10)
    rounds = args.rounds or (3 if args.full else 1)
    # "ours" is on SQLite here whatever the environment says (the Harness would apply a
    # DATABASE_URL to every Config): PostgreSQL is its own variant.
    os.environ.pop("DATABASE_URL", None)
    results: dict[str, list[dict[str, float]]] = defaultdict(list)
    with Postgres() as pg:
        variants: dict[str, Callable[[Path], Any]] = {
            "echo": echo,
            ECHO_AIOHTTP: functools.partial(echo, aiohttp=True),
            "ours": ours,
            "ours, no reply limiter": lambda tmp: ours(tmp, limiter=False),
        }
        if pg.server is not None:
            variants[OURS_PG] = ours_on(pg)
        for r in range(rounds):
            log(f"e2e: round {r + 1} of {rounds}")
            for name, factory in list(variants.items()):
                if name != OURS_PG:
                    results[name].append(await run_variant(name, factory, users, per_user))
                    continue
                try:
                    result = await run_variant(name, factory, users, per_user, pg.cpu_seconds)
                except Exception as exc:  # its rows say why; the other variants go on
                    pg.failed(exc)
                    del variants[OURS_PG]
                    results.pop(OURS_PG, None)
                else:
                    results[name].append(result)

    def med(name: str, key: str) -> float:
        return median([x[key] for x in results[name]])

    for name in variants:
        report.add(
            info(
                f"rate_{name}",
                f"{name}: updates handled a second",
                med(name, "rate"),
                "updates/s",
                digits=0,
            ),
            info(f"p50_{name}", f"{name}: latency p50", ms(med(name, "p50")), "ms", digits=0),
            info(f"p95_{name}", f"{name}: latency p95", ms(med(name, "p95")), "ms", digits=0),
            info(
                f"cpu_{name}",
                f"{name}: CPU per update (bot and fake server"
                + (", and PostgreSQL's processes)" if name == OURS_PG else ")"),
                med(name, "cpu_ms"),
                "ms",
                digits=2,
            ),
        )
        missing = sum(x["unanswered"] for x in results[name])
        if missing:
            report.notes.append(f"{name}: {missing} message(s) got no sendMessage reply")
    if OURS_PG not in variants:
        report.add(
            info(f"rate_{OURS_PG}", f"{OURS_PG}: updates handled a second", None, reason=pg.reason)
        )

    def ratios(key: str, base: str, of: str = "ours") -> list[float]:
        """of / base in each round: both measured in the same round, interleaved."""
        return [o[key] / b[key] for o, b in zip(results[of], results[base], strict=True)]

    def spread(values: list[float], scale: float = 1.0, digits: int = 2) -> str:
        return " / ".join(
            f"{v * scale:.{digits}f}" for v in (min(values), median(values), max(values))
        )

    throughput = median(ratios("rate", "echo"))
    p95_ratio = median(ratios("p95", "echo"))
    report.add(
        at_least(
            "throughput_ratio",
            "throughput, ours / echo (median of the rounds' ratios)",
            throughput * 100,
            TARGET_THROUGHPUT * 100,
            "%",
            digits=0,
        ),
        at_most(
            "p95_ratio",
            "latency p95, ours / echo (median of the rounds' ratios)",
            p95_ratio,
            TARGET_P95,
            "×",
            digits=2,
        ),
    )
    on_pg = OURS_PG in variants
    report.add(
        at_least(
            "throughput_ratio_pg",
            f"throughput, {OURS_PG} / echo (median of the rounds' ratios)",
            median(ratios("rate", "echo", OURS_PG)) * 100 if on_pg else None,
            TARGET_THROUGHPUT * 100,
            "%",
            digits=0,
            reason=pg.reason,
        ),
        at_most(
            "p95_ratio_pg",
            f"latency p95, {OURS_PG} / echo (median of the rounds' ratios)",
            median(ratios("p95", "echo", OURS_PG)) if on_pg else None,
            TARGET_P95,
            "×",
            digits=2,
            reason=pg.reason,
        ),
    )
    if on_pg:
        report.add(
            info(
                "pg_sqlite_ratio",
                f"throughput, {OURS_PG} / ours on SQLite",
                median(ratios("rate", "ours", OURS_PG)) * 100,
                "%",
                digits=0,
            ),
            info(
                "pg_sqlite_cpu",
                f"CPU per update, {OURS_PG} (its server's included) / ours on SQLite",
                med(OURS_PG, "cpu_ms") / med("ours", "cpu_ms"),
                "×",
                digits=2,
            ),
        )
    report.add(
        info(
            "throughput_ratio_aiohttp",
            f"throughput, ours / {ECHO_AIOHTTP} (ours' own overhead)",
            median(ratios("rate", ECHO_AIOHTTP)) * 100,
            "%",
            digits=0,
        ),
        info(
            "p95_ratio_aiohttp",
            f"latency p95, ours / {ECHO_AIOHTTP}",
            median(ratios("p95", ECHO_AIOHTTP)),
            "×",
            digits=2,
        ),
        info(
            "echo_backend_ratio",
            f"throughput, {ECHO_AIOHTTP} / echo (what the HTTP backend alone changes)",
            median(
                [
                    a["rate"] / e["rate"]
                    for a, e in zip(results[ECHO_AIOHTTP], results["echo"], strict=True)
                ]
            )
            * 100,
            "%",
            digits=0,
        ),
        info(
            "cpu_ratio",
            "CPU per update, ours / echo (steadier than wall time here)",
            med("ours", "cpu_ms") / med("echo", "cpu_ms"),
            "×",
            digits=2,
        ),
        info(
            "limiter_cost",
            "CPU per update, ours without / with the reply limiter",
            med("ours, no reply limiter", "cpu_ms") / med("ours", "cpu_ms"),
            "×",
            digits=2,
        ),
    )
    report.notes.append(
        "Ratios per round (min / median / max over the rounds): throughput ours / echo "
        f"{spread(ratios('rate', 'echo'))}, p95 ours / echo {spread(ratios('p95', 'echo'))}; "
        f"throughput ours / {ECHO_AIOHTTP} {spread(ratios('rate', ECHO_AIOHTTP))}, p95 ours / "
        f"{ECHO_AIOHTTP} {spread(ratios('p95', ECHO_AIOHTTP))}"
        + (
            f"; throughput {OURS_PG} / echo {spread(ratios('rate', 'echo', OURS_PG))}, p95 "
            f"{OURS_PG} / echo {spread(ratios('p95', 'echo', OURS_PG))}"
            if on_pg
            else ""
        )
    )
    report.notes.append(
        f"{users} users × {per_user} messages each (cycling /start, /help, /facts, /next and a "
        f"search word in the user's language), closed loop; {rounds} interleaved round(s) per "
        "variant, medians of the rounds; each bot and its fake Bot API share this process "
        "and its event loop, as in the Harness; updates are handled one at a time (PTB's "
        "default, as shipped)"
    )
    report.notes.append(
        f"{pg.described}. {OURS_PG}: the same application with Config.database_url, a fresh "
        "database each run; the ratio targets are shown as for SQLite"
        if on_pg
        else pg.described
    )
    missed = throughput < TARGET_THROUGHPUT or p95_ratio > TARGET_P95
    if (missed and not args.no_diagnose) or args.profile:
        log("e2e: diagnosing")
        await diagnose(users, per_user, 2, report)
    if on_pg and any(m.key.endswith("_ratio_pg") and m.ok is False for m in report.metrics):
        report.analysis.append(postgres_text(results))


def postgres_text(results: dict[str, list[dict[str, float]]]) -> str:
    """Why ours on PostgreSQL is slower than on SQLite, from the same rounds' figures."""

    def med(name: str, key: str) -> float:
        return median([x[key] for x in results[name]])

    # Updates are handled one at a time: wall time per update is 1 / rate.
    wall_pg, wall_sqlite = 1000 / med(OURS_PG, "rate"), 1000 / med("ours", "rate")
    own_pg, own_sqlite = med(OURS_PG, "own_cpu_ms"), med("ours", "own_cpu_ms")
    server = med(OURS_PG, "cpu_ms") - own_pg
    diff, own = wall_pg - wall_sqlite, own_pg - own_sqlite
    if diff <= 0:
        rest = "ours on PostgreSQL was not slower in these rounds"
    elif own >= 0.8 * diff:
        rest = (
            "about all of the difference is this process's own CPU: the event loop is busy, "
            "it hardly waits for PostgreSQL's answers"
        )
    else:
        rest = (
            f"the rest, about {diff - max(own, 0.0):.2f} ms per update, is the event loop "
            "waiting for PostgreSQL's answers over TCP"
        )
    return (
        f"{OURS_PG}: updates are handled one at a time, so its {med(OURS_PG, 'rate'):,.0f} "
        f"updates/s are {wall_pg:.2f} ms per update against {wall_sqlite:.2f} ms for ours on "
        f"SQLite in the same rounds ({diff:+.2f} ms). This process's CPU per update changes "
        f"by {own:+.2f} ms ({own_sqlite:.2f} → {own_pg:.2f} ms; it counts the bot, the fake "
        "Bot API and, on SQLite, aiosqlite's thread: the database client's work, asyncpg's "
        f"in place of aiosqlite's); {rest}. PostgreSQL's own processes used {max(server, 0):.2f} ms "
        "of CPU per update besides. With fsync off and the server on the same machine this "
        "is a lower bound; a server on another host adds a network round trip per "
        "statement. What would narrow it: fewer statements per update on the common "
        "commands (each is asyncpg work and a round trip)."
    )


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--users", type=int, help="simulated users")
    parser.add_argument("--messages", type=int, help="messages per user")
    parser.add_argument("--rounds", type=int, help="interleaved rounds per variant")
    parser.add_argument("--profile", action="store_true", help="profile even if targets are met")
    parser.add_argument(
        "--no-diagnose", action="store_true", help="no profile and what-ifs when a target is missed"
    )


if __name__ == "__main__":
    raise SystemExit(main("e2e_bench", "End to end: ours vs an echo bot", run, configure))
