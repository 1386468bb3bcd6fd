"""👍/👎 pressed under a fact or event: stored once per user, the buttons change in place."""

from __future__ import annotations

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler

from bot.context import BotContext
from bot.features import Feature
from bot.feedback import RATE, RATED, VALUES, relabel
from bot.ui import answer_stale


async def rate(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    fields = RATE.unpack(query.data, 4)
    kind, item_id, _, value = fields if fields else ("", "", "", "")
    content = context.services.content.current
    if kind not in RATED or value not in VALUES or content.get(kind, item_id) is None:
        await answer_stale(query, context.tr)
        return
    rating = await context.services.db.analytics.rate(
        query.from_user.id, kind, item_id, VALUES[value]
    )
    tr = context.tr
    await query.answer(
        tr.pgettext("feedback", "Thank you! Your rating is saved.")
        if rating
        else tr.pgettext("feedback", "Your rating is removed.")
    )
    message = query.message
    if isinstance(message, Message) and message.reply_markup is not None:
        try:
            await message.edit_reply_markup(relabel(message.reply_markup, kind, item_id, rating))
        except BadRequest as exc:  # pressed twice quickly: the buttons already show it
            if "not modified" not in str(exc).lower():
                raise


FEATURE = Feature(
    name="feedback",
    callbacks=(RATE,),
    handlers=(CallbackQueryHandler(rate, pattern=RATE.pattern),),
)
