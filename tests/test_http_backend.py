"""The aiohttp backend (bot/telegram_http.py) against PTB's own HTTPXRequest.

Both talk to the same fake Bot API answering with the same injected faults; for each, the
backend must raise the very exception HTTPXRequest raises, because bot/delivery.py, PTB's
updater and its rate limiter decide what to do by the exception alone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.health import ApiStatus, TrackingRequest
from bot.telegram_http import AiohttpRequest, _body
from fakegram.harness import Harness
from fakegram.protocol import FAKE_TOKEN
from fakegram.server import FakeBotAPI

Backend = Callable[..., BaseRequest]
BACKENDS: dict[str, Backend] = {"httpx": HTTPXRequest, "aiohttp": AiohttpRequest}
CHAT = 4242


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    server = FakeBotAPI()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def make_bot(url: str, request: BaseRequest) -> Bot:
    return Bot(
        FAKE_TOKEN,
        base_url=f"{url}/bot",
        base_file_url=f"{url}/file/bot",
        request=request,
        get_updates_request=request,
    )


async def outcome(
    api: FakeBotAPI, backend: Backend, inject: Callable[[FakeBotAPI], Any], **options: Any
) -> TelegramError | None:
    """What one sendMessage raises through `backend` when the server answers as injected."""
    request = backend(**options)
    bot = make_bot(api.url, request)
    await request.initialize()
    try:
        inject(api)
        await bot.send_message(CHAT, "Салом")
    except TelegramError as exc:
        return exc
    finally:
        await request.shutdown()
    return None


def describe(exc: TelegramError | None) -> tuple[Any, ...]:
    """What the bot's code can look at: the class, the message and the parameters."""
    if exc is None:
        return (None,)
    return (
        type(exc),
        exc.message,
        getattr(exc, "retry_after", None),
        getattr(exc, "new_chat_id", None),
    )


FAULTS: dict[str, tuple[Callable[[FakeBotAPI], Any], type[TelegramError] | None]] = {
    "ok": (lambda api: None, None),
    "429": (lambda api: api.fail("sendMessage", 429, retry_after=7), RetryAfter),
    "403": (lambda api: api.fail("sendMessage", 403), Forbidden),
    "400": (lambda api: api.fail("sendMessage", 400, "Bad Request: chat not found"), BadRequest),
    "migrated": (
        lambda api: api.fail(
            "sendMessage", 400, "Bad Request: group upgraded", migrate_to_chat_id=-1009
        ),
        ChatMigrated,
    ),
    "500": (lambda api: api.fail("sendMessage", 500), NetworkError),
    "502": (lambda api: api.fail("sendMessage", 502), NetworkError),
    "dropped": (lambda api: api.fail("sendMessage", drop=True), NetworkError),
    "slow": (lambda api: api.fail("sendMessage", delay=1.0), TimedOut),
}

TRANSPORT_FAULTS = {"dropped", "slow"}


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_same_exception_as_httpx_for_the_same_answer(api: FakeBotAPI, fault: str) -> None:
    inject, expected = FAULTS[fault]
    seen = {
        name: await outcome(api, backend, inject, read_timeout=0.3)
        for name, backend in BACKENDS.items()
    }
    got = seen["aiohttp"]
    assert type(got) is (type(None) if expected is None else expected), got
    if fault in TRANSPORT_FAULTS:  # the message names the library: "httpx.…", "aiohttp.…"
        assert type(got) is type(seen["httpx"])
    else:  # the message and parameters are the server's
        assert describe(got) == describe(seen["httpx"])
    if fault == "429":
        assert isinstance(got, RetryAfter)
        assert got.retry_after in (7, dt.timedelta(seconds=7))
    if fault == "migrated":
        assert isinstance(got, ChatMigrated) and got.new_chat_id == -1009


@pytest.mark.parametrize("name", list(BACKENDS))
async def test_a_refused_connection_is_a_network_error(name: str) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    request = BACKENDS[name]()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await make_bot(url, request).send_message(CHAT, "hi")
    finally:
        await request.shutdown()
    assert type(raised.value) is NetworkError  # not TimedOut, its subclass


@pytest.mark.parametrize("name", list(BACKENDS))
async def test_per_call_timeouts_override_the_defaults(api: FakeBotAPI, name: str) -> None:
    request = BACKENDS[name](read_timeout=5.0)
    bot = make_bot(api.url, request)
    await request.initialize()
    try:
        api.fail("sendMessage", delay=0.6)
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT, "hi", read_timeout=0.2)
        api.fail("sendMessage", delay=0.3)
        assert (await bot.send_message(CHAT, "hi")).text == "hi"  # the default: 5 s
    finally:
        await request.shutdown()


@pytest.mark.parametrize("name", list(BACKENDS))
async def test_a_full_pool_times_out_without_sending(api: FakeBotAPI, name: str) -> None:
    request = BACKENDS[name](connection_pool_size=1, pool_timeout=0.2)
    bot = make_bot(api.url, request)
    await request.initialize()
    try:
        api.fail("sendMessage", delay=1.0, when=lambda p: p["text"] == "slow")
        slow = asyncio.create_task(bot.send_message(CHAT, "slow"))
        await api.wait_for_call(lambda c: c.method == "sendMessage")
        with pytest.raises(TimedOut, match="Pool timeout"):
            await bot.send_message(CHAT, "waits for the pool")
        assert (await slow).text == "slow"
        assert [c.params["text"] for c in api.calls("sendMessage")] == ["slow"]
    finally:
        await request.shutdown()


async def test_long_polling_waits_for_the_poll_timeout_not_the_read_timeout(
    api: FakeBotAPI,
) -> None:
    """PTB adds getUpdates' timeout to the read timeout; the backend must honour the sum."""
    request = AiohttpRequest(connection_pool_size=2, read_timeout=0.3)
    bot = make_bot(api.url, request)
    await request.initialize()
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await bot.get_updates(timeout=1) == ()
        assert loop.time() - started >= 0.9
        api.fail("getUpdates", delay=2.0)
        with pytest.raises(TimedOut):
            await bot.get_updates(timeout=1)
    finally:
        await request.shutdown()


async def test_files_go_as_multipart_and_arrive_whole(api: FakeBotAPI) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 400
    ics = "BEGIN:VCALENDAR\r\nSUMMARY:Тоҷикистон\r\nEND:VCALENDAR\r\n".encode()
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Ҳа", callback_data="yes")]])
    async with AiohttpRequest() as request:
        bot = make_bot(api.url, request)
        photo = await bot.send_photo(
            CHAT,
            png,
            caption="<b>Хронология</b>",
            parse_mode="HTML",
            filename="timeline-tg.png",
            reply_markup=markup,
        )
        document = await bot.send_document(CHAT, ics, filename="anniversaries-ru.ics")
    sent_photo, sent_document = api.calls("sendPhoto")[-1], api.calls("sendDocument")[-1]
    assert sent_photo.params["photo"] == ("timeline-tg.png", png)
    assert sent_photo.params["caption"] == "<b>Хронология</b>"
    assert sent_photo.params["reply_markup"] == markup.to_dict()
    assert sent_photo.params["chat_id"] == CHAT
    assert photo.photo
    assert sent_document.params["document"] == ("anniversaries-ru.ics", ics)
    assert document.document is not None and document.document.file_name == "anniversaries-ru.ics"


async def test_plain_calls_go_as_json(api: FakeBotAPI) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Бале", callback_data="ok")]])
    async with AiohttpRequest() as request:
        await make_bot(api.url, request).send_message(CHAT, "Рӯйхат", reply_markup=markup)
    call = api.calls("sendMessage")[-1]
    assert call.params["reply_markup"] == markup.to_dict()  # a JSON object, not a string in it
    body, headers = _body_of(call.params)
    assert headers == {"Content-Type": "application/json"}
    assert "Рӯйхат".encode() in body  # UTF-8 as it is, no escaping, no URL-encoding


def _body_of(params: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    from telegram.request import RequestData
    from telegram.request._requestparameter import RequestParameter

    data = RequestData([RequestParameter.from_input(k, v) for k, v in params.items()])
    body, headers = _body(data)
    assert isinstance(body, bytes) and headers is not None
    return body, headers


async def test_lone_surrogates_become_replacement_characters(api: FakeBotAPI) -> None:
    """A truncated emoji must not make the message unsendable (orjson and UTF-8 refuse it)."""
    async with AiohttpRequest() as request:
        bot = make_bot(api.url, request)
        await bot.send_message(CHAT, "cut \ud83d here, whole \ud83d\ude00 there")
        await bot.send_photo(CHAT, b"\x89PNG", caption="caption \udc00", filename="p.png")
    assert api.calls("sendMessage")[-1].params["text"] == "cut \ufffd here, whole 😀 there"
    assert api.calls("sendPhoto")[-1].params["caption"] == "caption \ufffd"


async def test_the_health_tracker_notes_every_answer_but_server_errors(api: FakeBotAPI) -> None:
    status = ApiStatus()
    async with TrackingRequest(status) as request:
        bot = make_bot(api.url, request)
        api.fail("sendMessage", 502)
        with pytest.raises(NetworkError):
            await bot.send_message(CHAT, "hi")
        assert status.last_ok is None
        api.fail("sendMessage", 403)
        with pytest.raises(Forbidden):
            await bot.send_message(CHAT, "hi")
        assert status.last_ok is not None


async def test_the_bot_and_its_sender_use_the_backend(harness: Harness) -> None:
    app = harness.app
    assert app is not None
    requests = [app.bot.request, app.bot._request[0], harness.services.sender.bot.request]
    assert all(isinstance(r, TrackingRequest) for r in requests)
    assert harness.app.bot_data["api_status"].last_ok is not None  # getMe, getUpdates answered


def test_the_proxy_comes_from_the_environment_as_for_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(key, raising=False)
    request = AiohttpRequest()
    url = f"https://api.telegram.org/bot{FAKE_TOKEN}/getMe"
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert request._target(url)[1] == "http://proxy.example:3128"
    monkeypatch.setenv("NO_PROXY", "api.telegram.org")
    assert AiohttpRequest()._target(url)[1] is None


def test_answers_parse_as_with_ptbs_own_parser() -> None:
    answers = [
        b'{"ok": true, "result": {"text": "\\u0421\\u0430\\u043b\\u043e\\u043c"}}',
        '{"ok": true, "result": {"text": "Салом 😀"}}'.encode(),
        b'{"ok": true, "result": {"text": "cut \\ud83d"}}',  # orjson refuses a lone surrogate
        b'{"ok": true, "result": {"text": "bad \xff utf-8"}}',
        b'{"ok": true, "result": [1, 2.5, null, false]}',
    ]
    for answer in answers:
        assert AiohttpRequest.parse_json_payload(answer) == BaseRequest.parse_json_payload(answer)
    with pytest.raises(TelegramError, match="Invalid server response"):
        AiohttpRequest.parse_json_payload(b"<html>502 Bad Gateway</html>")
