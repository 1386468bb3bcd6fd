"""The webhook endpoint: Telegram POSTs updates here (`python -m bot webhook`).

PTB's own webhook handler reads the whole body before it checks the secret (a 50 MB body
without it took RSS from 67 to 165 MB) and answers malformed JSON, invalid UTF-8 and deep
nesting with 500 and a logged crash. This one decides from the headers first (secret, size)
and reads the body only for Telegram; a body it cannot use is a 400 and one warning line.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web
from telegram import Update
from tornado.http1connection import HTTP1Connection

from bot.callbacks import parse_int

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # bytes: a Telegram update is a few kB; the largest well under this
MAX_DEPTH = 64  # nesting of objects and arrays; updates have about ten
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookServer:
    """A tornado server on `listen:port` that puts each valid update on `app.update_queue`."""

    def __init__(self, app: Any, path: str, secret: str) -> None:
        self.app = app
        self.path = "/" + path.strip("/")
        self.secret = secret
        self._server: tornado.httpserver.HTTPServer | None = None

    async def start(self, listen: str, port: int) -> None:
        web = tornado.web.Application(
            [(self.path, _UpdateHandler, {"server": self})],
            log_function=lambda _handler: None,  # no access log
        )
        # tornado's own cap well above ours: the handler answers 413 itself
        self._server = tornado.httpserver.HTTPServer(web, max_body_size=4 * MAX_BODY)
        self._server.add_sockets(tornado.netutil.bind_sockets(port, address=listen))

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None


class BadBody(ValueError):
    pass


def parse_update(body: bytes, bot: Any) -> Update:
    """The update in `body`, or BadBody saying why not."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadBody("not UTF-8") from None
    except RecursionError:
        raise BadBody("nested too deeply") from None
    except ValueError:
        raise BadBody("not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise BadBody("not an update")
    if _depth(data) > MAX_DEPTH:
        raise BadBody("nested too deeply")
    try:
        update = Update.de_json(data, bot)
    except Exception as exc:  # fields of the wrong type: not something Telegram sent
        raise BadBody(f"not an update ({type(exc).__name__})") from None
    return update


def _depth(value: object) -> int:
    deepest, level = 0, [(value, 1)]
    while level:
        item, depth = level.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        if isinstance(item, dict):
            level.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            level.extend((v, depth + 1) for v in item)
    return deepest


@tornado.web.stream_request_body
class _UpdateHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)

    def initialize(self, server: WebhookServer) -> None:
        self.server = server
        self._chunks: list[bytes] = []
        self._size = 0
        self._refused = False

    async def prepare(self) -> None:
        """Headers only, before a byte of the body is read."""
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.server.secret.encode()):
            await self._refuse(403, "wrong or missing secret token")
            return
        length = parse_int(self.request.headers.get("Content-Length"))
        if length is not None and length > MAX_BODY:
            await self._refuse(413, "body too large")
            return
        if isinstance(self.request.connection, HTTP1Connection):
            self.request.connection.set_max_body_size(2 * MAX_BODY)  # ours cuts at MAX_BODY

    def data_received(self, chunk: bytes) -> None:
        if self._refused:
            return
        self._size += len(chunk)
        if self._size > MAX_BODY:  # a chunked body without a length
            self._refused = True
            self.set_status(413)
            self.finish()
            self._close()
            return
        self._chunks.append(chunk)

    async def post(self) -> None:
        if self._refused:
            return
        try:
            update = parse_update(b"".join(self._chunks), self.server.app.bot)
        except BadBody as exc:
            log.warning("webhook: refused a body (%s)", exc)
            self.set_status(400)
            self.finish()
            return
        await self.server.app.update_queue.put(update)
        self.set_status(200)
        self.finish()

    async def _refuse(self, status: int, why: str) -> None:
        self._refused = True
        log.warning("webhook: refused a request: %s", why)
        self.set_status(status)
        await self.finish()
        self._close()  # the rest of the body is never read

    def _close(self) -> None:
        if isinstance(self.request.connection, HTTP1Connection):
            self.request.connection.close()

    def log_exception(self, *args: Any) -> None:  # a bad request is not a crash of ours
        pass


async def serve(
    app: Any,
    *,
    listen: str,
    port: int,
    url: str,
    path: str,
    secret: str,
    allowed_updates: list[str],
) -> None:
    """Run the bot with this webhook until SIGTERM or SIGINT (what run_webhook did, with
    this server in place of PTB's)."""
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        server = WebhookServer(app, path, secret)
        await server.start(listen, port)
        try:
            await app.bot.set_webhook(url, secret_token=secret, allowed_updates=allowed_updates)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            await stop.wait()
        finally:
            await server.stop()
            await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
