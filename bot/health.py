"""What a health probe needs to know: is the Bot API answering, is the bot's loop alive."""

from __future__ import annotations

import time
from typing import Any

from bot.telegram_http import AiohttpRequest

HEARTBEAT_EVERY = 5.0  # seconds between status writes (and database-file checks)
STALE_AFTER = 120.0  # a heartbeat older than this means the bot is not running
STALL_AFTER = 120.0  # a due push waiting this long, and nothing finished meanwhile: stuck


class ApiStatus:
    last_ok: float | None = None


class TrackingRequest(AiohttpRequest):
    """The bot's Bot API client (bot/telegram_http.py) that remembers when the Bot API last
    answered (any non-5xx answer)."""

    def __init__(self, status: ApiStatus, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._status = status

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code < 500:
            self._status.last_ok = time.time()
        return code, payload


def verdict(report: dict[str, Any], now: float) -> tuple[bool, list[str]]:
    """Healthy or not, and why not: for `python -m bot health` and the Docker HEALTHCHECK."""
    problems = []
    if report.get("content_items", 0) == 0:
        problems.append("no content loaded")
    heartbeat = float(report.get("heartbeat", 0))
    if now - heartbeat > STALE_AFTER:
        problems.append(f"no heartbeat for {int(now - heartbeat)} s: the bot is not running")
    last_api = float(report.get("last_api_ok", 0))
    if now - last_api > STALE_AFTER:
        problems.append(f"no successful Bot API call for {int(now - last_api)} s")
    if report.get("sender_running") == "0":
        problems.append("the outbox sender is not running: no pushes go out")
    if report.get("sender_error"):
        problems.append(f"the outbox sender cannot use the database: {report['sender_error']}")
    oldest_due = report.get("outbox_oldest_due")
    progress = float(report.get("sender_progress", now))
    if oldest_due and now - float(oldest_due) > STALL_AFTER and now - progress > STALL_AFTER:
        problems.append(
            f"the outbox is not draining: a push due {int(now - float(oldest_due))} s ago, "
            f"nothing delivered for {int(now - progress)} s"
        )
    return not problems, problems
