"""Groups and channels: who may change a group's settings, what the bot may do in a channel."""

from __future__ import annotations

from telegram import Bot, Chat, ChatMember, ChatMemberAdministrator
from telegram.error import TelegramError

GROUP_TYPES = (Chat.GROUP, Chat.SUPERGROUP)
MANAGERS = (ChatMember.OWNER, ChatMember.ADMINISTRATOR)


def is_group(chat: Chat | None) -> bool:
    return chat is not None and chat.type in GROUP_TYPES


async def can_manage(bot: Bot, chat: Chat, user_id: int) -> bool:
    """Private chats are their user's own; in a group only its owner and admins decide."""
    if chat.type == Chat.PRIVATE:
        return chat.id == user_id
    try:
        member = await bot.get_chat_member(chat.id, user_id)
    except TelegramError:
        return False
    return member.status in MANAGERS


async def can_post_in_channel(bot: Bot, channel_id: int) -> bool:
    """The bot is an administrator of the channel with the right to post messages."""
    try:
        member = await bot.get_chat_member(channel_id, bot.id)
    except TelegramError:
        return False
    return isinstance(member, ChatMemberAdministrator) and bool(member.can_post_messages)
