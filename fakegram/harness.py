"""The real bot and the fake Bot API in one event loop, with a user's view of the chat.

Used by the tests, the sandbox and the benchmarks. Nothing of the bot is replaced: the
harness only adds one handler in the last group that tells the fake server "this update
is finished", so a test knows exactly which replies an update produced.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import html
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import TypeHandler

from bot.app import ALLOWED_UPDATES, BotApp, build_application
from bot.config import Config
from bot.content.model import CONTENT_DIR
from bot.context import SERVICES_KEY, Services
from bot.features import Feature
from bot.reminders import queue_reminders
from bot.storage.chats import PUSH_TOPICS
from bot.webhook import WebhookServer
from fakegram.protocol import FAKE_TOKEN
from fakegram.records import Call, FakeUser
from fakegram.server import FakeBotAPI
from handlers import FEATURES

DONE_GROUP = 1_000_000
BOT_CODE = tuple(str(Path(__file__).resolve().parent.parent / d) for d in ("bot", "handlers"))
SENDER_TASK = "outbox-sender"  # the sender's loop, which runs as long as the bot
# The bot's HTTP layer: every request passes through it, the long poll for updates too.
TRANSPORT = str(Path(__file__).resolve().parent.parent / "bot" / "health.py")


@dataclass
class Button:
    text: str
    data: str | None = None
    url: str | None = None


@dataclass
class Reply:
    """One thing the user saw: a message sent or edited, or a toast from a button press."""

    method: str
    text: str
    html: str = ""
    buttons: list[list[Button]] = field(default_factory=list)
    message: dict[str, Any] | None = None
    alert: bool = False

    @property
    def flat_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row]


def _buttons(markup: dict[str, Any] | None) -> list[list[Button]]:
    if not markup:
        return []
    return [
        [Button(b["text"], b.get("callback_data"), b.get("url")) for b in row]
        for row in markup.get("inline_keyboard", [])
    ]


class Replies(list[Reply]):
    @property
    def text(self) -> str:
        return "\n---\n".join(r.text for r in self)

    @property
    def last(self) -> Reply:
        if not self:
            raise AssertionError("the bot did not answer")
        return self[-1]


class ChatUser:
    """A Telegram user talking to the bot in a private chat (or a given chat)."""

    def __init__(
        self, harness: Harness, user: FakeUser, chat: dict[str, Any] | None = None
    ) -> None:
        self.harness = harness
        self.user = user
        self.chat = chat or harness.api.private_chat(user)

    @property
    def chat_id(self) -> int:
        return int(self.chat["id"])

    async def send(self, text: str, *, reply_to: dict[str, Any] | None = None) -> Replies:
        after = self.harness.api.last_seq
        update_id = self.harness.api.message_update(self.user, text, self.chat, reply_to=reply_to)
        return await self.harness.collect(update_id, after, self.chat_id)

    def last_message_with_buttons(self) -> dict[str, Any]:
        messages = [
            m
            for (chat_id, _), m in self.harness.api.state.messages.items()
            if chat_id == self.chat_id and m.get("reply_markup")
        ]
        if not messages:
            raise AssertionError("no message with buttons in this chat")
        return max(messages, key=lambda m: m["message_id"])

    async def press(
        self,
        label: str | None = None,
        *,
        data: str | None = None,
        message: dict[str, Any] | None = None,
    ) -> Replies:
        """Press the button whose label contains `label` (or send forged `data`)."""
        message = message or self.last_message_with_buttons()
        if data is None:
            for button in (b for row in _buttons(message.get("reply_markup")) for b in row):
                if label is not None and label in button.text and button.data:
                    data = button.data
                    break
            else:
                labels = [b.text for row in _buttons(message.get("reply_markup")) for b in row]
                raise AssertionError(f"no button {label!r} among {labels}")
        after = self.harness.api.last_seq
        update_id = self.harness.api.callback_update(self.user, message, data)
        return await self.harness.collect(update_id, after, self.chat_id)

    async def inline(
        self, query: str, offset: str = "", chat_type: str = "sender"
    ) -> dict[str, Any]:
        after = self.harness.api.last_seq
        update_id = self.harness.api.inline_update(self.user, query, offset, chat_type)
        await self.harness.api.wait_done(update_id)
        answers = self.harness.api.calls("answerInlineQuery", after=after)
        if not answers:
            raise AssertionError("the bot did not answer the inline query")
        return answers[-1].params


class Harness:
    def __init__(
        self,
        data_dir: Path,
        *,
        admin_ids: frozenset[int] = frozenset(),
        content_dir: Path = CONTENT_DIR,
        api: FakeBotAPI | None = None,
        config: Config | None = None,
        features: tuple[Feature, ...] | None = None,
        webhook_secret: str | None = None,
    ) -> None:
        self.features = FEATURES if features is None else features
        self.webhook_secret = webhook_secret  # set: receive updates by webhook, not polling
        self.webhook_url = ""
        self._webhook: WebhookServer | None = None
        self.data_dir = data_dir
        self.api = api or FakeBotAPI(files_dir=data_dir / "files")
        self._config = config
        self.admin_ids = admin_ids
        self.content_dir = content_dir
        self.app: BotApp | None = None
        self._next_user_id = 1000
        self._now: dt.datetime | None = None
        # What the bot asks Telegram for, as `python -m bot run` does.
        self.allowed_updates: tuple[str, ...] = ALLOWED_UPDATES

    @property
    def config(self) -> Config:
        base = self._config or Config(token=FAKE_TOKEN, database_path=self.data_dir / "bot.sqlite3")
        return replace(
            base,
            # the suite's PostgreSQL run (tests/conftest.py sets it per test)
            database_url=os.environ.get("DATABASE_URL") or base.database_url,
            token=FAKE_TOKEN,
            api_root=self.api.url,
            admin_ids=self.admin_ids or base.admin_ids,
        )

    async def __aenter__(self) -> Harness:
        if not self.api.url:
            await self.api.start()
        try:
            await self.start_bot()
        except BaseException:
            await self.api.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop_bot()
        await self.api.stop()

    async def start_bot(self) -> BotApp:
        app = build_application(self.config, content_dir=self.content_dir, features=self.features)
        app.add_handler(TypeHandler(Update, self._mark_done), group=DONE_GROUP)
        # The same order as Application.run_polling: initialize, post_init, start.
        await app.initialize()
        try:
            if app.post_init is not None:
                await app.post_init(app)
        except BaseException:
            await app.shutdown()
            raise
        if self._now is not None:
            fixed = self._now
            app.bot_data[SERVICES_KEY].clock = lambda: fixed
        await app.start()
        assert app.updater is not None
        if self.webhook_secret is None:
            await app.updater.start_polling(
                poll_interval=0.0, timeout=5, allowed_updates=list(self.allowed_updates)
            )
        else:
            port = _free_port()
            self.webhook_url = f"http://127.0.0.1:{port}/telegram"
            self._webhook = WebhookServer(app, "telegram", self.webhook_secret)
            await self._webhook.start("127.0.0.1", port)
            await app.bot.set_webhook(
                self.webhook_url,
                secret_token=self.webhook_secret,
                allowed_updates=list(self.allowed_updates),
            )
        self.app = app
        return app

    async def stop_bot(self) -> None:
        app, self.app = self.app, None
        if app is None:
            return
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if self._webhook is not None:
            await self._webhook.stop()
            self._webhook = None
        if app.running:
            await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)

    @property
    def services(self) -> Services:
        assert self.app is not None, "the bot is not running"
        return self.app.bot_data[SERVICES_KEY]

    def set_now(self, when: dt.datetime) -> None:
        """Move the bot's clock (kept across restarts)."""
        self._now = when
        if self.app is not None:
            self.services.clock = lambda: when

    @property
    def now_fixed(self) -> bool:
        """Whether the clock was set (set_now), rather than running with real time."""
        return self._now is not None

    async def travel_to(self, when: dt.datetime) -> None:
        """Move the clock and queue what the new day brings, as the daily job does at
        midnight; the sender, whose clock follows, then delivers what became due."""
        self.set_now(when)
        await queue_reminders(self.services)

    @contextlib.asynccontextmanager
    async def pushes_held(self) -> AsyncIterator[None]:
        """No push goes out inside: the outbox sender is stopped, then started again (the
        sandbox shows an input's replies, then its pushes, in the same order every time)."""
        sender = self.services.sender
        if sender is None or not sender.running:
            yield
            return
        await sender.stop()
        try:
            yield
        finally:
            await sender.start()

    def bot_tasks(self) -> set[asyncio.Task[Any]]:
        """The running tasks whose code is the bot's own (its handlers, its sender)."""
        return {
            task
            for task in asyncio.all_tasks()
            if task.get_name() != SENDER_TASK and _runs_bot_code(task)
        }

    async def settle(self, before: set[asyncio.Task[Any]], timeout: float = 10.0) -> None:
        """Wait (up to `timeout`) until what the bot started since `before` is over: the
        bot's own tasks (a broadcast's progress edits) and the pushes now due."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        current = asyncio.current_task()
        while loop.time() < deadline:
            sender = self.services.sender if self.app is not None else None
            if sender is not None:
                with contextlib.suppress(TimeoutError):
                    await sender.drain(timeout=max(deadline - loop.time(), 0.01))
            started = {t for t in self.bot_tasks() - before if t is not current and not t.done()}
            if not started:
                return
            await asyncio.wait(started, timeout=max(deadline - loop.time(), 0.01))

    async def pushed(self) -> set[tuple[int, int]]:
        """(chat id, message id) of every message the outbox delivered: pushes, not replies."""
        db = self.services.db
        sent: set[tuple[int, int]] = set()
        for topic in PUSH_TOPICS:
            for push in await db.outbox.recent_pushes(topic, limit=1000):
                for row in await db.outbox.rows(push.id):
                    if row["state"] == "sent" and row["message_id"] is not None:
                        sent.add((int(row["chat_id"]), int(row["message_id"])))
        return sent

    async def restart(self) -> None:
        await self.stop_bot()
        await self.start_bot()

    async def _mark_done(self, update: Update, context: Any) -> None:
        self.api.mark_done(update.update_id)

    def user(
        self,
        language_code: str | None = "en",
        first_name: str = "Test",
        user_id: int | None = None,
        chat: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> ChatUser:
        """A user in their private chat, or in `chat` (e.g. api.group_chat(-100))."""
        if user_id is None:
            self._next_user_id += 1
            user_id = self._next_user_id
        return ChatUser(self, FakeUser(user_id, first_name, language_code, **kwargs), chat)

    async def collect(self, update_id: int, after: int, chat_id: int) -> Replies:
        await self.api.wait_done(update_id)
        refused = [
            c
            for c in self.api.calls("answerCallbackQuery", after=after)
            if c.error is not None and "query is too old" in c.error.description
        ]
        if refused:  # the user never saw it: Telegram shows one answer per button press
            raise AssertionError(f"a button press answered twice: {refused[0].params}")
        return Replies(
            to_reply(call) for call in self.api.calls(after=after) if _concerns(call, chat_id)
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _runs_bot_code(task: asyncio.Task[Any]) -> bool:
    """Whether the task runs (or awaits, however deep) a coroutine of bot/ or handlers/,
    other than the HTTP layer that the long poll for updates passes through."""
    awaited: Any = task.get_coro()
    for _ in range(50):
        code = getattr(awaited, "cr_code", None)
        if code is None:
            return False
        if code.co_filename.startswith(BOT_CODE):
            return code.co_filename != TRANSPORT
        awaited = getattr(awaited, "cr_await", None)
    return False


def _concerns(call: Call, chat_id: int) -> bool:
    if call.error is not None:
        return False
    if call.method == "answerCallbackQuery":
        return bool(call.params.get("text"))
    return call.params.get("chat_id") == chat_id and call.method.startswith(("send", "edit"))


def to_reply(call: Call) -> Reply:
    if call.method == "answerCallbackQuery":
        return Reply(
            call.method, call.params.get("text", ""), alert=bool(call.params.get("show_alert"))
        )
    message = call.result if isinstance(call.result, dict) else {}
    raw = call.params.get("text") or call.params.get("caption") or ""
    visible = message.get("text") or message.get("caption") or html.unescape(raw)
    return Reply(call.method, visible, raw, _buttons(call.params.get("reply_markup")), message)
