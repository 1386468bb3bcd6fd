"""The bot blocked or unblocked in a private chat: stop or resume pushes at once."""

from __future__ import annotations

from telegram import ChatMember, Update
from telegram.ext import ChatMemberHandler

from bot.context import BotContext
from bot.features import Feature


async def my_chat_member(update: Update, context: BotContext) -> None:
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    status = change.new_chat_member.status
    db = context.services.db
    if status in (ChatMember.BANNED, ChatMember.LEFT):
        await db.set_blocked(change.chat.id, True)
        await db.outbox.cancel_for_chat(change.chat.id, "the chat blocked the bot")
    elif status == ChatMember.MEMBER:
        await db.set_blocked(change.chat.id, False)


FEATURE = Feature(
    name="membership",
    handlers=(ChatMemberHandler(my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),),
)
