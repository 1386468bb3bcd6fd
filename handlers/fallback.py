"""Answers for everything no feature took: unknown commands, free text, stale buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.context import BotContext
from bot.features import Feature
from bot.ui import answer_stale, home_row, keyboard, respond


async def unknown_command(update: Update, context: BotContext) -> None:
    await respond(
        update,
        context.tr.pgettext(
            "fallback", "I don't know this command. Send /help to see what I can do."
        ),
        keyboard([home_row(context.tr)]),
    )


async def free_text(update: Update, context: BotContext) -> None:
    await respond(
        update,
        context.tr.pgettext(
            "fallback",
            "I can read only text: send me words to search for, or /help to see what I can do.",
        ),
        keyboard([home_row(context.tr)]),
    )


async def stale_button(update: Update, context: BotContext) -> None:
    if update.callback_query is not None:
        await answer_stale(update.callback_query, context.tr)


FEATURE = Feature(
    name="fallback",
    handlers=(
        MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, unknown_command),
        MessageHandler(
            # a result shared from inline mode ("via @bot") is no message to the bot
            filters.ChatType.PRIVATE
            & ~filters.COMMAND
            & ~filters.StatusUpdate.ALL
            & ~filters.VIA_BOT,
            free_text,
        ),
        CallbackQueryHandler(stale_button),
    ),
)
