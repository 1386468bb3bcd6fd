"""/help: one line per command, built from the same declarations as the "/" menu."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.features import Command, Feature, public_commands, staff_commands
from bot.i18n import lazy_pgettext
from bot.render.html import escape
from bot.ui import home_row, keyboard, respond


def help_text(update: Update, context: BotContext) -> str:
    tr = context.tr
    title = tr.pgettext("help", "What I can do")
    lines = [f"<b>{escape(title)}</b>", ""]
    features = context.services.features
    for command in public_commands(features):
        lines.append(f"/{command.name} — {escape(tr.lazy(command.description))}")
    user = update.effective_user
    if user is not None and user.id in context.services.config.admin_ids:
        lines += ["", "<b>{}</b>".format(escape(tr.pgettext("help", "Staff")))]
        for command in staff_commands(features):
            lines.append(f"/{command.name} — {escape(tr.lazy(command.description))}")
    lines += [
        "",
        tr.pgettext("help", "You can also press the buttons under my messages."),
    ]
    return "\n".join(lines)


async def show_help(update: Update, context: BotContext) -> None:
    await respond(update, help_text(update, context), keyboard([home_row(context.tr)]))


FEATURE = Feature(
    name="help",
    commands=(
        Command(
            "help",
            lazy_pgettext("command menu", "What the bot can do"),
            show_help,
            button=lazy_pgettext("main menu", "❓ Help"),
        ),
    ),
)
