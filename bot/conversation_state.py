"""Staff conversations (/post, /channel) that any instance can continue.

PTB keeps a ConversationHandler's state in the process's memory, so behind several webhook
workers the next message of a conversation, landing on another worker, would find none.
With a shared database the state of the user's conversations is read before each update
and written back after it (bot.storage.conversations); with SQLite's one process the
memory is the truth and nothing is read or written.

PTB offers no public per-update hook into that state (its persistence is read once at
start): this module is the one place that touches ConversationHandler._conversations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import ConversationHandler

from bot.storage.connection import now

if TYPE_CHECKING:
    from bot.context import BotContext

TIMEOUT_SLACK = 5  # seconds: a timeout job may fire this early against the stored time

Handler = ConversationHandler[Any]


def _key(update: Update) -> tuple[int, int] | None:
    if update.effective_chat is None or update.effective_user is None:
        return None
    return update.effective_chat.id, update.effective_user.id


def _timeout(handler: Handler) -> float | None:
    timeout = handler.conversation_timeout
    if isinstance(timeout, dt.timedelta):
        return timeout.total_seconds()
    return float(timeout) if timeout else None


class SharedConversations:
    def __init__(self, handlers: Sequence[tuple[str, Handler]]) -> None:
        for name, handler in handlers:
            if not (handler.per_chat and handler.per_user and not handler.per_message):
                raise ValueError(f"conversation {name!r}: only per chat and user can be shared")
        self._handlers = tuple(handlers)

    async def load(self, update: Update, context: BotContext) -> None:
        """Before the update: the stored state of this user's conversations in this chat."""
        db = context.services.db
        key = _key(update)
        if not db.shared or key is None or not self._handlers:
            return
        stored = await db.conversations.of(*key)
        loaded: dict[str, object] = {}
        for name, handler in self._handlers:
            state, updated_at = stored.get(name, (None, 0))
            timeout = _timeout(handler)
            if state is not None and timeout and updated_at < now() - timeout - TIMEOUT_SLACK:
                await db.conversations.end(name, *key)  # its instance went before it expired
                state = None
            if state is None:
                handler._conversations.pop(key, None)
            else:
                handler._conversations[key] = state
                loaded[name] = state
        context.conversation_states = loaded

    async def save(self, update: Update, context: BotContext) -> None:
        """After the update: what it changed (every step of an open one, for its time)."""
        db = context.services.db
        key = _key(update)
        if not db.shared or key is None:
            return
        loaded = context.conversation_states or {}
        for name, handler in self._handlers:
            state = handler._conversations.get(key)
            if state is not None and not isinstance(state, (int, str)):
                continue  # a non-blocking step still running: its end is saved next time
            if state is not None:
                await db.conversations.put(name, *key, state)
            elif name in loaded:
                await db.conversations.end(name, *key)

    async def timed_out(self, update: Update, context: BotContext, name: str) -> bool:
        """This process's timeout fired: was the conversation really left alone that long?
        On a shared database it may have gone on, or ended, on another instance."""
        db = context.services.db
        key = _key(update)
        if not db.shared or key is None:
            return True
        handler = dict(self._handlers).get(name)
        timeout = _timeout(handler) if handler is not None else None
        if timeout is None:
            return True
        return await db.conversations.end(
            name, *key, idle_since=now() - int(timeout) + TIMEOUT_SLACK
        )


async def timed_out(update: Update, context: BotContext, name: str) -> bool:
    """For a conversation's TIMEOUT handler: act only if it really timed out."""
    shared = context.services.conversations
    return shared is None or await shared.timed_out(update, context, name)
