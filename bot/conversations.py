"""Leaving a staff conversation by typing another command: the command still runs."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.features import all_commands


async def run_command(update: Update, context: BotContext) -> None:
    """Do what the command in this message says, as if no conversation had been open.

    A plain command runs here and now (its answer follows the "draft dropped" line); one
    that opens a conversation, or an unknown one, goes through the handlers again once the
    current conversation has ended."""
    message = update.effective_message
    if message is None or not message.text or not message.text.startswith("/"):
        return
    words = message.text.split()
    name = words[0][1:].split("@", 1)[0].lower()
    by_name = {c.name: c for c in all_commands(context.services.features)}
    command = by_name.get(name)
    if command is not None and not command.conversation:
        context.args = words[1:]
        await command.callback(update, context)
        return
    context.application.create_task(context.application.process_update(update))
