"""The bot blocked or unblocked in a private chat: stop or resume pushes at once."""

from __future__ import annotations

import logging

from telegram import Chat, ChatMember, Update
from telegram.ext import ChatMemberHandler, MessageHandler, filters

from bot.context import BotContext
from bot.features import Feature

log = logging.getLogger(__name__)


async def my_chat_member(update: Update, context: BotContext) -> None:
    """Blocked, kicked or removed: stop pushing at once (not on the next failed send).
    Unblocked or added back: resume with the chat's old settings."""
    change = update.my_chat_member
    if change is None:
        return
    chat = change.chat
    db = context.services.db
    if chat.type != Chat.PRIVATE:
        await db.chats.register_chat(chat.id, chat.type, chat.title)
    status = change.new_chat_member.status
    if status in (ChatMember.BANNED, ChatMember.LEFT):
        await db.changes.set_blocked(chat.id, True, "the bot was blocked or removed")
        context.services.users.forget(chat.id)
        log.info("chat deactivated chat_id=%s status=%s", chat.id, status)
    elif status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER):
        await db.changes.set_blocked(chat.id, False)
        log.info("chat active chat_id=%s status=%s", chat.id, status)


async def migrated(update: Update, context: BotContext) -> None:
    """A group became a supergroup: its subscription lives on under the new id."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    await context.services.db.changes.migrate_chat(message.chat.id, message.migrate_to_chat_id)
    log.info("chat migrated from=%s to=%s", message.chat.id, message.migrate_to_chat_id)


FEATURE = Feature(
    name="membership",
    handlers=(
        ChatMemberHandler(my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(filters.StatusUpdate.MIGRATE, migrated),
    ),
)
