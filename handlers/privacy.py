"""/privacy (what the bot keeps about a user, and why) and /forget (delete all of it)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.callbacks import CallbackData
from bot.context import BotContext
from bot.features import Command, Feature
from bot.i18n import lazy_pgettext
from bot.ui import answer_stale, home_row, keyboard, respond

FORGET = CallbackData("forget")  # forget:yes | forget:no


async def privacy(update: Update, context: BotContext) -> None:
    await respond(
        update,
        context.tr.pgettext(
            "privacy",
            "<b>What I keep about you, and why</b>\n\n"
            "• The language you chose (and your Telegram app's language): to answer you in it.\n"
            "• Your settings (reminder hour, time zone, silent messages): to send reminders "
            "when you want them.\n"
            "• Your subscriptions: to know whom to send reminders and news to.\n"
            "• When you first and last wrote to me: to count how many people use the bot.\n"
            "• Your 👍/👎 ratings: so that each person counts once.\n\n"
            "I do not keep your messages, your name or your phone number. The UN team sees only "
            "totals per day, such as how often a fact was opened or which searches found "
            "nothing, never who it was.\n\n"
            "Send /forget to delete everything I keep about you.",
        ),
        keyboard([home_row(context.tr)]),
    )


async def forget(update: Update, context: BotContext) -> None:
    tr = context.tr
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        await respond(
            update, tr.pgettext("privacy", "Please send /forget to me in a private chat.")
        )
        return
    rows = [
        [
            (tr.pgettext("privacy", "🗑 Yes, delete everything"), FORGET.pack("yes")),
            (tr.pgettext("privacy", "Cancel"), FORGET.pack("no")),
        ]
    ]
    await respond(
        update,
        tr.pgettext(
            "privacy",
            "Delete everything I keep about you: your language, settings, subscriptions and "
            "ratings? Reminders and news waiting to be sent to you will not be sent. This "
            "cannot be undone.",
        ),
        keyboard(rows),
    )


async def forget_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    tr = context.tr
    answer = (FORGET.unpack(query.data, 1) or [""])[0]
    if answer not in ("yes", "no"):
        await answer_stale(query, tr)
        return
    await query.answer()
    if answer == "no":
        await respond(
            update,
            tr.pgettext("privacy", "Nothing was deleted."),
            keyboard([home_row(tr)]),
            edit=True,
        )
        return
    user_id = query.from_user.id
    services = context.services
    await services.db.privacy.forget(user_id)
    services.users.drop(user_id)
    await respond(
        update,
        tr.pgettext(
            "privacy",
            "Done: I have deleted everything I kept about you. If you write to me again, "
            "we start afresh.",
        ),
        keyboard([home_row(tr)]),
        edit=True,
    )


FEATURE = Feature(
    name="privacy",
    commands=(
        Command(
            "privacy",
            lazy_pgettext("command menu", "What the bot keeps about you, and why"),
            privacy,
        ),
        Command(
            "forget",
            lazy_pgettext("command menu", "Delete everything the bot keeps about you"),
            forget,
        ),
    ),
    callbacks=(FORGET,),
    handlers=(CallbackQueryHandler(forget_button, pattern=FORGET.pattern),),
)
