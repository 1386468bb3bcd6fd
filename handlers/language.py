"""/language and the language buttons: the choice is stored and used for every reply."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.callbacks import LANGUAGE
from bot.context import BotContext
from bot.features import Command, Feature
from bot.groups import can_manage
from bot.i18n import LANGUAGE_NAMES, lazy_pgettext
from bot.languages import LANGUAGES
from bot.menus import main_menu_rows, refresh_chat_menu
from bot.ui import admins_only, answer_stale, home_row, keyboard, language_row, respond


async def ask_language(update: Update, context: BotContext) -> None:
    tr = context.tr
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or not await can_manage(context.bot, chat, user.id):
        # a group's members who are not its admins: no buttons they could not use
        text = tr.pgettext("groups", "Only the group's admins can change its language.")
        await respond(update, text, keyboard([home_row(tr)]))
        return
    text = tr.pgettext("language", "Choose the language I should speak with you:")
    await respond(update, text, keyboard([language_row(context.lang), home_row(tr)]))


async def choose_language(update: Update, context: BotContext) -> None:
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None and query.data is not None
    fields = LANGUAGE.unpack(query.data, 1)
    lang = fields[0] if fields else ""
    if lang not in LANGUAGES or chat is None:
        await answer_stale(query, context.tr)
        return
    if not await can_manage(context.bot, chat, query.from_user.id):
        await query.answer(admins_only(context.tr), show_alert=True)
        return
    services = context.services
    context.lang = await services.users.choose_language(chat.id, lang)
    await refresh_chat_menu(context.bot, services, chat.id, lang)
    tr = context.tr
    await query.answer(LANGUAGE_NAMES[lang])
    text = tr.pgettext(
        "language", "Language: {language}. I will answer you in it from now on."
    ).format(language=LANGUAGE_NAMES[lang])
    rows = [*main_menu_rows(tr, context.services.features), language_row(lang)]
    await respond(update, text, keyboard(rows), edit=True)


FEATURE = Feature(
    name="language",
    commands=(
        Command(
            "language",
            lazy_pgettext("command menu", "Change the language"),
            ask_language,
            button=lazy_pgettext("main menu", "🌐 Language"),
        ),
    ),
    callbacks=(LANGUAGE,),
    handlers=(CallbackQueryHandler(choose_language, pattern=LANGUAGE.pattern),),
)
