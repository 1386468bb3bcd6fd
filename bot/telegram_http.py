"""PTB's HTTP layer on aiohttp, with JSON bodies written by orjson.

PTB's own HTTPXRequest URL-encodes every call in pure Python (httpx, httpcore, h11, anyio):
0.9-2.4 ms of CPU per request here, half of a bare echo bot's CPU. This class sends the same
calls as JSON (multipart/form-data only when files go along) at ~0.15 ms per request, and maps
timeouts and network errors to the same PTB exceptions as HTTPXRequest, so the code that
handles them (bot/delivery.py, PTB's updater and rate limiter) sees no difference.
"""

from __future__ import annotations

import asyncio
import urllib.request
from typing import Any

import aiohttp
import orjson
import yarl
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import JSONDict, ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

POOL_TIMEOUT_MESSAGE = (  # HTTPXRequest's words, so logs read the same with either backend
    "Pool timeout: All connections in the connection pool are occupied. Request was *not* sent "
    "to Telegram. Consider adjusting the connection pool size or the pool timeout."
)


class AiohttpRequest(BaseRequest):
    """A BaseRequest on one aiohttp session with a keep-alive pool of `connection_pool_size`.

    The arguments and their defaults are HTTPXRequest's. The pool timeout is ours (a semaphore
    in front of aiohttp's pool, so that a full pool raises TimedOut like httpx's PoolTimeout).
    aiohttp has no write timeout: writing the body is bounded by a deadline on the whole
    exchange (connect + write + read), which never fires earlier than httpx's would.
    """

    __slots__ = (
        "_closed",
        "_connect_timeout",
        "_media_write_timeout",
        "_pool",
        "_pool_size",
        "_pool_timeout",
        "_proxies",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._pool = asyncio.Semaphore(connection_pool_size)
        # Built on first use, inside the event loop that will run it (aiohttp requires that).
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._proxies: dict[tuple[str, str | None], str | None] = {}  # (scheme, host) → proxy

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    def _build_session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._pool_size, limit_per_host=0, keepalive_timeout=30
        )
        # Not trust_env: aiohttp would then look up the proxy and ~/.netrc in a thread for
        # every request (two thread hops each); _target looks the proxy up once per URL.
        return aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": self.USER_AGENT},
            cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets no cookies
            timeout=aiohttp.ClientTimeout(total=None),
        )

    def _target(self, url: str) -> tuple[yarl.URL, str | None]:
        """The URL parsed (aiohttp would parse it anyway), and the proxy the environment names
        for its host (HTTPS_PROXY, ALL_PROXY, NO_PROXY …, as httpx reads them), looked up once
        per host."""
        target = yarl.URL(url)
        key = (target.scheme, target.host)
        if key not in self._proxies:
            self._proxies[key] = _env_proxy(target)
        return target, self._proxies[key]

    @staticmethod
    def parse_json_payload(payload: bytes) -> JSONDict:
        """orjson where it can; PTB's own parser (invalid UTF-8 replaced, lone surrogates kept,
        TelegramError for what is no JSON) for whatever orjson refuses."""
        try:
            result = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return BaseRequest.parse_json_payload(payload)
        if not isinstance(result, dict):  # what PTB's parser would return, and fail on later
            return BaseRequest.parse_json_payload(payload)
        return result

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = self._build_session()
            self._pool = asyncio.Semaphore(self._pool_size)  # bound to this loop on first wait
        self._closed = False

    async def shutdown(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        if self._session is None:
            self._session = self._build_session()
        session = self._session
        files = request_data is not None and request_data.contains_files
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write = self._media_write_timeout if files else self._write_timeout
        else:
            write = write_timeout
        # Built before waiting for the pool: a body that cannot be encoded fails right here.
        body, headers = _body(request_data)
        phases = (read, write, connect)
        total = None if any(t is None for t in phases) else sum(t or 0.0 for t in phases)
        timeout = aiohttp.ClientTimeout(
            total=total, connect=connect, sock_connect=connect, sock_read=read
        )
        await self._acquire(pool)
        try:
            target, proxy = self._target(url)
            async with session.request(
                method,
                target,
                data=body,
                headers=headers,
                proxy=proxy,
                timeout=timeout,
                allow_redirects=False,  # httpx does not follow redirects either
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's connect, socket-read and total timeouts
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc
        finally:
            self._pool.release()

    async def _acquire(self, pool_timeout: float | None) -> None:
        if not self._pool.locked():
            await self._pool.acquire()  # free: no wait, no timer
            return
        try:
            async with asyncio.timeout(pool_timeout):
                await self._pool.acquire()
        except TimeoutError as exc:
            raise TimedOut(message=POOL_TIMEOUT_MESSAGE) from exc


def _env_proxy(url: yarl.URL) -> str | None:
    proxies = urllib.request.getproxies()
    proxy = proxies.get(url.scheme) or proxies.get("all")
    if proxy is None or (url.host and urllib.request.proxy_bypass(url.host)):
        return None
    return proxy


def _body(request_data: RequestData | None) -> tuple[Any, dict[str, str] | None]:
    """JSON for plain calls; multipart/form-data (fields and files) when files go along."""
    if request_data is None:
        return None, None
    if not request_data.contains_files:
        parameters = request_data.parameters
        if not parameters:
            return None, None
        return dumps(parameters), {"Content-Type": "application/json"}
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.parameters.items():
        form.add_field(name, _text(value) if isinstance(value, str) else dumps(value).decode())
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form, None


def dumps(value: Any) -> bytes:
    """orjson, except that lone surrogates become U+FFFD instead of an error.

    A lone surrogate (from a truncated emoji in an update, say) cannot be encoded as UTF-8:
    orjson refuses it, httpx failed on it while URL-encoding. Telegram would show U+FFFD for
    invalid text anyway; sending the rest of the message is better than not sending it.
    """
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return orjson.dumps(_without_surrogates(value))


def _text(value: str) -> str:
    try:
        value.encode()
    except UnicodeEncodeError:
        return str(_without_surrogates(value))
    return value


def _without_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        # A valid high+low pair stored as two code points becomes the one character it means.
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_surrogates(v) for v in value]
    return value
