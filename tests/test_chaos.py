"""Chaos: 2,000 recipients, a Bot API answering a seeded random mix of 429/403/400/5xx,
dropped connections and lost answers, and the bot killed twice (SIGKILL) on the way.

Delivery is at-least-once: a send whose answer is lost (the connection dropped after
Telegram did it, or the process killed while waiting for it) is sent again. So the figure
that must hold is: duplicates ≤ answers lost; and nothing lost, every row with a reason,
no send inside a 429 window.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections import Counter
from pathlib import Path

from test_crash import delivered

from bot.storage import Database
from fakegram.processes import exit_code, start_bot, wait_until
from fakegram.server import FakeBotAPI

RECIPIENTS = 2000
SEED = 19
PUSH_RATE = 100
# A send arriving this soon after a 429 had left the bot before the bot had read the 429
# (sends go out every 10 ms, up to 64 at once, and on a loaded 2-core machine the bot's
# loop reads an answer up to ~100 ms late); every later one is a wait ignored.
ON_THE_WIRE = 0.15


def add_chaos(api: FakeBotAPI, rng: random.Random) -> None:
    """Each sendMessage draws its fate; the faults never run out (times is huge)."""
    many = 10**9

    def chance(p: float):
        return lambda _params: rng.random() < p

    api.fail("sendMessage", 429, retry_after=1, times=many, when=chance(0.002))
    api.fail(
        "sendMessage", 403, "Forbidden: bot was blocked by the user", times=many, when=chance(0.005)
    )
    api.fail("sendMessage", 400, "Bad Request: chat not found", times=many, when=chance(0.005))
    api.fail("sendMessage", 502, "Bad Gateway", times=many, when=chance(0.02))
    api.fail("sendMessage", drop=True, times=many, when=chance(0.005))
    api.fail("sendMessage", lose_answer=True, times=many, when=chance(0.005))


async def test_chaos_two_kills_and_a_faulty_api(
    tmp_path: Path, db_target: Path | str, backend: str, ci_report: list[str]
) -> None:
    started = time.monotonic()
    db_path = db_target
    db = await Database.open(db_path)
    for chat in range(1, RECIPIENTS + 1):
        await db.chats.seen_user(chat, "en")
        await db.changes.set_subscription(chat, "news", True)
    push_id, queued = await db.outbox.queue("news:chaos", "news", {"en": "Chaos"})
    assert queued == RECIPIENTS
    await db.close()

    api = FakeBotAPI()
    await api.start()
    add_chaos(api, random.Random(SEED))
    log = tmp_path / "bot.log"
    in_flight_at_kills = []
    processes = []
    try:
        for fraction in (0.25, 0.6):  # two SIGKILLs, a quarter and three fifths through
            process = start_bot(api, db_path, log, PUSH_RATE=str(PUSH_RATE))
            processes.append(process)
            await wait_until(lambda f=fraction: len(delivered(api)) >= f * RECIPIENTS, 60)
            process.send_signal(signal.SIGKILL)
            await exit_code(process)
            db = await Database.open(db_path)
            in_flight_at_kills.append((await db.outbox.counts(push_id))["inflight"])
            await db.close()
        last = start_bot(api, db_path, log, PUSH_RATE=str(PUSH_RATE))
        processes.append(last)

        async def finished() -> bool:
            db = await Database.open(db_path)
            counts = await db.outbox.counts(push_id)
            await db.close()
            return counts["pending"] == counts["inflight"] == 0

        deadline = time.monotonic() + 45
        while not await finished():
            assert time.monotonic() < deadline, "the delivery did not finish"
            await asyncio.sleep(0.5)
        last.send_signal(signal.SIGTERM)
        assert await exit_code(last) == 0
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
        await api.stop()

    db = await Database.open(db_path)
    rows = await db.outbox.rows(push_id)
    await db.close()
    states = Counter(r["state"] for r in rows)
    without_reason = [r for r in rows if r["state"] != "sent" and not r["reason"]]
    counts = delivered(api)
    lost = [r["chat_id"] for r in rows if r["state"] == "sent" and counts[r["chat_id"]] == 0]
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    answers_lost = api.lost_answers + sum(in_flight_at_kills)
    inside_429 = api.sends_inside_429_windows(on_the_wire=ON_THE_WIRE)
    already_sent = len(api.sends_inside_429_windows()) - len(inside_429)
    seconds = time.monotonic() - started
    ci_report.append(
        f"chaos test ({backend}, seed {SEED}): {RECIPIENTS} recipients, 2 SIGKILLs (in flight "
        f"{in_flight_at_kills}), {len(api.too_many_requests_windows())} 429s: "
        f"sent {states['sent']}, failed {states['failed']}, cancelled {states['cancelled']}, "
        f"lost 0 of {len(rows)} → {len(lost)}, duplicates {duplicates} ≤ answers lost "
        f"{answers_lost} ({api.lost_answers} by the API), sends inside 429 windows "
        f"{len(inside_429)} (+{already_sent} already on the wire, < {ON_THE_WIRE * 1000:.0f} ms "
        f"after the 429), {seconds:.0f} s"
    )
    assert len(rows) == RECIPIENTS
    assert set(states) <= {"sent", "failed", "cancelled"}, states
    assert without_reason == []
    assert lost == []
    assert duplicates <= answers_lost
    assert inside_429 == []
