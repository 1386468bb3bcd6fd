"""Logging set-up that can never leak the bot token.

The token travels inside every Bot API URL, so httpx request logs, PTB's network errors
and tracebacks would all carry it. Redacting the *formatted* record (message, arguments
and traceback text together) is the one place that covers them all.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

REDACTED = "[TOKEN]"
# Anything shaped like a bot token, even one we were not told about (e.g. a typo'd one).
TOKEN_SHAPE = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{30,64}")


class RedactingFormatter(logging.Formatter):
    def __init__(self, secrets: tuple[str, ...] = (), fmt: str | None = None) -> None:
        super().__init__(fmt or "%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return TOKEN_SHAPE.sub(REDACTED, text)


def setup_logging(level: int, secrets: tuple[str, ...] = (), stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # One line per HTTP request is noise at INFO and carries the URL; keep it for DEBUG.
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))
