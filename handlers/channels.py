"""/channel (staff): link a channel where the bot is an administrator; it then gets
reminders and news through the same outbox, in the language and topics chosen here."""

from __future__ import annotations

import warnings

from telegram import Chat, ChatFullInfo, MessageOriginChannel, Update
from telegram.error import TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import INT64, CallbackData, parse_int
from bot.context import BotContext
from bot.features import STAFF, Command, Feature
from bot.groups import can_post_in_channel
from bot.i18n import LANGUAGE_NAMES, lazy_pgettext
from bot.languages import LANGUAGES
from bot.render.html import escape
from bot.storage.chats import PUSH_TOPICS
from bot.ui import PUSH_TOPIC_LABELS, Button, answer_stale, keyboard, respond

CHANNEL = CallbackData("ch")

WAITING = 0


async def channel_start(update: Update, context: BotContext) -> int:
    tr = context.tr
    linked = await context.services.db.chats.of_kind("channel")
    lines = [
        tr.pgettext(
            "channels",
            "Forward me a post from the channel to link, or send its @username. /cancel to stop.",
        )
    ]
    if linked:
        lines += ["", "<b>{}</b>".format(escape(tr.pgettext("channels", "Linked channels")))]
        lines += [
            f"• {escape(title or str(chat_id))}" for chat_id, title, active in linked if active
        ]
    await respond(update, "\n".join(lines))
    return WAITING


async def channel_given(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    tr = context.tr
    chat: Chat | ChatFullInfo | None = None
    if isinstance(message.forward_origin, MessageOriginChannel):
        chat = message.forward_origin.chat
    elif message.text and message.text.strip().startswith("@"):
        try:
            chat = await context.bot.get_chat(message.text.strip().split()[0])
        except TelegramError:
            chat = None
    if chat is None or chat.type != "channel":
        await respond(
            update,
            tr.pgettext(
                "channels",
                "That is not a post forwarded from a channel, nor a channel's @username. Try again, or /cancel.",
            ),
        )
        return WAITING
    title = chat.title or str(chat.id)
    if not await can_post_in_channel(context.bot, chat.id):
        await respond(
            update,
            tr.pgettext(
                "channels",
                "I am not an administrator of «{title}» with the right to post messages. "
                "Make me one, then send the channel again.",
            ).format(title=escape(title)),
        )
        return WAITING
    db = context.services.db
    await db.chats.register_chat(chat.id, "channel", title)
    await db.changes.set_blocked(chat.id, False)
    text, rows = await channel_screen(context, chat.id, title)
    await respond(update, text, keyboard(rows))
    return ConversationHandler.END


async def channel_screen(
    context: BotContext, chat_id: int, title: str
) -> tuple[str, list[list[Button]]]:
    tr = context.tr
    db = context.services.db
    topics = await db.settings.subscriptions(chat_id)
    lang = await db.chats.chat_language(chat_id) or "ru"
    text = tr.pgettext(
        "channels",
        "✅ Channel «{title}» is linked. Choose what I post there and in which language.",
    ).format(title=escape(title))
    rows: list[list[Button]] = [
        [
            (
                ("✅ " if t in topics else "⬜ ") + tr.lazy(PUSH_TOPIC_LABELS[t]),
                CHANNEL.pack("topic", chat_id, t),
            )
            for t in PUSH_TOPICS
        ],
        [
            (("✅ " if code == lang else "") + LANGUAGE_NAMES[code], CHANNEL.pack("lang", chat_id, code))
            for code in LANGUAGES
        ],
    ]
    return text, rows


async def channel_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    services = context.services
    fields = CHANNEL.unpack(query.data, 3)
    if (
        fields is None
        or query.from_user.id not in services.config.admin_ids
        or (chat_id := parse_int(fields[1], -INT64, INT64)) is None
    ):
        await answer_stale(query, context.tr)
        return
    what, value = fields[0], fields[2]
    db = services.db
    if what == "topic" and value in PUSH_TOPICS:
        await db.changes.set_subscription(chat_id, value, value not in await db.settings.subscriptions(chat_id))
    elif what == "lang" and value in LANGUAGES:
        await services.users.choose_language(chat_id, value)
    else:
        await answer_stale(query, context.tr)
        return
    await query.answer()
    titles = {cid: title for cid, title, _ in await db.chats.of_kind("channel")}
    text, rows = await channel_screen(context, chat_id, titles.get(chat_id) or str(chat_id))
    await respond(update, text, keyboard(rows), edit=True)


async def cancel(update: Update, context: BotContext) -> int:
    await respond(update, context.tr.pgettext("post", "Cancelled: nothing was sent."))
    return ConversationHandler.END


with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    CHANNEL_CONVERSATION = ConversationHandler(
        entry_points=[CommandHandler("channel", channel_start, filters=STAFF)],
        states={WAITING: [MessageHandler(~filters.COMMAND, channel_given)]},
        fallbacks=[CommandHandler("cancel", cancel)],
        name="channel",
        allow_reentry=True,
    )

FEATURE = Feature(
    name="channels",
    commands=(
        Command(
            "channel",
            lazy_pgettext("command menu", "Staff: link a channel for reminders and news"),
            channel_start,
            staff=True,
            conversation=True,
        ),
    ),
    callbacks=(CHANNEL,),
    handlers=(CHANNEL_CONVERSATION, CallbackQueryHandler(channel_button, pattern=CHANNEL.pattern)),
)
