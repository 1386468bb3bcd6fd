"""What the fake records: every call, the chats' messages, users, faults to inject."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fakegram.protocol import BOT_ID, ApiError


@dataclass
class Call:
    seq: int
    method: str
    params: dict[str, Any]
    at: float
    result: Any = None
    error: ApiError | None = None
    answered_at: float | None = None  # monotonic time the answer (or error) was ready


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
    lose_answer: bool = False  # do the call, then close the connection: the answer is lost
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
    # language code ("" for everyone else) → the bot's description / short description
    descriptions: dict[str, str] = field(default_factory=dict)
    short_descriptions: dict[str, str] = field(default_factory=dict)
    answered_queries: set[str] = field(default_factory=set)  # callback query ids answered


class FakeBase:
    """What the server's parts share: the recorded state, the bot's identity, message ids."""

    state: FakeAPIState
    username: str
    _message_ids: dict[int, itertools.count[int]]
    _new_update: asyncio.Event

    def _serving(self) -> bool:
        raise NotImplementedError

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
