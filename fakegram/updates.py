"""Updates as a user's Telegram client would cause them: messages, button presses, inline
queries, membership changes; the server mixes this in."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from typing import Any

from fakegram.protocol import BOT_ID, chat_member
from fakegram.records import FakeBase, FakeUser


class UpdateFactory(FakeBase):
    _update_ids: itertools.count[int]
    _query_ids: itertools.count[int]
    _done: dict[int, asyncio.Event]

    def add_update(self, body: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self.state.updates.append({"update_id": update_id, **body})
        self._done[update_id] = asyncio.Event()
        self._new_update.set()
        return update_id

    def private_chat(self, user: FakeUser) -> dict[str, Any]:
        chat = {"id": user.id, "type": "private", "first_name": user.first_name}
        if user.username:
            chat["username"] = user.username
        return chat

    def message_update(
        self,
        user: FakeUser | None,
        text: str,
        chat: dict[str, Any] | None = None,
        *,
        reply_to: dict[str, Any] | None = None,
        kind: str = "message",
    ) -> int:
        chat = chat or (self.private_chat(user) if user else {"id": -1, "type": "channel"})
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "text": text,
        }
        if user is not None:
            message["from"] = user.to_dict()
        match = re.match(r"^/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
        if match:
            message["entities"] = [
                {
                    "type": "bot_command",
                    "offset": 0,
                    "length": len(match.group(0).encode("utf-16-le")) // 2,
                }
            ]
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return self.add_update({kind: message})

    def callback_update(self, user: FakeUser, message: dict[str, Any], data: str) -> int:
        return self.add_update(
            {
                "callback_query": {
                    "id": str(next(self._query_ids)),
                    "from": user.to_dict(),
                    "message": message,
                    "chat_instance": str(message["chat"]["id"]),
                    "data": data,
                }
            }
        )

    def member_update(self, user: FakeUser, chat: dict[str, Any], old: str, new: str) -> int:
        """The bot's own membership changed in a chat (blocked, unblocked, added, removed)."""
        bot = self._bot_user()
        return self.add_update(
            {
                "my_chat_member": {
                    "chat": chat,
                    "from": user.to_dict(),
                    "date": int(time.time()),
                    "old_chat_member": chat_member(bot, old),
                    "new_chat_member": chat_member(bot, new),
                }
            }
        )

    def group_chat(self, chat_id: int, title: str = "Test group") -> dict[str, Any]:
        return {
            "id": chat_id,
            "type": "supergroup" if chat_id < -(10**12) else "group",
            "title": title,
        }

    def add_channel(
        self, username: str, chat_id: int, title: str, *, bot_can_post: bool
    ) -> dict[str, Any]:
        chat = {"id": chat_id, "type": "channel", "title": title, "username": username.lstrip("@")}
        self.state.chats["@" + username.lstrip("@").lower()] = chat
        self.state.members[(chat_id, BOT_ID)] = "administrator" if bot_can_post else "member"
        self.state.bot_rights[chat_id] = {"can_post_messages": bot_can_post}
        return chat

    def chosen_inline_update(self, user: FakeUser, result_id: str, query: str) -> int:
        """The user picked an inline result (sent when inline feedback is on in BotFather)."""
        return self.add_update(
            {"chosen_inline_result": {"result_id": result_id, "from": user.to_dict(), "query": query}}
        )

    def inline_update(self, user: FakeUser, query: str, offset: str = "") -> int:
        return self.add_update(
            {
                "inline_query": {
                    "id": str(next(self._query_ids)),
                    "from": user.to_dict(),
                    "query": query,
                    "offset": offset,
                    "chat_type": "sender",
                }
            }
        )
