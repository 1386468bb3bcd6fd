"""The error handler: log the failure, and never leave the user without an answer."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden

from bot.context import SERVICES_KEY, BotContext

log = logging.getLogger("bot.errors")


async def on_error(update: object, context: BotContext) -> None:
    if not isinstance(update, Update):
        log.error("error outside an update", exc_info=context.error)
        return
    user = update.effective_user
    log.error(
        "handler failed: update_id=%s user_id=%s",
        update.update_id,
        user.id if user else None,
        exc_info=context.error,
    )
    if isinstance(context.error, Forbidden):
        return  # the user blocked us: there is nobody to answer
    services = context.application.bot_data.get(SERVICES_KEY)
    if services is None:
        return
    lang = await services.users.language(
        user.id if user else None, user.language_code if user else None
    )
    tr = services.i18n(lang)
    text = tr.pgettext(
        "errors",
        "Sorry, something went wrong on my side. Please try again in a minute; "
        "if it keeps happening, send /start.",
    )
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_chat is not None and update.effective_chat.type == "private":
            await update.effective_chat.send_message(text)
    except Exception:  # the apology itself failed (network down): only log it
        log.warning("could not send the apology for update_id=%s", update.update_id, exc_info=True)
