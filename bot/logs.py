"""Logging: one line per event, key=value or JSON, and never the bot token.

The token travels inside every Bot API URL, so httpx request logs, PTB's network errors
and tracebacks would all carry it. Redacting the *formatted* line (message, arguments
and traceback together) is the one place that covers them all. Each line also carries
the update being handled (update id, user id, handler) from context variables set by
the bot's first and per-handler hooks.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import sys
from typing import TextIO

REDACTED = "[TOKEN]"
# Anything shaped like a bot token, even one we were not told about (e.g. a typo'd one).
TOKEN_SHAPE = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{30,64}")
FORMATS = ("text", "json")

update_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "update_id", default=None
)
user_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("user_id", default=None)
handler_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("handler", default=None)


def _quote(value: object) -> str:
    text = str(value)
    if text == "" or any(c in text for c in ' ="\n'):
        return json.dumps(text, ensure_ascii=False)
    return text


class RedactingFormatter(logging.Formatter):
    """key=value (text) or JSON lines, with the token removed from the whole line."""

    def __init__(self, secrets: tuple[str, ...] = (), fmt: str = "text") -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)
        self._json = fmt == "json"

    def _fields(self, record: logging.LogRecord) -> dict[str, object]:
        fields: dict[str, object] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, var in (
            ("update_id", update_id_var),
            ("user_id", user_id_var),
            ("handler", handler_var),
        ):
            value = var.get()
            if value is not None:
                fields[key] = value
        if record.exc_info:
            fields["exc"] = self.formatException(record.exc_info)
        return fields

    def format(self, record: logging.LogRecord) -> str:
        fields = self._fields(record)
        if self._json:
            text = json.dumps(fields, ensure_ascii=False, default=str)
        else:
            exc = fields.pop("exc", None)
            text = " ".join(f"{key}={_quote(value)}" for key, value in fields.items())
            if exc:
                text += " exc=" + json.dumps(exc, ensure_ascii=False)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return TOKEN_SHAPE.sub(REDACTED, text)


def setup_logging(
    level: int, secrets: tuple[str, ...] = (), stream: TextIO | None = None, fmt: str = "text"
) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter(secrets, fmt))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # One line per HTTP request is noise at INFO and carries the URL; keep it for DEBUG.
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))
    logging.getLogger("tornado.access").setLevel(max(level, logging.WARNING))
