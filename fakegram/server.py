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
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web
from tornado.http1connection import HTTP1Connection

from fakegram.methods import BotMethods
from fakegram.protocol import (
    FAKE_TOKEN,
    LOOPBACK,
    ApiError,
    DropConnection,
    decode,
    default_description,
)
from fakegram.records import Call, FakeAPIState, Fault
from fakegram.updates import UpdateFactory


class FakeBotAPI(UpdateFactory, BotMethods):
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
        self.lost_answers = 0  # calls done whose answer the bot never got (lose_answer)

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

    def too_many_requests_windows(self) -> list[tuple[float, float]]:
        """(start, end) of every 429 answered: from the answer until retry_after is over."""
        windows = []
        for call in self.state.calls:
            error = call.error
            if error is not None and error.code == 429 and call.answered_at is not None:
                wait = float((error.parameters or {}).get("retry_after") or 0)
                windows.append((call.answered_at, call.answered_at + wait))
        return windows

    def sends_inside_429_windows(self, on_the_wire: float = 0.0) -> list[Call]:
        """Sends that reached the server while Telegram had said "wait": each one a flood
        wait ignored (Telegram escalates those). `on_the_wire`: seconds after the 429 during
        which an arrival is a send already under way when the 429 was answered, which no
        client can take back (at 400 sends a second, a few arrive within 3 ms)."""
        windows = self.too_many_requests_windows()
        return [
            c
            for c in self.state.calls
            if c.method.startswith("send")
            and any(start + on_the_wire < c.at < end for start, end in windows)
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
            if fault is not None and fault.lose_answer:
                handler = getattr(self, f"_m_{method}")
                call.result = await handler(params)
                self.lost_answers += 1
                raise DropConnection
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
                        fault.description or default_description(fault.code),
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
        finally:
            call.answered_at = time.monotonic()

    def _check_rate(self, method: str) -> None:
        if self.rate_limit_per_second is None or not method.startswith("send"):
            return
        now = time.monotonic()
        self._sent_window = [t for t in self._sent_window if now - t < 1.0]
        if len(self._sent_window) >= self.rate_limit_per_second:
            self.too_many_requests += 1
            raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        self._sent_window.append(now)

    def _serving(self) -> bool:
        return self._server is not None


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
                    params[name] = decode(name, values[-1].decode())
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
            if isinstance(self.request.connection, HTTP1Connection):
                self.request.connection.close()
        except (ValueError, KeyError) as exc:
            self._reply(400, {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"})

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        text = json.dumps(body, ensure_ascii=False)
        try:
            self.finish(text.encode())
        except UnicodeEncodeError:  # a lone surrogate: Telegram sends it escaped ("\udfff")
            self.finish(json.dumps(body))

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
