"""Leaving a staff conversation by typing another command: the command still runs."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler

from bot.context import BotContext
from bot.features import all_commands


async def run_command(
    update: Update, context: BotContext, leaving: BaseHandler[Any, Any, Any]
) -> None:
    """Do what the command in this message says, as if no conversation had been open.

    A plain command runs here and now (its answer follows the "draft dropped" line); any
    other (one that opens a conversation, an unknown one) goes to the first feature handler
    that takes it, the conversation being left excepted."""
    message = update.effective_message
    if message is None or not message.text or not message.text.startswith("/"):
        return
    words = message.text.split()
    name = words[0][1:].split("@", 1)[0].lower()
    services = context.services
    command = {c.name: c for c in all_commands(services.features)}.get(name)
    if command is not None and not command.conversation:
        context.args = words[1:]
        await command.callback(update, context)
        return
    for feature in services.features:
        for handler in feature.handlers:
            if handler is leaving:
                continue
            check = handler.check_update(update)
            if check is not None and check is not False:
                await handler.handle_update(update, context.application, check, context)
                return
