"""A fake Telegram Bot API server on 127.0.0.1, for the tests, the sandbox and the benchmarks.

It speaks the Bot API over real HTTP, so the real telegram.ext.Application talks to it
unchanged (only its base_url points here). It keeps what a test needs to see: every call
the bot made, the messages as a user would see them (with Telegram's HTML checks, length
limits and callback-data limits), and it can inject updates as a user and answer any call
with an error or a delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web

# Shaped like a bot token (the bot validates the shape), but no real token: assembled so
# that secret scanners do not take the source for a leaked one.
FAKE_TOKEN = ":".join(("123456789", "FAKE-token-for-tests-and-sandbox-0000"))
BOT_ID = 123456789
LOOPBACK = "127.0.0.1"

JSON_FIELDS = {
    "reply_markup",
    "entities",
    "caption_entities",
    "results",
    "commands",
    "scope",
    "link_preview_options",
    "reply_parameters",
    "allowed_updates",
    "button",
    "media",
}
INT_FIELDS = {
    "chat_id",
    "message_id",
    "offset",
    "limit",
    "timeout",
    "cache_time",
    "user_id",
    "from_chat_id",
    "message_thread_id",
    "max_connections",
}
BOOL_FIELDS = {
    "disable_notification",
    "protect_content",
    "show_alert",
    "is_personal",
    "drop_pending_updates",
    "allow_paid_broadcast",
    "disable_web_page_preview",
}
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_INLINE_RESULTS = 50
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
    "tg-emoji",
}


class DropConnection(Exception):
    """Answer nothing: the client sees the connection closed."""


class ApiError(Exception):
    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


# -- Telegram's HTML, as strictly as Telegram checks it ------------------------------------


class _TelegramHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise ApiError(
                400, f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"'
            )
        if tag == "a" and not dict(attrs).get("href"):
            raise ApiError(400, "Bad Request: can't parse entities: Can't find href of a link")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise ApiError(400, f'Bad Request: can\'t parse entities: Unmatched end tag "{tag}"')
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def html_to_text(text: str) -> str:
    """The text a user sees; raises ApiError like Telegram for markup it would reject."""
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise ApiError(
            400,
            "Bad Request: can't parse entities: "
            f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"',
        )
    return "".join(parser.text)


# -- recorded state ------------------------------------------------------------------------------


@dataclass
class Call:
    seq: int
    method: str
    params: dict[str, Any]
    at: float
    result: Any = None
    error: ApiError | None = None


@dataclass
class Fault:
    """Answer the next `times` calls of `method` (matching `when`) with an error or a delay."""

    method: str
    code: int = 0  # 0: no error, only the delay
    description: str = ""
    retry_after: int | None = None
    migrate_to_chat_id: int | None = None
    delay: float = 0.0
    drop: bool = False  # close the connection without an answer
    times: int = 1
    when: Callable[[dict[str, Any]], bool] | None = None


@dataclass
class FakeUser:
    id: int
    first_name: str = "Test"
    language_code: str | None = "en"
    username: str | None = None
    last_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass
class FakeAPIState:
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    # (chat id, user id) → status: creator, administrator, member, left, kicked …
    members: dict[tuple[int, int], str] = field(default_factory=dict)
    # the bot's own rights where it is an administrator (e.g. can_post_messages in channels)
    bot_rights: dict[int, dict[str, bool]] = field(default_factory=dict)
    chats: dict[str, dict[str, Any]] = field(default_factory=dict)  # @username → chat


class FakeBotAPI:
    def __init__(
        self,
        *,
        username: str = "un_tj_test_bot",
        token: str = FAKE_TOKEN,
        files_dir: Path | None = None,
        rate_limit_per_second: int | None = None,
    ) -> None:
        self.username = username
        self.token = token
        self.files_dir = files_dir
        self.rate_limit_per_second = rate_limit_per_second
        self.state = FakeAPIState()
        self.url = ""
        self._server: tornado.httpserver.HTTPServer | None = None
        self._seq = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._query_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._call_event = asyncio.Event()
        self._done: dict[int, asyncio.Event] = {}
        self._sent_window: list[float] = []
        self.too_many_requests = 0

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        app = tornado.web.Application(
            [
                (r"/bot([^/]+)/([A-Za-z]+)", _MethodHandler, {"api": self}),
                (r"/file/bot([^/]+)/(.+)", _FileHandler, {"api": self}),
            ],
            log_function=lambda _handler: None,  # no access log: URLs carry the token
        )
        sockets = tornado.netutil.bind_sockets(port, address=LOOPBACK)
        self._server = tornado.httpserver.HTTPServer(app, max_body_size=60 * 1024 * 1024)
        self._server.add_sockets(sockets)
        self.url = f"http://{LOOPBACK}:{sockets[0].getsockname()[1]}"
        return self.url

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
        self._new_update.set()  # release long polls

    # -- injecting updates as a user ------------------------------------------------------

    def add_update(self, body: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self.state.updates.append({"update_id": update_id, **body})
        self._done[update_id] = asyncio.Event()
        self._new_update.set()
        return update_id

    def private_chat(self, user: FakeUser) -> dict[str, Any]:
        chat = {"id": user.id, "type": "private", "first_name": user.first_name}
        if user.username:
            chat["username"] = user.username
        return chat

    def message_update(
        self,
        user: FakeUser | None,
        text: str,
        chat: dict[str, Any] | None = None,
        *,
        reply_to: dict[str, Any] | None = None,
        kind: str = "message",
    ) -> int:
        chat = chat or (self.private_chat(user) if user else {"id": -1, "type": "channel"})
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "text": text,
        }
        if user is not None:
            message["from"] = user.to_dict()
        match = re.match(r"^/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
        if match:
            message["entities"] = [
                {
                    "type": "bot_command",
                    "offset": 0,
                    "length": len(match.group(0).encode("utf-16-le")) // 2,
                }
            ]
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return self.add_update({kind: message})

    def callback_update(self, user: FakeUser, message: dict[str, Any], data: str) -> int:
        return self.add_update(
            {
                "callback_query": {
                    "id": str(next(self._query_ids)),
                    "from": user.to_dict(),
                    "message": message,
                    "chat_instance": str(message["chat"]["id"]),
                    "data": data,
                }
            }
        )

    def member_update(self, user: FakeUser, chat: dict[str, Any], old: str, new: str) -> int:
        """The bot's own membership changed in a chat (blocked, unblocked, added, removed)."""
        bot = self._bot_user()
        return self.add_update(
            {
                "my_chat_member": {
                    "chat": chat,
                    "from": user.to_dict(),
                    "date": int(time.time()),
                    "old_chat_member": _member(bot, old),
                    "new_chat_member": _member(bot, new),
                }
            }
        )

    def group_chat(self, chat_id: int, title: str = "Test group") -> dict[str, Any]:
        return {
            "id": chat_id,
            "type": "supergroup" if chat_id < -(10**12) else "group",
            "title": title,
        }

    def add_channel(
        self, username: str, chat_id: int, title: str, *, bot_can_post: bool
    ) -> dict[str, Any]:
        chat = {"id": chat_id, "type": "channel", "title": title, "username": username.lstrip("@")}
        self.state.chats["@" + username.lstrip("@").lower()] = chat
        self.state.members[(chat_id, BOT_ID)] = "administrator" if bot_can_post else "member"
        self.state.bot_rights[chat_id] = {"can_post_messages": bot_can_post}
        return chat

    def inline_update(self, user: FakeUser, query: str, offset: str = "") -> int:
        return self.add_update(
            {
                "inline_query": {
                    "id": str(next(self._query_ids)),
                    "from": user.to_dict(),
                    "query": query,
                    "offset": offset,
                    "chat_type": "sender",
                }
            }
        )

    def mark_done(self, update_id: int) -> None:
        """Called by the harness's last handler group once the bot finished an update."""
        event = self._done.get(update_id)
        if event is not None:
            event.set()

    async def wait_done(self, update_id: int, timeout: float = 15.0) -> None:
        await asyncio.wait_for(self._done[update_id].wait(), timeout)

    async def wait_for_call(
        self, predicate: Callable[[Call], bool], timeout: float = 10.0, after: int = 0
    ) -> Call:
        """Wait until the bot makes a matching call (for pushes that no update triggers)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for call in self.state.calls:
                if call.seq > after and predicate(call):
                    return call
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError("the bot made no such call")
            self._call_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._call_event.wait(), remaining)

    # -- faults ---------------------------------------------------------------------------

    def fail(self, method: str, code: int = 0, description: str = "", **kwargs: Any) -> Fault:
        fault = Fault(method, code, description, **kwargs)
        self.state.faults.append(fault)
        return fault

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self.state.faults:
            if (
                fault.method == method
                and fault.times > 0
                and (fault.when is None or fault.when(params))
            ):
                fault.times -= 1
                if fault.times == 0:
                    self.state.faults.remove(fault)
                return fault
        return None

    # -- reading what the bot did ---------------------------------------------------------

    @property
    def last_seq(self) -> int:
        return self.state.calls[-1].seq if self.state.calls else 0

    def calls(self, method: str | None = None, after: int = 0) -> list[Call]:
        return [
            c for c in self.state.calls if c.seq > after and (method is None or c.method == method)
        ]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        return self.state.messages.get((chat_id, message_id))

    # -- dispatch -------------------------------------------------------------------------

    async def handle(self, token: str, method: str, params: dict[str, Any]) -> Any:
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        call = Call(next(self._seq), method, params, time.monotonic())
        if method != "getUpdates":
            self.state.calls.append(call)
            self._call_event.set()
        try:
            fault = self._take_fault(method, params)
            if fault is not None:
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.drop:
                    raise DropConnection
                if fault.code:
                    parameters: dict[str, Any] = {}
                    if fault.retry_after is not None:
                        parameters["retry_after"] = fault.retry_after
                    if fault.migrate_to_chat_id is not None:
                        parameters["migrate_to_chat_id"] = fault.migrate_to_chat_id
                    raise ApiError(
                        fault.code,
                        fault.description or _default_description(fault.code),
                        parameters or None,
                    )
            self._check_rate(method)
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            call.result = await handler(params)
            return call.result
        except ApiError as exc:
            call.error = exc
            raise

    def _check_rate(self, method: str) -> None:
        if self.rate_limit_per_second is None or not method.startswith("send"):
            return
        now = time.monotonic()
        self._sent_window = [t for t in self._sent_window if now - t < 1.0]
        if len(self._sent_window) >= self.rate_limit_per_second:
            self.too_many_requests += 1
            raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        self._sent_window.append(now)

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "UN–Tajikistan",
            "username": self.username,
        }

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            raise ApiError(400, "Bad Request: chat not found")
        try:
            cid = int(chat_id)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat_id is empty") from None
        if cid > 0:
            return {"id": cid, "type": "private", "first_name": "User"}
        for chat in self.state.chats.values():
            if chat["id"] == cid:
                return chat
        return {"id": cid, "type": "supergroup" if cid < -(10**12) else "group", "title": "Group"}

    @staticmethod
    def _check_markup(markup: Any) -> None:
        if markup is None:
            return
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise ApiError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )

    def _visible(self, text: str | None, parse_mode: str | None, limit: int) -> str:
        if not text or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        visible = html_to_text(text) if parse_mode == "HTML" else text
        if len(visible) > limit:
            raise ApiError(400, "Bad Request: message is too long")
        return visible

    def _store(
        self, chat: dict[str, Any], params: dict[str, Any], extra: dict[str, Any]
    ) -> dict[str, Any]:
        message = {
            "message_id": self._next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "from": self._bot_user(),
            **extra,
        }
        if params.get("reply_markup") and "inline_keyboard" in params["reply_markup"]:
            message["reply_markup"] = params["reply_markup"]
        self.state.messages[(chat["id"], message["message_id"])] = message
        return message

    # -- methods ----------------------------------------------------------------------------

    async def _m_getMe(self, params: dict[str, Any]) -> Any:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = params.get("offset") or 0
        limit = min(int(params.get("limit") or 100), 100)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self.state.updates = [u for u in self.state.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        while True:
            pending = [u for u in self.state.updates if u["update_id"] >= offset][:limit]
            if pending or time.monotonic() >= deadline or self._server is None:
                return pending
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), max(deadline - time.monotonic(), 0))

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    async def _m_close(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_logOut(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_sendChatAction(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params.get("chat_id"))
        visible = self._visible(params.get("text"), params.get("parse_mode"), MAX_TEXT)
        self._check_markup(params.get("reply_markup"))
        return self._store(chat, params, {"text": visible, "html": params["text"]})

    async def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        visible = self._visible(params.get("text"), params.get("parse_mode"), MAX_TEXT)
        self._check_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        message = self.state.messages.get((params.get("chat_id"), params.get("message_id")))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        if message.get("html") == params["text"] and message.get("reply_markup") == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        message.update(text=visible, html=params["text"], edit_date=int(time.time()))
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        self._check_markup(params.get("reply_markup"))
        message = self.state.messages.get((params.get("chat_id"), params.get("message_id")))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        else:
            message.pop("reply_markup", None)
        return message

    async def _m_deleteMessage(self, params: dict[str, Any]) -> Any:
        if self.state.messages.pop((params.get("chat_id"), params.get("message_id")), None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        if len(params.get("text") or "") > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    async def _m_answerInlineQuery(self, params: dict[str, Any]) -> Any:
        results = params.get("results") or []
        if len(results) > MAX_INLINE_RESULTS:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        ids = [r.get("id") for r in results]
        if len(set(ids)) != len(ids):
            raise ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
        for result in results:
            content = result.get("input_message_content") or {}
            if "message_text" in content:
                self._visible(content["message_text"], content.get("parse_mode"), MAX_TEXT)
            self._check_markup(result.get("reply_markup"))
            if not 1 <= len(str(result.get("id", "")).encode()) <= 64:
                raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
        if len((params.get("next_offset") or "").encode()) > 64:
            raise ApiError(400, "Bad Request: NEXT_OFFSET_INVALID")
        return True

    async def _m_setMyCommands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands") or []
        for command in commands:
            if not re.match(r"^[a-z0-9_]{1,32}$", command.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.state.commands[(scope, params.get("language_code") or "")] = commands
        return True

    async def _m_getMyCommands(self, params: dict[str, Any]) -> Any:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        return self.state.commands.get((scope, params.get("language_code") or ""), [])

    async def _m_deleteMyCommands(self, params: dict[str, Any]) -> Any:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.state.commands.pop((scope, params.get("language_code") or ""), None)
        return True

    async def _m_getChat(self, params: dict[str, Any]) -> Any:
        chat_id = params.get("chat_id")
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            chat = self.state.chats.get(chat_id.lower())
            if chat is None:
                raise ApiError(400, "Bad Request: chat not found")
            return {
                **chat,
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        return self._chat(chat_id)

    async def _m_getChatMember(self, params: dict[str, Any]) -> Any:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        status = self.state.members.get((chat_id, user_id), "member")
        user = (
            self._bot_user()
            if user_id == BOT_ID
            else {"id": user_id, "is_bot": False, "first_name": "User"}
        )
        member: dict[str, Any] = _member(user, status)
        if status == "administrator":
            rights = {
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_post_messages": False,
            }
            member.update(
                rights, **self.state.bot_rights.get(chat_id, {}) if user_id == BOT_ID else {}
            )
        if status == "creator":
            member["is_anonymous"] = False
        return member

    async def _send_file(self, params: dict[str, Any], kind: str) -> Any:
        chat = self._chat(params.get("chat_id"))
        upload = params.get(kind)
        if upload is None:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        caption = params.get("caption")
        if caption:
            self._visible(caption, params.get("parse_mode"), MAX_CAPTION)
        if isinstance(upload, tuple):
            filename, body = upload
            file_id = f"{kind}-{next(self._seq)}"
            if self.files_dir is not None:
                self.files_dir.mkdir(parents=True, exist_ok=True)
                path = self.files_dir / f"{file_id}-{Path(filename).name}"
                path.write_bytes(body)
                self.state.files[file_id] = path
            size = len(body)
        else:
            file_id, filename, size = str(upload), "reused", 0
        entry = {"file_id": file_id, "file_unique_id": file_id, "file_size": size}
        extra: dict[str, Any] = {"caption": caption} if caption else {}
        if kind == "photo":
            extra["photo"] = [{**entry, "width": 1280, "height": 720}]
        else:
            extra["document"] = {**entry, "file_name": filename}
        return self._store(chat, params, extra)

    async def _m_sendPhoto(self, params: dict[str, Any]) -> Any:
        return await self._send_file(params, "photo")

    async def _m_sendDocument(self, params: dict[str, Any]) -> Any:
        return await self._send_file(params, "document")


def _member(user: dict[str, Any], status: str) -> dict[str, Any]:
    member: dict[str, Any] = {"user": user, "status": status}
    if status == "kicked":
        member["until_date"] = 0
    if status == "restricted":
        member.update(until_date=0, is_member=True)
    return member


def _default_description(code: int) -> str:
    return {
        400: "Bad Request: chat not found",
        403: "Forbidden: bot was blocked by the user",
        429: "Too Many Requests: retry after 1",
        500: "Internal Server Error",
        502: "Bad Gateway",
    }.get(code, "Error")


def _decode(name: str, raw: str) -> Any:
    if name in JSON_FIELDS:
        return json.loads(raw)
    if name in INT_FIELDS and re.match(r"^-?\d+$", raw):
        return int(raw)
    if name in BOOL_FIELDS:
        return raw.lower() == "true"
    return raw


class _MethodHandler(tornado.web.RequestHandler):
    def initialize(self, api: FakeBotAPI) -> None:
        self.api = api

    async def get(self, token: str, method: str) -> None:
        await self.post(token, method)

    async def post(self, token: str, method: str) -> None:
        params: dict[str, Any] = {}
        try:
            content_type = self.request.headers.get("Content-Type", "")
            if content_type.startswith("application/json") and self.request.body:
                params = json.loads(self.request.body)
            else:
                for name, values in {
                    **self.request.query_arguments,
                    **self.request.body_arguments,
                }.items():
                    params[name] = _decode(name, values[-1].decode())
                for name, files in self.request.files.items():
                    params[name] = (files[0]["filename"], files[0]["body"])
                # attach://name references point at uploaded parts
                for name, value in list(params.items()):
                    if isinstance(value, str) and value.startswith("attach://"):
                        part = self.request.files.get(value.removeprefix("attach://"))
                        if part:
                            params[name] = (part[0]["filename"], part[0]["body"])
            result = await self.api.handle(token, method, params)
            self._reply(200, {"ok": True, "result": result})
        except ApiError as exc:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": exc.code,
                "description": exc.description,
            }
            if exc.parameters:
                body["parameters"] = exc.parameters
            self._reply(exc.code, body)
        except DropConnection:
            if self.request.connection is not None:
                self.request.connection.close()
        except (ValueError, KeyError) as exc:
            self._reply(400, {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"})

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, ensure_ascii=False))

    def log_exception(self, *args: Any) -> None:  # keep test output quiet and tokens out of logs
        pass


class _FileHandler(tornado.web.RequestHandler):
    def initialize(self, api: FakeBotAPI) -> None:
        self.api = api

    async def get(self, token: str, file_path: str) -> None:
        path = self.api.state.files.get(file_path)
        if token != self.api.token or path is None:
            self.set_status(404)
            self.finish()
            return
        self.finish(path.read_bytes())
