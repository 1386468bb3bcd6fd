"""Who the user is to us: their language, remembered without a database read per update,
and their visit recorded at most once a minute rather than on every update (measured:
the per-update write was the largest cost of an update besides its reply)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from bot.i18n import resolve_language
from bot.storage import Database

CACHE_SIZE = 50_000
VISIT_EVERY = 60.0  # seconds: last_seen_at is this precise


class Users:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._languages: OrderedDict[int, str] = OrderedDict()
        self._known_chats: set[int] = set()
        self._visits: dict[int, tuple[float, str | None]] = {}
        self.on_new: Callable[[], object] | None = None  # a user's first visit (counted)

    def _remember(self, user_id: int, lang: str) -> str:
        self._languages[user_id] = lang
        self._languages.move_to_end(user_id)
        if len(self._languages) > CACHE_SIZE:
            self._languages.popitem(last=False)
        return lang

    async def seen(self, user_id: int, telegram_language: str | None) -> str:
        """Record the visit (at most once a minute) and return the language to answer in."""
        now = time.monotonic()
        cached = self._languages.get(user_id)
        visit = self._visits.get(user_id)
        if cached and visit and now - visit[0] < VISIT_EVERY and visit[1] == telegram_language:
            return cached
        user = await self._db.chats.seen_user(user_id, telegram_language)
        if user.new and self.on_new is not None:
            self.on_new()
        if len(self._visits) > CACHE_SIZE:
            self._visits.clear()
        self._visits[user_id] = (now, telegram_language)
        return self._remember(user_id, resolve_language(user.chosen_language, telegram_language))

    def forget(self, user_id: int) -> None:
        """The chat blocked us: its next message must be recorded (it unblocks it)."""
        self._visits.pop(user_id, None)

    def drop(self, user_id: int) -> None:
        """The user was forgotten (/forget): next time they are a stranger again."""
        self._visits.pop(user_id, None)
        self._languages.pop(user_id, None)

    async def language(self, user_id: int | None, telegram_language: str | None = None) -> str:
        if user_id is None:
            return resolve_language(None, telegram_language)
        cached = self._languages.get(user_id)
        if cached:
            return cached
        user = await self._db.chats.get_user(user_id)
        chosen = user.chosen_language if user else None
        return resolve_language(chosen, telegram_language)

    async def choose_language(self, user_id: int, lang: str) -> str:
        """For a user, or (by chat id) a group or channel."""
        await self._db.changes.set_language(user_id, lang)
        return self._remember(user_id, lang)

    async def group_language(self, chat_id: int, kind: str, title: str | None) -> str | None:
        """The language a group's admins chose (None: answer each member in theirs)."""
        if chat_id in self._languages:
            return self._languages[chat_id]
        if chat_id not in self._known_chats:
            await self._db.chats.register_chat(chat_id, kind, title)
            self._known_chats.add(chat_id)
        chosen = await self._db.chats.chat_language(chat_id)
        if chosen:
            self._remember(chat_id, chosen)
        return chosen
