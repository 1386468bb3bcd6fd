"""SIGTERM while a staff member's broadcast to 2,000 is under way (issue 19, item 7): the
progress follower must not hold the stop; the rest is sent after the restart, none lost."""

from __future__ import annotations

import asyncio
import copy
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bot.storage import Database
from fakegram import processes
from fakegram.processes import exit_code, wait_until
from fakegram.records import FakeUser
from fakegram.server import FakeBotAPI

RECIPIENTS = 2000
ADMIN = 999_999


def start_bot(api: FakeBotAPI, db_target: Path | str, log: Path) -> subprocess.Popen[bytes]:
    # 2,000 at 100/s take ~20 s: the SIGTERM comes well inside them
    return processes.start_bot(api, db_target, log, ADMIN_IDS=str(ADMIN), PUSH_RATE="100")


def delivered(api: FakeBotAPI) -> Counter[int]:
    return Counter(
        c.params["chat_id"]
        for c in api.calls("sendMessage")
        if c.error is None and c.params["chat_id"] != ADMIN
    )


def admin_messages(api: FakeBotAPI) -> list[dict[str, Any]]:
    return [m for (chat, _), m in sorted(api.state.messages.items()) if chat == ADMIN]


async def answered(api: FakeBotAPI, after: int, text: str) -> dict[str, Any]:
    def found() -> bool:
        return any(
            text in (c.params.get("text") or "")
            for c in api.calls(after=after)
            if c.params.get("chat_id") == ADMIN
        )

    await wait_until(found, 30)
    return max(
        (m for m in admin_messages(api) if m.get("reply_markup")),
        key=lambda m: m["message_id"],
    )


def button(message: dict[str, Any], label: str) -> str:
    for row in message["reply_markup"]["inline_keyboard"]:
        for b in row:
            if label in b["text"]:
                return str(b["callback_data"])
    raise AssertionError(f"no button {label!r}")


async def test_sigterm_during_a_staff_broadcast_stops_within_ten_seconds(
    tmp_path: Path, db_target: Path | str, backend: str, ci_report: list[str]
) -> None:
    db_path = db_target
    db = await Database.open(db_path)
    for chat in range(1, RECIPIENTS + 1):
        await db.chats.seen_user(chat, "en")
        await db.changes.set_subscription(chat, "news", True)
    await db.close()

    api = FakeBotAPI()
    await api.start()
    admin = FakeUser(ADMIN, "Staff", "en")
    chat = api.private_chat(admin)
    log = tmp_path / "bot.log"
    first = second = None
    try:
        first = start_bot(api, db_path, log)
        after = api.last_seq
        api.message_update(admin, "/post", chat)
        message = await answered(api, after, "Send the news text")
        for label in ("Skip Russian", "Skip Tajik"):
            after = api.last_seq
            api.callback_update(admin, message, button(message, label))
            message = await answered(api, after, "Send the news text")
        after = api.last_seq
        api.message_update(admin, "Big news", chat)
        summary = await answered(api, after, "Ready to send")
        api.callback_update(admin, summary, button(summary, "Send to 2"))
        await wait_until(lambda: len(delivered(api)) >= 300, 60)
        # the follower is running: it has edited the progress message at least once
        await wait_until(
            lambda: any(
                "Sending" in (c.params.get("text") or "") for c in api.calls("editMessageText")
            ),
            30,
        )
        started = time.monotonic()
        first.send_signal(signal.SIGTERM)
        code = await exit_code(first, 30)
        stop_seconds = time.monotonic() - started
        at_term = len(delivered(api))
        assert code == 0
        assert stop_seconds < 10, f"the stop took {stop_seconds:.1f} s"
        assert at_term < RECIPIENTS, "the broadcast finished before the stop: nothing was tested"

        second = start_bot(api, db_path, log)
        await wait_until(lambda: len(delivered(api)) == RECIPIENTS, 90)
        # the staff member's progress message, left at "Sending…", is followed on
        report = await api.wait_for_call(
            lambda c: c.method == "editMessageText" and "Broadcast finished" in c.params["text"],
            timeout=30,
        )
        second.send_signal(signal.SIGTERM)
        assert await exit_code(second, 30) == 0
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
        await api.stop()

    counts = delivered(api)
    lost = [c for c in range(1, RECIPIENTS + 1) if counts[c] == 0]
    ci_report.append(
        f"staff broadcast stop ({backend}): SIGTERM after {at_term} of {RECIPIENTS} sent, exit in "
        f"{stop_seconds:.1f} s; lost {len(lost)}, repeated {sum(n > 1 for n in counts.values())}"
    )
    assert lost == []
    assert f"Sent: {RECIPIENTS:,} · failed: 0" in report.result["text"]
    db = await Database.open(db_path)
    (push,) = await db.outbox.recent_pushes("news")
    final = await db.outbox.counts(push.id)
    await db.close()
    assert final["sent"] == RECIPIENTS and final["pending"] == final["inflight"] == 0


def settled(api: FakeBotAPI, after: int) -> bool:
    return len(delivered(api)) == 20 or any(
        "You pressed Send" in (c.params.get("text") or "")
        for c in api.calls("sendMessage", after=after)
    )


def all_delivered(api: FakeBotAPI, count: int) -> bool:
    return len(delivered(api)) == count


async def test_sigkill_right_after_send_queues_once_or_shows_the_draft_back(
    tmp_path: Path, make_db_target: Callable[[str], Path | str], backend: str, ci_report: list[str]
) -> None:
    """Issue 19, item 4: whatever instant the kill hits, the post is queued exactly once,
    or its author is shown it back with a button that queues it once."""
    outcomes = []
    for trial, delay in enumerate((0.0, 0.03, 0.08, 0.15)):
        db_path = make_db_target(f"bot{trial}")  # a fresh database each trial
        db = await Database.open(db_path)
        for chat in range(1, 21):
            await db.chats.seen_user(chat, "en")
            await db.changes.set_subscription(chat, "news", True)
        await db.close()
        api = FakeBotAPI()
        await api.start()
        admin = FakeUser(ADMIN, "Staff", "en")
        chat = api.private_chat(admin)
        log = tmp_path / f"bot{trial}.log"
        first = second = None
        try:
            first = start_bot(api, db_path, log)
            after = api.last_seq
            api.message_update(admin, "/post", chat)
            message = await answered(api, after, "Send the news text")
            for label in ("Skip Russian", "Skip Tajik"):
                after = api.last_seq
                api.callback_update(admin, message, button(message, label))
                message = await answered(api, after, "Send the news text")
            after = api.last_seq
            api.message_update(admin, f"Kill news {trial}", chat)
            summary = copy.deepcopy(await answered(api, after, "Ready to send"))
            api.callback_update(admin, summary, button(summary, "Send to 20"))
            await asyncio.sleep(delay)
            first.send_signal(signal.SIGKILL)
            await exit_code(first)
            after = api.last_seq
            second = start_bot(api, db_path, log)

            await wait_until(partial(settled, api, after), 30)
            shown = [m for m in admin_messages(api) if "You pressed Send" in (m.get("text") or "")]
            if shown and len(delivered(api)) < 20:
                outcomes.append("shown back")
                api.callback_update(admin, shown[-1], button(shown[-1], "Send to 20"))
            else:
                outcomes.append("queued")
            await wait_until(partial(all_delivered, api, 20), 30)
            api.callback_update(admin, summary, button(summary, "Send to 20"))  # the old button
            await asyncio.sleep(1.0)
            second.send_signal(signal.SIGTERM)
            assert await exit_code(second, 30) == 0
        finally:
            for process in (first, second):
                if process is not None and process.poll() is None:
                    process.kill()
            await api.stop()
        # Queued once: one push, one row each. A send in flight at the kill may repeat
        # (the outbox's at-least-once), never more than once.
        assert set(delivered(api).values()) <= {1, 2} and len(delivered(api)) == 20
        db = await Database.open(db_path)
        pushes = await db.outbox.recent_pushes("news")
        rows = sum((await db.outbox.counts(pushes[0].id)).values()) if pushes else 0
        await db.close()
        assert len(pushes) == 1 and rows == 20
    ci_report.append(
        f"SIGKILL right after Send ({backend}), {len(outcomes)} trials: {', '.join(outcomes)}"
    )
