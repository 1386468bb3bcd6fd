"""kill -9 in the middle of a delivery to thousands: nothing lost, at most one repeat each."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path

from bot.storage import Database
from fakegram.processes import exit_code, start_bot, wait_until
from fakegram.server import FakeBotAPI

RECIPIENTS = 3000


def delivered(api: FakeBotAPI) -> Counter[int]:
    return Counter(c.params["chat_id"] for c in api.calls("sendMessage") if c.error is None)


async def test_sigkill_mid_delivery_loses_nothing_and_repeats_at_most_once(
    tmp_path: Path, db_target: Path | str, backend: str, ci_report: list[str]
) -> None:
    db_path = db_target
    db = await Database.open(db_path)
    for chat in range(1, RECIPIENTS + 1):
        await db.chats.seen_user(chat, "en")
        await db.changes.set_subscription(chat, "news", True)
    push_id, queued = await db.outbox.queue("news:crash", "news", {"en": "Crash test"})
    assert queued == RECIPIENTS
    await db.close()

    api = FakeBotAPI()
    await api.start()
    log = tmp_path / "bot.log"
    try:
        first = start_bot(api, db_path, log, PUSH_RATE="400")
        await wait_until(lambda: len(delivered(api)) >= RECIPIENTS // 3)
        first.send_signal(signal.SIGKILL)
        await exit_code(first)
        at_kill = len(delivered(api))
        assert at_kill < RECIPIENTS, "the delivery finished before the kill: nothing was tested"
        db = await Database.open(db_path)
        # The kill may land between two batches, with nothing in flight: then nothing
        # is to be resumed, and the restart must say so neither way.
        in_flight_at_kill = (await db.outbox.counts(push_id))["inflight"]
        await db.close()

        second = start_bot(api, db_path, log, PUSH_RATE="400")
        await wait_until(lambda: len(delivered(api)) >= 2 * RECIPIENTS // 3)
        second.send_signal(signal.SIGTERM)  # a graceful stop in the middle of the work
        assert await exit_code(second) == 0
        assert "bot stopped cleanly" in log.read_text()
        db = await Database.open(db_path)
        at_term = await db.outbox.counts(push_id)
        await db.close()
        assert at_term["inflight"] == 0  # finished or released, nothing left hanging
        assert at_term["pending"] > 0, "the delivery finished before SIGTERM: nothing was tested"

        third = start_bot(api, db_path, log, PUSH_RATE="400")
        await wait_until(lambda: len(delivered(api)) == RECIPIENTS)
        await asyncio.sleep(0.5)  # let the last marks reach the database
        third.send_signal(signal.SIGTERM)
        assert await exit_code(third) == 0
    finally:
        for process in ("first", "second", "third"):
            p = locals().get(process)
            if p is not None and p.poll() is None:
                p.kill()
        await api.stop()

    counts = delivered(api)
    lost = [chat for chat in range(1, RECIPIENTS + 1) if counts[chat] == 0]
    repeats = {chat: n for chat, n in counts.items() if n > 1}
    ci_report.append(
        f"crash test ({backend}): {RECIPIENTS} recipients, SIGKILL after {at_kill} deliveries, SIGTERM "
        f"with {at_term['pending']} pending: lost {len(lost)}, repeated {len(repeats)}"
    )
    assert lost == []
    assert all(n == 2 for n in repeats.values())  # at most one repeat per recipient
    assert len(repeats) <= 64  # only what was in flight at the SIGKILL; none from SIGTERM

    db = await Database.open(db_path)
    final = await db.outbox.counts(push_id)
    await db.close()
    assert final["sent"] == RECIPIENTS and final["inflight"] == final["pending"] == 0
    resumed = f"delivery resumed: {in_flight_at_kill} row(s) were in flight"
    assert (resumed in log.read_text()) == (in_flight_at_kill > 0)
    assert len(repeats) <= in_flight_at_kill  # a repeat only where a row was in flight
