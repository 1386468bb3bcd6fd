"""/start: greeting, language choice and the main menu."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.content.kinds import render_deep_link
from bot.context import BotContext
from bot.features import Command, Feature
from bot.feedback import rating_rows
from bot.groups import is_group
from bot.i18n import lazy_pgettext
from bot.menus import group_greeting, main_menu_rows, welcome
from bot.ui import keyboard, language_row, respond


async def start(update: Update, context: BotContext) -> None:
    user = update.effective_user
    rows = main_menu_rows(context.tr, context.services.features)
    if not is_group(update.effective_chat):  # a group's language is its admins' choice
        rows.append(language_row(context.lang))
    if context.args:  # a shared link: t.me/<bot>?start=event_accession
        item = render_deep_link(context.tr, context.services.content.current, context.args[0])
        if item is not None:
            kind, _, item_id = context.args[0].partition("_")
            rating = await rating_rows(
                context.services, user.id if user else None, [(kind, item_id)]
            )
            await respond(update, item, keyboard([*rating, *rows]))
            return
    if is_group(update.effective_chat):  # short in groups: the full menu is in private
        await respond(update, group_greeting(context.tr), group_keyboard(context))
        return
    await respond(update, welcome(context.tr, user.first_name if user else None), keyboard(rows))


def group_keyboard(context: BotContext) -> InlineKeyboardMarkup:
    url = f"https://t.me/{context.bot.username}?start=group"
    label = context.tr.pgettext("start", "Open the full menu in a private chat")
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, url=url)]])


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
