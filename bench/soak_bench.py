"""Soak: 500 simulated users for --minutes (10 by default) while a 5,000-recipient
broadcast runs. Not in CI. Prints RSS at start and end, reply latency p50/p95/p99 (private
chats, and the 50 users in 5 groups apart: their replies wait on the 20-a-minute group
limit by design), errors logged, replies that never came, and the broadcast's progress.

Each user loops: send the next message of the e2e script (/start, /help, /facts, /next, a
search word), wait for the bot to finish it, think 2–6 s. The bot runs as the Harness
runs it (real Application, long polling, fake Bot API over HTTP on 127.0.0.1).

    python -m bench.soak_bench [--minutes 10] [--users 500] [--sequential]

--sequential runs the bot with PTB's default one-update-at-a-time processing (the
behaviour before issue 19), for a before/after figure in the same run conditions.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.common import percentile, rss_mb
from bench.e2e_bench import message
from fakegram.harness import Harness
from fakegram.records import FakeUser

GROUPS = 5
GROUP_USERS = 50
BROADCAST = 5000


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.first: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if len(self.first) < 5:
            self.first.append(record.getMessage()[:200])


class Recent(list[Any]):
    """The fake's call records, kept short (a soak would otherwise measure their growth),
    with a hook that sees each call as it is recorded."""

    def __init__(self, hook: Any) -> None:
        super().__init__()
        self.hook = hook

    def append(self, call: Any) -> None:
        super().append(call)
        self.hook(call)
        if len(self) > 2000:
            del self[:1000]


async def trim_messages(api: Any, rss: list[float]) -> None:
    """Drop the fake's stored messages now and then (nobody presses their buttons here),
    and sample RSS every 30 s (growth then levelling off is warm-up; steady growth a leak)."""
    for tick in range(10**6):
        await asyncio.sleep(10)
        api.state.messages.clear()
        if tick % 3 == 2:
            rss.append(round(rss_mb(), 1))


def sequential_processing() -> None:
    """Patch build_application to PTB's default processor (before issue 19)."""
    from telegram.ext import SimpleUpdateProcessor

    import bot.app as app_module

    app_module.ChatOrderedProcessor = lambda: SimpleUpdateProcessor(1)  # type: ignore[assignment,misc]


async def soak(minutes: float, users: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    errors = Errors()
    logging.getLogger().addHandler(errors)
    logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        async with Harness(Path(tmp)) as bot:
            api, db = bot.api, bot.services.db
            for chat_id in range(10_000_000, 10_000_000 + BROADCAST):
                await db.chats.seen_user(chat_id, "en")
                await db.changes.set_subscription(chat_id, "news", True)
            push_id, queued = await db.outbox.queue("news:soak", "news", {"en": "Soak"})
            assert bot.services.sender is not None
            bot.services.sender.wake()
            groups = [api.group_chat(-5000 - g, f"Group {g}") for g in range(GROUPS)]
            people = []
            for i in range(users):
                user = FakeUser(2_000_000 + i, f"User{i}", ("ru", "tg", "en")[i % 3])
                chat = groups[i % GROUPS] if i < GROUP_USERS else api.private_chat(user)
                people.append((user, chat))
            latencies: dict[str, list[float]] = defaultdict(list)
            unanswered: dict[str, int] = defaultdict(int)
            waiting: dict[int, tuple[str, float]] = {}  # chat id → (kind, sent at)

            def on_call(call: Any) -> None:
                if call.method == "sendMessage":
                    sent = waiting.pop(int(call.params.get("chat_id", 0)), None)
                    if sent is not None:
                        latencies[sent[0]].append(call.at - sent[1])

            api.state.calls = Recent(on_call)
            rss_series: list[float] = []
            trimmer = asyncio.create_task(trim_messages(api, rss_series))
            handled = 0
            deadline = time.monotonic() + minutes * 60
            rss_start = rss_mb()

            async def one(user: FakeUser, chat: dict[str, Any]) -> None:
                nonlocal handled
                kind = "group" if chat["id"] < 0 else "private"
                k = 0
                await asyncio.sleep(rng.uniform(0, 6))
                while time.monotonic() < deadline:
                    if kind == "private":  # in a group, the first reply may be another's
                        waiting[int(chat["id"])] = (kind, time.monotonic())
                    sent_at = time.monotonic()
                    update_id = api.message_update(user, message(user, k), chat)
                    k += 1
                    try:
                        await api.wait_done(update_id, timeout=60)
                    except TimeoutError:
                        unanswered[kind] += 1
                        continue
                    finally:
                        api._done.pop(update_id, None)
                    handled += 1
                    if kind == "group":  # until the bot finished it (its reply sent)
                        latencies[kind].append(time.monotonic() - sent_at)
                    if waiting.pop(int(chat["id"]), None) is not None:
                        unanswered[kind] += 1  # finished without a reply
                    await asyncio.sleep(rng.uniform(2, 6))

            started = time.monotonic()
            await asyncio.gather(*(one(u, c) for u, c in people))
            elapsed = time.monotonic() - started
            rss_end = rss_mb()
            counts = await db.outbox.counts(push_id)
            trimmer.cancel()
    logging.getLogger().removeHandler(errors)
    result: dict[str, Any] = {
        "minutes": elapsed / 60,
        "updates_per_s": handled / elapsed,
        "rss_start_mb": rss_start,
        "rss_end_mb": rss_end,
        "rss_every_30s_mb": rss_series,
        "errors": errors.count,
        "first_errors": errors.first,
        "broadcast": f"{counts['sent']} of {queued} sent, {counts['failed']} failed",
    }
    for kind, values in latencies.items():
        result[kind] = {
            "n": len(values),
            "p50_ms": percentile(values, 50) * 1000,
            "p95_ms": percentile(values, 95) * 1000,
            "p99_ms": percentile(values, 99) * 1000,
            "unanswered_60s": unanswered[kind],
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--sequential", action="store_true", help="PTB's default processing")
    args = parser.parse_args()
    if args.sequential:
        sequential_processing()
    result = asyncio.run(soak(args.minutes, args.users, args.seed))
    mode = "sequential (before)" if args.sequential else "chat-ordered concurrent (shipped)"
    print(f"soak: {args.users} users ({GROUP_USERS} in {GROUPS} groups), {mode}")
    for key, value in result.items():
        print(f"  {key}: {value}")
    growth = result["rss_end_mb"] / result["rss_start_mb"] - 1
    print(f"  rss growth: {growth:+.1%} (target: within 10 %)")


if __name__ == "__main__":
    main()
