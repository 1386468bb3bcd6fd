"""Reliability: fuzzed updates, concurrent users during a broadcast, a failing Bot API and
database, hostile input. The bot never raises unhandled, and every private message gets
an answer."""

from __future__ import annotations

import asyncio
import itertools
import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakegram.harness import Harness
from handlers import FEATURES

FUZZ_CASES = 2000
APOLOGY = (
    "Sorry, something went wrong on my side. Please try again in a minute; "
    "if it keeps happening, send /start."
)
COMMANDS = sorted({c.name for f in FEATURES for c in f.commands} | {"start", "nonsense"})
CALLBACK_PREFIXES = [
    "facts:",
    "hist:",
    "ag:",
    "set:",
    "lang:",
    "cmd:",
    "show:",
    "post:",
    "bc:stop:",
    "ch:",
]
# Lone surrogates included: valid in JSON ("\udfff"), not in UTF-8; the bot must cope.
text_chars = st.characters()
query_ids = itertools.count(1)  # Telegram takes one answer per query id


class ErrorLog(logging.Handler):
    """Collects 'handler failed' records: an exception no handler dealt with itself."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class LoopThread:
    """The bot and the fake API on their own event loop, so Hypothesis can drive them."""

    def __init__(self, data_dir: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.harness = Harness(data_dir)
        self.run(self.harness.__aenter__())

    def run(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.run(self.harness.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None
) -> Iterator[LoopThread]:
    # on PostgreSQL the bot takes the module's database from DATABASE_URL
    runner = LoopThread(tmp_path_factory.mktemp("fuzz"))
    yield runner
    runner.close()


@pytest.fixture(scope="module")
def errors() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    logging.getLogger("bot.errors").addHandler(handler)
    yield handler
    logging.getLogger("bot.errors").removeHandler(handler)


fuzz_count: dict[str, int] = {}  # backend → cases


def user_dict(user_id: int, lang: str | None, name: str = "F") -> dict[str, Any]:
    data: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": name or "F"}
    if lang is not None:
        data["language_code"] = lang
    return data


message_text = st.one_of(
    st.text(text_chars, max_size=200),
    # huge messages, built cheaply (drawing 4,000 random characters one by one is slow)
    st.builds(
        lambda head, n: (head * n)[:4096],
        st.text(text_chars, min_size=1, max_size=8),
        st.integers(400, 4096),
    ),
    st.builds(
        lambda c, a: f"/{c} {a}", st.sampled_from(COMMANDS), st.text(text_chars, max_size=100)
    ),
    st.builds(lambda c: f"/{c}@un_tj_test_bot", st.sampled_from(COMMANDS)),
    st.sampled_from(
        ["'; DROP TABLE users; --", "../../etc/passwd", "<b>x</b>", "&amp;", "\u202e", "\x00"]
    ),
)
callback_data = st.one_of(
    st.text(text_chars, min_size=1, max_size=20),
    st.builds(
        lambda p, rest: (p + rest)[:60],
        st.sampled_from(CALLBACK_PREFIXES),
        st.text(text_chars, max_size=30),
    ),
    st.sampled_from(
        [
            "facts:peace:999",
            "hist:-1:0",
            "hist:0:99",
            "set:hour:abc",
            "set:tz:999",
            "lang:xx",
            "show:event:nope",
            "ag:list",
            "facts:topics",
            "cmd:help",
            "bc:stop:x",
            "bc:stop:²",
            "hist:²:0",
            "hist:0:①",
            "set:hour:²",
            "set:tz:①",
            "facts:peace:²",
            "ch:topic:²:news",
            "cmd:\udfff",
        ]
    ),
)


@st.composite
def updates(draw: st.DrawFn) -> tuple[str, dict[str, Any], int | None]:
    """(kind, update body, chat id that must get an answer or None)."""
    user_id = draw(st.integers(5000, 5050))
    lang = draw(st.sampled_from(["ru", "tg", "en", "de", None]))
    kind = draw(
        st.sampled_from(
            [
                "message",
                "message",
                "message",
                "callback",
                "inline",
                "edited",
                "no_from",
                "channel_post",
                "unknown",
                "group",
            ]
        )
    )
    user = user_dict(user_id, lang, draw(st.sampled_from(["F", "\udfffname", "A\ud800"])))
    private = {"id": user_id, "type": "private", "first_name": "F"}
    if kind in ("message", "edited", "no_from", "group"):
        text = draw(message_text)
        chat = private if kind != "group" else {"id": -777, "type": "group", "title": "G"}
        body: dict[str, Any] = {"message_id": 1, "date": 0, "chat": chat, "text": text or "."}
        if kind != "no_from":
            body["from"] = user
        if text.startswith("/"):
            body["entities"] = [
                {
                    "type": "bot_command",
                    "offset": 0,
                    "length": len(text.split(" ")[0].encode("utf-16-le")) // 2,
                }
            ]
        key = {"edited": "edited_message"}.get(kind, "message")
        if kind == "edited":
            body["edit_date"] = 1
        must_answer = user_id if kind == "message" else None
        return kind, {key: body}, must_answer
    if kind == "callback":
        message = {
            "message_id": 1,
            "date": 0,
            "chat": private,
            "text": "old",
            "from": {"id": 123456789, "is_bot": True, "first_name": "Bot"},
        }
        return (
            kind,
            {
                "callback_query": {
                    "id": str(next(query_ids)),
                    "from": user,
                    "message": message,
                    "chat_instance": "1",
                    "data": draw(callback_data),
                }
            },
            None,
        )
    if kind == "inline":
        return (
            kind,
            {
                "inline_query": {
                    "id": str(next(query_ids)),
                    "from": user,
                    "query": draw(st.text(text_chars, max_size=256)),
                    "offset": draw(
                        st.sampled_from(["", "20", "x", "-5", "999999", "①", "²", "٣", "\udfff"])
                    ),
                }
            },
            None,
        )
    if kind == "channel_post":
        return (
            kind,
            {
                "channel_post": {
                    "message_id": 1,
                    "date": 0,
                    "text": draw(st.text(text_chars, max_size=50)),
                    "chat": {"id": -1001, "type": "channel", "title": "C"},
                }
            },
            None,
        )
    return kind, {"some_future_update": {"x": draw(st.integers())}}, None


@settings(
    max_examples=FUZZ_CASES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
@given(case=updates())
def test_fuzzed_updates_never_raise_and_private_messages_get_answers(
    live: LoopThread, errors: ErrorLog, backend: str, case: tuple[str, dict[str, Any], int | None]
) -> None:
    kind, body, must_answer = case
    errors.records.clear()
    api = live.harness.api
    after = api.last_seq
    update_id = api.add_update(body)
    live.run(api.wait_done(update_id))
    fuzz_count[backend] = fuzz_count.get(backend, 0) + 1
    assert [r.getMessage() for r in errors.records] == []
    if must_answer is not None:
        answered = [
            c
            for c in api.calls(after=after)
            if c.params.get("chat_id") == must_answer and c.error is None
        ]
        assert answered, f"no answer to {body}"
    if kind == "callback":
        assert api.calls("answerCallbackQuery", after=after), "a button press must be answered"
    if kind == "inline":
        assert api.calls("answerInlineQuery", after=after), "an inline query must be answered"


def test_fuzz_case_count(
    live: LoopThread, errors: ErrorLog, backend: str, ci_report: list[str]
) -> None:
    """Shown at the end of the run: how many fuzzed updates went through the real bot (run
    alone, this test runs the fuzzer itself first)."""
    if not fuzz_count.get(backend):
        test_fuzzed_updates_never_raise_and_private_messages_get_answers(live, errors, backend)
    cases = fuzz_count[backend]
    ci_report.append(f"fuzz cases run through the bot ({backend}): {cases}, 0 unhandled errors")
    assert cases >= FUZZ_CASES


# -- concurrency ------------------------------------------------------------------------


async def test_many_users_change_settings_while_a_broadcast_runs(tmp_path: Path) -> None:
    async with Harness(tmp_path) as bot:
        db = bot.services.db
        for user_id in range(20_000, 20_300):  # 300 news subscribers for the broadcast
            await db.chats.seen_user(user_id, "en")
            await db.changes.set_subscription(user_id, "news", True)
        push_id, queued = await db.outbox.queue("news:during", "news", {"en": "Busy day"})
        bot.services.sender.wake()
        users = [bot.user(language_code="en") for _ in range(40)]

        async def session(n: int) -> None:
            user = users[n]
            await user.send("/subscribe")
            if n % 5:  # one tap on the hour grid
                await user.press(f"{9 + n % 5:02d}")
            if n % 2:
                await user.press("Silent delivery")
            await user.send("/settings")

        await asyncio.gather(*(session(n) for n in range(len(users))))
        # the same push queued again (a retried job): only the 40 who subscribed since
        assert (await db.outbox.queue("news:during", "news", {"en": "Busy day"}))[1] == 40
        assert (await db.outbox.queue("news:during", "news", {"en": "Busy day"}))[1] == 0
        queued += 40
        await bot.services.sender.drain(everything=True, timeout=60)
        for n, user in enumerate(users):
            settings_ = await db.settings.get_settings(user.user.id)
            assert settings_.reminder_hour == 9 + n % 5, n
            assert settings_.silent == bool(n % 2)
            assert await db.settings.subscriptions(user.user.id) == {"reminders", "news"}
        rows = await db.outbox.rows(push_id)
        assert len(rows) == queued == len({r["chat_id"] for r in rows})
        assert {r["state"] for r in rows} == {"sent"}
        calls = [c for c in bot.api.calls("sendMessage") if c.params.get("text") == "Busy day"]
        assert len(calls) == len({c.params["chat_id"] for c in calls}) == queued


# -- faults -----------------------------------------------------------------------------


async def test_dropped_connections_slow_answers_and_a_5xx_storm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.delivery as delivery

    monkeypatch.setattr(delivery, "BACKOFF_BASE", 1.0)
    async with Harness(tmp_path) as bot:
        user = bot.user(language_code="en")
        bot.api.fail("sendMessage", drop=True, times=1)
        await user.send("/help")  # the reply is lost with the connection; the bot lives on
        bot.api.fail("sendMessage", delay=2.0, times=1)
        assert (await user.send("/help")).last.text.startswith("What I can do")
        for _ in range(5):
            subscriber = bot.user(language_code="en")
            await bot.services.db.chats.seen_user(subscriber.user.id, "en")
            await bot.services.db.changes.set_subscription(subscriber.user.id, "news", True)
        bot.api.fail("sendMessage", 502, "Bad Gateway", times=12)
        push_id, _ = await bot.services.db.outbox.queue(
            "news:storm", "news", {"en": "After the storm"}
        )
        bot.services.sender.wake()
        await bot.services.sender.drain(everything=True, timeout=60)
        counts = await bot.services.db.outbox.counts(push_id)
        assert counts["sent"] == 5 and counts["failed"] == 0
        assert (await user.send("/about")).last.text.startswith("UN–Tajikistan partnership bot")


@pytest.mark.sqlite_only  # the fault is made with SQLite's max_page_count
async def test_disk_full_is_reported_and_corrupts_nothing(tmp_path: Path) -> None:
    async with Harness(tmp_path) as bot:
        user = bot.user(language_code="en")
        await user.send("/start")
        conn = bot.services.db.conn  # fault injection: the database stops growing
        row = await conn.fetchone("PRAGMA page_count")
        assert row is not None
        await conn.fetchone(f"PRAGMA max_page_count = {row[0]}")
        apology = bot.services.i18n("ru").pgettext("errors", APOLOGY)
        newcomers = [bot.user(language_code="ru") for _ in range(300)]
        greetings = [(await u.send("/start")).last.text for u in newcomers]
        assert all(g.startswith("Здравствуйте") for g in greetings)  # reading still works
        answers = [(await u.send("/subscribe")).last.text for u in newcomers]
        assert apology in answers  # a write that cannot be done is reported
        await conn.fetchone("PRAGMA max_page_count = 1073741823")
        row = await conn.fetchone("PRAGMA integrity_check")
        assert row is not None and row[0] == "ok"
        assert (await user.send("/subscribe")).last.text.startswith("Done!")


@pytest.mark.sqlite_only  # the fault is made with SQLite's query_only
async def test_read_only_database_is_reported(tmp_path: Path) -> None:
    async with Harness(tmp_path) as bot:
        await bot.services.db.conn.execute("PRAGMA query_only = ON")
        reply = (await bot.user(language_code="tg").send("/subscribe")).last.text
        assert reply == bot.services.i18n("tg").pgettext("errors", APOLOGY)
        await bot.services.db.conn.execute("PRAGMA query_only = OFF")


# -- hostile input ----------------------------------------------------------------------


async def test_sql_and_path_like_text_changes_nothing(tmp_path: Path, backend: str) -> None:
    async with Harness(tmp_path) as bot:
        user = bot.user(language_code="en", first_name="Robert'); DROP TABLE users;--")
        for text in (
            "'; DROP TABLE users; --",
            "../../etc/passwd",
            "/search ' OR 1=1 --",
            "%00",
            "\\x00",
        ):
            assert (await user.send(text)).last.text
        assert (await user.send("/start")).last.text.startswith(
            "Hello, Robert'); DROP TABLE users;--!"
        )
        assert await bot.services.db.chats.count() == 1
        if backend == "sqlite":  # and the file is sound (PostgreSQL has no such check)
            with sqlite3.connect(tmp_path / "bot.sqlite3") as raw:
                assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
