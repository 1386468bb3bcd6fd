"""The Bot API methods the bot calls, answered as Telegram answers them (with its checks and
limits); the server mixes this in."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from pathlib import Path
from typing import Any

from fakegram.protocol import (
    BOT_ID,
    MAX_CALLBACK_DATA,
    MAX_CAPTION,
    MAX_INLINE_RESULTS,
    MAX_TEXT,
    ApiError,
    chat_member,
)
from fakegram.records import FakeBase
from fakegram.telegram_html import html_to_text


class BotMethods(FakeBase):
    files_dir: Path | None
    _seq: itertools.count[int]

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            raise ApiError(400, "Bad Request: chat not found")
        try:
            cid = int(chat_id)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat_id is empty") from None
        if cid > 0:
            return {"id": cid, "type": "private", "first_name": "User"}
        for chat in self.state.chats.values():
            if chat["id"] == cid:
                return chat
        return {"id": cid, "type": "supergroup" if cid < -(10**12) else "group", "title": "Group"}

    @staticmethod
    def _check_markup(markup: Any) -> None:
        if markup is None:
            return
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise ApiError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )

    def _visible(self, text: str | None, parse_mode: str | None, limit: int) -> str:
        if not text or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        visible = html_to_text(text) if parse_mode == "HTML" else text
        if len(visible) > limit:
            raise ApiError(400, "Bad Request: message is too long")
        return visible

    def _store(
        self, chat: dict[str, Any], params: dict[str, Any], extra: dict[str, Any]
    ) -> dict[str, Any]:
        message = {
            "message_id": self._next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "from": self._bot_user(),
            **extra,
        }
        if params.get("reply_markup") and "inline_keyboard" in params["reply_markup"]:
            message["reply_markup"] = params["reply_markup"]
        self.state.messages[(chat["id"], message["message_id"])] = message
        return message

    # -- methods ----------------------------------------------------------------------------

    async def _m_getMe(self, params: dict[str, Any]) -> Any:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = params.get("offset") or 0
        limit = min(int(params.get("limit") or 100), 100)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self.state.updates = [u for u in self.state.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        while True:
            pending = [u for u in self.state.updates if u["update_id"] >= offset][:limit]
            if pending or time.monotonic() >= deadline or not self._serving():
                return pending
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), max(deadline - time.monotonic(), 0))

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    async def _m_close(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_logOut(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_sendChatAction(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params.get("chat_id"))
        visible = self._visible(params.get("text"), params.get("parse_mode"), MAX_TEXT)
        self._check_markup(params.get("reply_markup"))
        return self._store(chat, params, {"text": visible, "html": params["text"]})

    async def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        visible = self._visible(params.get("text"), params.get("parse_mode"), MAX_TEXT)
        self._check_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        message = self.state.messages.get(_message_key(params))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        if message.get("html") == params["text"] and message.get("reply_markup") == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        message.update(text=visible, html=params["text"], edit_date=int(time.time()))
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        self._check_markup(params.get("reply_markup"))
        message = self.state.messages.get(_message_key(params))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        else:
            message.pop("reply_markup", None)
        return message

    async def _m_deleteMessage(self, params: dict[str, Any]) -> Any:
        if self.state.messages.pop(_message_key(params), None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        if len(params.get("text") or "") > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        query_id = str(params.get("callback_query_id") or "")
        if not query_id or query_id in self.state.answered_queries:
            # Telegram takes one answer per query; the second (and its alert) is refused.
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self.state.answered_queries.add(query_id)
        return True

    async def _m_answerInlineQuery(self, params: dict[str, Any]) -> Any:
        results = params.get("results") or []
        if len(results) > MAX_INLINE_RESULTS:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        ids = [r.get("id") for r in results]
        if len(set(ids)) != len(ids):
            raise ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
        for result in results:
            content = result.get("input_message_content") or {}
            if "message_text" in content:
                self._visible(content["message_text"], content.get("parse_mode"), MAX_TEXT)
            self._check_markup(result.get("reply_markup"))
            if not 1 <= len(str(result.get("id", "")).encode()) <= 64:
                raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
        if len((params.get("next_offset") or "").encode()) > 64:
            raise ApiError(400, "Bad Request: NEXT_OFFSET_INVALID")
        return True

    async def _m_setMyCommands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands") or []
        for command in commands:
            if not re.match(r"^[a-z0-9_]{1,32}$", command.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.state.commands[(scope, params.get("language_code") or "")] = commands
        return True

    async def _m_getMyCommands(self, params: dict[str, Any]) -> Any:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        return self.state.commands.get((scope, params.get("language_code") or ""), [])

    async def _m_deleteMyCommands(self, params: dict[str, Any]) -> Any:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.state.commands.pop((scope, params.get("language_code") or ""), None)
        return True

    # The bot's profile texts, shown before the user's first /start (Telegram's limits).
    async def _m_setMyDescription(self, params: dict[str, Any]) -> Any:
        return self._set_profile_text(params, "description", 512, self.state.descriptions)

    async def _m_setMyShortDescription(self, params: dict[str, Any]) -> Any:
        store = self.state.short_descriptions
        return self._set_profile_text(params, "short_description", 120, store)

    async def _m_getMyDescription(self, params: dict[str, Any]) -> Any:
        return {"description": self.state.descriptions.get(params.get("language_code") or "", "")}

    async def _m_getMyShortDescription(self, params: dict[str, Any]) -> Any:
        lang = params.get("language_code") or ""
        return {"short_description": self.state.short_descriptions.get(lang, "")}

    @staticmethod
    def _set_profile_text(
        params: dict[str, Any], field: str, limit: int, store: dict[str, str]
    ) -> bool:
        text = params.get(field) or ""
        if len(text) > limit:
            raise ApiError(400, f"Bad Request: {field.upper()}_TOO_LONG")
        lang = params.get("language_code") or ""
        if lang and not re.match(r"^[a-z]{2}$", lang):
            raise ApiError(400, "Bad Request: LANG_CODE_INVALID")
        store[lang] = text
        return True

    async def _m_getChat(self, params: dict[str, Any]) -> Any:
        chat_id = params.get("chat_id")
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            chat = self.state.chats.get(chat_id.lower())
            if chat is None:
                raise ApiError(400, "Bad Request: chat not found")
            return {
                **chat,
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        return self._chat(chat_id)

    async def _m_getChatMember(self, params: dict[str, Any]) -> Any:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        status = self.state.members.get((chat_id, user_id), "member")
        user = (
            self._bot_user()
            if user_id == BOT_ID
            else {"id": user_id, "is_bot": False, "first_name": "User"}
        )
        member: dict[str, Any] = chat_member(user, status)
        if status == "administrator":
            rights = {
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_post_messages": False,
            }
            member.update(
                rights, **self.state.bot_rights.get(chat_id, {}) if user_id == BOT_ID else {}
            )
        if status == "creator":
            member["is_anonymous"] = False
        return member

    async def _send_file(self, params: dict[str, Any], kind: str) -> Any:
        chat = self._chat(params.get("chat_id"))
        upload = params.get(kind)
        if upload is None:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        caption = params.get("caption")
        if caption:
            self._visible(caption, params.get("parse_mode"), MAX_CAPTION)
        if isinstance(upload, tuple):
            filename, body = upload
            file_id = f"{kind}-{next(self._seq)}"
            if self.files_dir is not None:
                self.files_dir.mkdir(parents=True, exist_ok=True)
                path = self.files_dir / f"{file_id}-{Path(filename).name}"
                path.write_bytes(body)
                self.state.files[file_id] = path
            size = len(body)
        else:
            file_id, filename, size = str(upload), "reused", 0
        entry = {"file_id": file_id, "file_unique_id": file_id, "file_size": size}
        extra: dict[str, Any] = {"caption": caption} if caption else {}
        if kind == "photo":
            extra["photo"] = [{**entry, "width": 1280, "height": 720}]
        else:
            extra["document"] = {**entry, "file_name": filename}
        return self._store(chat, params, extra)

    async def _m_sendPhoto(self, params: dict[str, Any]) -> Any:
        return await self._send_file(params, "photo")

    async def _m_sendDocument(self, params: dict[str, Any]) -> Any:
        return await self._send_file(params, "document")


def _message_key(params: dict[str, Any]) -> tuple[int, int]:
    """(chat id, message id) of the message a call names; (0, 0) names none."""
    try:
        return int(params.get("chat_id") or 0), int(params.get("message_id") or 0)
    except (TypeError, ValueError):
        return 0, 0
