"""Two instances behind one webhook URL on one PostgreSQL database (issue 21).

A /reload on one reaches the other. And:

Two `python -m bot webhook` processes share the database and the (fake) Bot API. The
staff member's /post goes back and forth between them, one message each, as a load
balancer would spread them, and completes; while its 5,000 messages go out, the instance
that sends them (and shows their progress) is killed with SIGKILL. The other takes over:
every recipient gets the news once, only a row that was in flight at the kill may reach
its recipient twice, and the staff member's progress message reaches "Broadcast finished".
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import Config
from bot.reminders import queue_reminders
from bot.storage import Database
from fakegram.harness import Harness
from fakegram.pgserver import free_port
from fakegram.processes import exit_code, json_log, start_bot, stop_all, wait_until
from fakegram.protocol import FAKE_TOKEN
from fakegram.records import FakeUser
from fakegram.server import FakeBotAPI
from tests.test_staff_stop import button

pytestmark = [pytest.mark.postgresql_only, pytest.mark.slow]

RECIPIENTS = 5000
LANGUAGES = ("ru", "tg", "en")
ADMIN = 999_999
SECRET = "two-instances-secret"
PUSH_RATE = "250"  # 5,000 take 20 s: the kill lands well inside them
NEWS = {"ru": "Новости партнёрства", "tg": "Хабарҳои шарикӣ", "en": "Partnership news"}


@dataclass
class Instance:
    name: str
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    def start(self, api: FakeBotAPI, db_target: Path | str) -> None:
        self.process = start_bot(
            api,
            db_target,
            self.log,
            command="webhook",
            WEBHOOK_URL=self.url,
            WEBHOOK_SECRET=SECRET,
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(self.port),
            INSTANCE_NAME=self.name,
            LOG_FORMAT="json",
            ADMIN_IDS=str(ADMIN),
            PUSH_RATE=PUSH_RATE,
        )

    def handled(self, update_id: int) -> bool:
        """This instance has finished the update (its last log line for one is written
        after the conversation's state is stored)."""
        return any(
            line.get("update_id") == update_id and line["msg"].startswith("update handled")
            for line in json_log(self.log)
        )

    def log_messages(self) -> list[str]:
        return [str(line["msg"]) for line in json_log(self.log)]


def delivered(api: FakeBotAPI) -> Counter[int]:
    return Counter(
        c.params["chat_id"]
        for c in api.calls("sendMessage")
        if c.error is None and c.params["chat_id"] != ADMIN
    )


class Staff:
    """The staff member's Telegram app: each update goes to the instance named for it."""

    def __init__(self, api: FakeBotAPI, client: httpx.AsyncClient) -> None:
        self.api = api
        self.client = client
        self.user = FakeUser(ADMIN, "Staff", "en")
        self.chat = api.private_chat(self.user)

    async def send(self, to: Instance, text: str) -> list[dict[str, Any]]:
        after = self.api.last_seq
        return await self._deliver(to, self.api.message_update(self.user, text, self.chat), after)

    async def press(
        self, to: Instance, message: dict[str, Any], label: str
    ) -> list[dict[str, Any]]:
        after = self.api.last_seq
        update_id = self.api.callback_update(self.user, message, button(message, label))
        return await self._deliver(to, update_id, after)

    async def _deliver(self, to: Instance, update_id: int, after: int) -> list[dict[str, Any]]:
        (body,) = [u for u in self.api.state.updates if u["update_id"] == update_id]
        self.api.state.updates.remove(body)  # a webhook's update is not also there to poll
        answer = await self.client.post(
            to.url, json=body, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        assert answer.status_code == 200, answer.text
        await wait_until(lambda: to.handled(update_id), 30)
        return [
            c.result
            for c in self.api.calls(after=after)
            if c.error is None
            and c.method in ("sendMessage", "editMessageText")
            and c.params.get("chat_id") == ADMIN
        ]


def text_of(messages: list[dict[str, Any]]) -> str:
    return "\n".join(str(m.get("text", "")) for m in messages)


async def role_of(db_target: Path | str, instance: Instance) -> str | None:
    """What the instance's heartbeat last said (as its health probe reads it)."""
    db = await Database.open(db_target, instance=instance.name)
    try:
        return (await db.status.health()).get("sender_role")
    finally:
        await db.close()


async def listening(api: FakeBotAPI, instance: Instance) -> None:
    """Started: it has set its webhook (it listens before it does)."""
    await wait_until(
        lambda: any(c.params.get("url") == instance.url for c in api.calls("setWebhook")), 60
    )


async def test_two_instances_share_a_conversation_and_a_sender_that_dies(
    tmp_path: Path, db_target: Path | str, ci_report: list[str]
) -> None:
    db = await Database.open(db_target)
    for chat in range(1, RECIPIENTS + 1):
        await db.chats.seen_user(chat, LANGUAGES[chat % 3])
        await db.changes.set_subscription(chat, "news", True)
    await db.close()

    api = FakeBotAPI()
    await api.start()
    a = Instance("bot-a", free_port(), tmp_path / "bot-a.log")
    b = Instance("bot-b", free_port(), tmp_path / "bot-b.log")
    try:
        for instance in (a, b):  # a first: it takes the sender's role
            instance.start(api, db_target)
            await listening(api, instance)
        async with httpx.AsyncClient(timeout=10) as client:
            staff = Staff(api, client)
            # One conversation, each step on the other instance than the one before.
            assert "Send the news text in Russian" in text_of(await staff.send(a, "/post"))
            assert "Send the news text in Tajik" in text_of(await staff.send(b, NEWS["ru"]))
            assert "Send the news text in English" in text_of(await staff.send(a, NEWS["tg"]))
            replies = await staff.send(b, NEWS["en"])
            summary = replies[-1]
            assert f"Ready to send to {RECIPIENTS:,} news subscribers" in summary["text"]
            for language in LANGUAGES:  # the preview of each language's text, on a
                assert any(m.get("text") == NEWS[language] for m in replies)
            # on the sender: its progress message, too, must outlive it
            await staff.press(a, summary, "Send to")

        await wait_until(lambda: len(delivered(api)) >= RECIPIENTS // 4, 60)
        roles = {i.name: await role_of(db_target, i) for i in (a, b)}
        assert roles == {"bot-a": "active", "bot-b": "standby"}, roles
        assert a.process is not None
        a.process.send_signal(signal.SIGKILL)
        await exit_code(a.process)
        killed_at = time.monotonic()
        at_kill = len(delivered(api))
        assert at_kill < RECIPIENTS, "the broadcast finished before the kill: nothing was tested"
        await wait_until(lambda: len(delivered(api)) > at_kill, 30)
        takeover = time.monotonic() - killed_at
        await wait_until(lambda: len(delivered(api)) == RECIPIENTS, 120)
        report = await api.wait_for_call(
            lambda c: c.method == "editMessageText" and "Broadcast finished" in c.params["text"],
            timeout=30,
        )
        adopted = [m for m in b.log_messages() if "progress message" in m]
    finally:
        stop_all(a.process, b.process)
        await api.stop()

    counts = delivered(api)
    lost = [chat for chat in range(1, RECIPIENTS + 1) if counts[chat] == 0]
    repeats = {chat: n for chat, n in counts.items() if n > 1}
    resumed = [m for m in b.log_messages() if m.startswith("delivery resumed")]
    in_flight = int(resumed[0].split()[2]) if resumed else 0
    ci_report.append(
        f"two instances (postgresql): /post over 5 updates alternating between them; "
        f"{RECIPIENTS} recipients, sender SIGKILLed after {at_kill}, the other sent from "
        f"{takeover:.1f} s later; lost {len(lost)}, repeated {len(repeats)} "
        f"(rows in flight at the kill {in_flight})"
    )
    assert lost == []
    assert all(n == 2 for n in repeats.values())
    assert len(repeats) <= in_flight
    assert takeover < 10
    assert f"Sent: {RECIPIENTS:,} · failed: 0" in report.result["text"]
    assert len(adopted) == 1  # the staff member's "Sending…" was followed on from b
    for chat in (1, 2, 3):  # each recipient in their own language
        texts = [c.params["text"] for c in api.calls("sendMessage") if c.params["chat_id"] == chat]
        assert texts[0] == NEWS[LANGUAGES[chat % 3]]


async def test_a_reload_on_one_instance_reaches_the_other(
    tmp_path: Path, small_content: Path, ci_report: list[str]
) -> None:
    """Both read the same content/ and the same DATABASE_URL (the suite sets it);
    staff reload on one, and a reader on the other gets the new text within seconds."""
    events = small_content / "events.toml"
    async with (
        Harness(tmp_path / "a", content_dir=small_content, admin_ids=frozenset({ADMIN})) as one,
        Harness(tmp_path / "b", content_dir=small_content, admin_ids=frozenset({ADMIN})) as other,
    ):
        reader = other.user(language_code="en")
        assert (
            "Tajikistan became a member" in (await reader.send("/start event_accession")).last.text
        )
        events.write_text(
            events.read_text(encoding="utf-8").replace(
                "Tajikistan became a member", "Tajikistan joined as a member"
            ),
            encoding="utf-8",
        )
        admin = one.user(language_code="en", user_id=ADMIN)
        assert (await admin.send("/reload")).last.text.startswith("✅ Content reloaded:")
        reloaded = time.monotonic()
        while "joined as a member" not in (await reader.send("/start event_accession")).last.text:
            assert time.monotonic() - reloaded < 15, "the other instance still has the old text"
            await asyncio.sleep(0.5)
        ci_report.append(
            f"two instances (postgresql): a /reload reached the other in "
            f"{time.monotonic() - reloaded:.1f} s"
        )


REMINDER_TIME = dt.datetime(2027, 3, 2, 4, 0, 1, tzinfo=dt.UTC)  # 09:00, Dushanbe
REMINDED = 3000  # more than one chunk of queuing (QUEUE_CHUNK, 2,000): the two interleave


async def test_both_instances_queue_the_days_reminders_and_each_arrives_once(
    tmp_path: Path, small_content: Path, db_target: str, ci_report: list[str]
) -> None:
    db = await Database.open(db_target)
    for chat in range(1, REMINDED + 1):
        await db.chats.seen_user(chat, LANGUAGES[chat % 3])
        await db.changes.set_subscription(chat, "reminders", True)
    await db.close()
    one, other = (
        Harness(
            tmp_path / name,
            content_dir=small_content,
            config=Config(token=FAKE_TOKEN, database_path=tmp_path / name, push_rate=500),
        )
        for name in ("a", "b")
    )
    for instance in (one, other):
        instance.set_now(REMINDER_TIME)
    async with one, other:
        # Each has run its start-up catch-up; now both run the daily job at the same time.
        days = await asyncio.gather(*(queue_reminders(h.services) for h in (one, other)))
        senders = [h.services.sender for h in (one, other)]
        active = [s is not None and s.active for s in senders]

        def pushes() -> Counter[tuple[int, str]]:
            return Counter(
                (c.params["chat_id"], c.params["text"])
                for h in (one, other)
                for c in h.api.calls("sendMessage")
                if c.error is None and c.params["chat_id"] != ADMIN
            )

        await wait_until(lambda: len({chat for chat, _ in pushes()}) == REMINDED, 90)
        for sender in senders:
            assert sender is not None
            await sender.drain(everything=True)
    db = await Database.open(db_target)
    try:
        rows = await db.outbox.counts()
    finally:
        await db.close()
    sent = pushes()
    ci_report.append(
        f"two instances (postgresql): both ran the day's reminder job at once for {REMINDED} "
        f"subscribers (rows added by each: {[sum(q.rows for q in day) for day in days]}); "
        f"{sum(sent.values())} reminders sent, {sum(n > 1 for n in sent.values())} twice"
    )
    assert active.count(True) == 1  # one sender for both
    assert max(sent.values()) == 1
    assert sum(sent.values()) == rows["sent"] and rows["pending"] == rows["inflight"] == 0
