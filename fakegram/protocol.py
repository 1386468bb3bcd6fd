"""What the fake Bot API shares with every part of it: the bot it plays, Telegram's limits,
how parameters arrive over HTTP, and the two ways a call can fail."""

from __future__ import annotations

import json
import re
from typing import Any

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


def chat_member(user: dict[str, Any], status: str) -> dict[str, Any]:
    member: dict[str, Any] = {"user": user, "status": status}
    if status == "kicked":
        member["until_date"] = 0
    if status == "restricted":
        member.update(until_date=0, is_member=True)
    return member


def default_description(code: int) -> str:
    return {
        400: "Bad Request: chat not found",
        403: "Forbidden: bot was blocked by the user",
        429: "Too Many Requests: retry after 1",
        500: "Internal Server Error",
        502: "Bad Gateway",
    }.get(code, "Error")


def decode(name: str, raw: str) -> Any:
    if name in JSON_FIELDS:
        return json.loads(raw)
    if name in INT_FIELDS and re.match(r"^-?\d+$", raw):
        return int(raw)
    if name in BOOL_FIELDS:
        return raw.lower() == "true"
    return raw
