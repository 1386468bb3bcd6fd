"""How updates reach the handlers: concurrently across chats, in order within a chat, and
with their text made valid UTF-8 first.

PTB processes one update at a time by default, so a reply held by the per-group limit
(20 a minute) held up every other user; plain concurrent_updates(True) loses the order
within a chat, which conversations need. Here each chat has its own queue position: a chat
that must wait holds only itself up.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

WORKERS = 4  # updates of different chats worked on at once (more only adds contention)
SLOW_AFTER = 0.25  # seconds: an update still running then is waiting, not working
BACKLOG = 10_000  # updates accepted before the fetcher waits (PTB's own semaphore)


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Updates of one chat one after another; of different chats, up to `workers` at once.

    PTB takes its semaphore (here: `backlog`) before do_process_update; the chat's turn is
    taken before a worker slot, so a chat waiting on a limit never occupies more than one,
    and gives it back once it is plainly waiting (SLOW_AFTER).
    """

    def __init__(self, workers: int = WORKERS, backlog: int = BACKLOG) -> None:
        super().__init__(max_concurrent_updates=backlog)
        self._workers = asyncio.Semaphore(workers)
        self._chats: dict[object, asyncio.Lock] = {}
        self._waiting: dict[object, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        lock = self._chats.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await self._run(coroutine)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # nobody else queued for this chat: forget it
                del self._waiting[key]
                del self._chats[key]

    async def _run(self, coroutine: Awaitable[Any]) -> None:
        """Hold a worker slot while the update works; one still running after SLOW_AFTER
        is waiting (on a limit, the network), not working: it gives its slot back."""
        await self._workers.acquire()
        task = asyncio.ensure_future(coroutine)
        holding = True
        try:
            done, _ = await asyncio.wait({task}, timeout=SLOW_AFTER)
            if not done:
                self._workers.release()
                holding = False
            await task
        except asyncio.CancelledError:
            task.cancel()
            raise
        finally:
            if holding:
                self._workers.release()

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free."""


def _chat_key(update: object) -> object:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    if update.effective_user is not None:  # inline queries: no chat, keep a user's in order
        return ("user", update.effective_user.id)
    return None


def valid_text(update: object) -> object:
    """The update with every lone surrogate (valid JSON, invalid UTF-8: '\\udfff') replaced
    by U+FFFD, so nothing that echoes a name or a message fails to encode it."""
    if not isinstance(update, Update):
        return update
    data = update.to_dict()
    try:
        json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        cleaned = Update.de_json(_clean(data), update.get_bot())
        log.info("update_id=%s: replaced invalid text", update.update_id)
        return cleaned
    return update


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value
