"""/start: greeting, language choice and the main menu."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.features import Command, Feature
from bot.i18n import lazy_pgettext
from bot.render import render_deep_link
from bot.ui import escape, keyboard, language_row, main_menu_rows, respond


def greeting(context: BotContext, first_name: str | None) -> str:
    tr = context.tr
    name = escape(first_name or tr.pgettext("start", "friend"))
    return tr.pgettext(
        "start",
        "Hello, {name}! 🇺🇳🇹🇯\n\n"
        "I tell the story of the partnership between the United Nations and Tajikistan: "
        "sourced facts, the history since 1992, anniversaries, UN agencies and their contacts.\n\n"
        "Choose a section below, or your language.",
    ).format(name=name)


async def start(update: Update, context: BotContext) -> None:
    user = update.effective_user
    rows = [*main_menu_rows(context.tr, context.services.features), language_row(context.lang)]
    if context.args:  # a shared link: t.me/<bot>?start=event_accession
        item = render_deep_link(context.tr, context.services.content.current, context.args[0])
        if item is not None:
            await respond(update, item, keyboard(rows))
            return
    await respond(update, greeting(context, user.first_name if user else None), keyboard(rows))


FEATURE = Feature(
    name="start",
    commands=(
        Command(
            "start",
            lazy_pgettext("command menu", "Start: greeting and main menu"),
            start,
        ),
    ),
)
