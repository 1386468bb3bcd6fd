"""A greeting or thanks typed to the bot: answered as a person would, not searched."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import MessageHandler, filters

from bot.context import BotContext
from bot.features import Feature
from bot.groups import is_group
from bot.menus import group_greeting, main_menu_rows, welcome
from bot.smalltalk import small_talk
from bot.ui import keyboard, language_row, respond


class _SmallTalk(filters.MessageFilter):
    def filter(self, message: Message) -> bool:
        return message.text is not None and small_talk(message.text) is not None


SMALL_TALK = _SmallTalk(name="small talk")


async def reply(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    in_group = is_group(update.effective_chat)
    replied = message.reply_to_message
    if in_group and (
        replied is None or replied.from_user is None or replied.from_user.id != context.bot.id
    ):
        return  # in groups the bot answers only replies to its own messages
    tr = context.tr
    if small_talk(message.text) == "greeting":
        if in_group:
            await respond(update, group_greeting(tr))
            return
        user = update.effective_user
        rows = [*main_menu_rows(tr, context.services.features), language_row(context.lang)]
        await respond(update, welcome(tr, user.first_name if user else None), keyboard(rows))
        return
    if in_group:
        await respond(update, tr.pgettext("small talk", "You're welcome! 🇺🇳🇹🇯"))
        return
    text = tr.pgettext(
        "small talk",
        "You're welcome! 🇺🇳🇹🇯 Anything else? Choose a section below, or write me a few "
        "words to search for.",
    )
    await respond(update, text, keyboard(main_menu_rows(tr, context.services.features)))


FEATURE = Feature(
    name="smalltalk",
    handlers=(
        MessageHandler(
            filters.ChatType.PRIVATE
            & filters.TEXT
            & ~filters.COMMAND
            & ~filters.VIA_BOT
            & SMALL_TALK,
            reply,
        ),
        MessageHandler(
            filters.ChatType.GROUPS & filters.REPLY & filters.TEXT & ~filters.COMMAND & SMALL_TALK,
            reply,
        ),
    ),
)
