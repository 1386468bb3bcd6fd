"""/channel (staff): link a channel where the bot is an administrator; it then gets
reminders and news through the same outbox, in the language and topics chosen here."""

from __future__ import annotations

import re
import warnings

from telegram import Chat, ChatFullInfo, MessageOriginChannel, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.callbacks import CallbackData
from bot.context import BotContext
from bot.conversation_state import timed_out
from bot.conversations import run_command
from bot.features import STAFF, Command, Feature
from bot.groups import can_post_in_channel
from bot.i18n import LANGUAGE_NAMES, lazy_pgettext
from bot.languages import LANGUAGES
from bot.render.html import escape
from bot.storage.chats import PUSH_TOPICS
from bot.ui import PUSH_TOPIC_LABELS, Button, answer_stale, keyboard, respond

CHANNEL = CallbackData("ch")

WAITING = 0
WAIT_TIMEOUT = 30 * 60.0  # seconds /channel waits for a channel before it gives up
CHAT_ID = re.compile(r"^-?[0-9]{1,19}$")
INT64 = 2**63
NEW_MESSAGE = filters.UpdateType.MESSAGE  # an edit of an earlier message changes nothing


async def channel_start(update: Update, context: BotContext) -> int:
    tr = context.tr
    if context.args:  # /channel @name: no need to ask for what was given
        return await _link(update, context, context.args[0])
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
    if isinstance(message.forward_origin, MessageOriginChannel):
        return await _link(update, context, message.forward_origin.chat)
    return await _link(update, context, (message.text or "").strip().split(" ")[0])


async def _link(update: Update, context: BotContext, given: Chat | str) -> int:
    """Link the channel forwarded from, or named by its @username."""
    tr = context.tr
    chat: Chat | ChatFullInfo | None = given if isinstance(given, Chat) else None
    if isinstance(given, str) and re.match(r"^@[A-Za-z0-9_]{4,32}$", given):
        try:
            chat = await context.bot.get_chat(given)
        except BadRequest:  # Telegram's "chat not found"
            await respond(
                update,
                tr.pgettext(
                    "channels",
                    "I found no channel {username}. Check the spelling, or forward me one of its posts.",
                ).format(username=escape(given)),
            )
            return WAITING
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
            (
                ("✅ " if code == lang else "") + LANGUAGE_NAMES[code],
                CHANNEL.pack("lang", chat_id, code),
            )
            for code in LANGUAGES
        ],
    ]
    return text, rows


async def _linked_channel(context: BotContext, data: str) -> int | None:
    """The id in a button, if it is a channel linked here where the bot can still post."""
    if not CHAT_ID.match(data) or not -INT64 <= int(data) < INT64:
        return None
    chat_id = int(data)
    linked = {
        cid for cid, _, active in await context.services.db.chats.of_kind("channel") if active
    }
    if chat_id not in linked or not await can_post_in_channel(context.bot, chat_id):
        return None
    return chat_id


async def channel_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    services = context.services
    fields = CHANNEL.unpack(query.data, 3)
    if fields is None or query.from_user.id not in services.config.admin_ids:
        await answer_stale(query, context.tr)
        return
    what, value = fields[0], fields[2]
    known = (what == "topic" and value in PUSH_TOPICS) or (what == "lang" and value in LANGUAGES)
    chat_id = await _linked_channel(context, fields[1]) if known else None
    if chat_id is None:
        await answer_stale(query, context.tr)
        return
    db = services.db
    if what == "topic":
        await db.changes.set_subscription(
            chat_id, value, value not in await db.settings.subscriptions(chat_id)
        )
    else:
        await services.users.choose_language(chat_id, value)
    await query.answer()
    titles = {cid: title for cid, title, _ in await db.chats.of_kind("channel")}
    text, rows = await channel_screen(context, chat_id, titles.get(chat_id) or str(chat_id))
    await respond(update, text, keyboard(rows), edit=True)


async def cancel(update: Update, context: BotContext) -> int:
    await respond(update, context.tr.pgettext("channels", "Cancelled: no channel was linked."))
    return ConversationHandler.END


async def leave(update: Update, context: BotContext) -> int:
    """Another command ends the wait for a channel, says so, then runs."""
    await respond(
        update, context.tr.pgettext("channels", "Stopped waiting for a channel: none was linked.")
    )
    await run_command(update, context, CHANNEL_CONVERSATION)
    return ConversationHandler.END


async def expired(update: Update, context: BotContext) -> None:
    if not await timed_out(update, context, "channels"):
        return
    await respond(
        update,
        context.tr.pgettext(
            "channels",
            "I waited {minutes} minutes for a channel and stopped: none was linked. "
            "Send /channel to try again.",
        ).format(minutes=round(WAIT_TIMEOUT / 60)),
    )


with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    CHANNEL_CONVERSATION = ConversationHandler(
        entry_points=[CommandHandler("channel", channel_start, filters=STAFF)],
        states={
            WAITING: [MessageHandler(NEW_MESSAGE & ~filters.COMMAND, channel_given)],
            ConversationHandler.TIMEOUT: [TypeHandler(Update, expired)],
        },
        fallbacks=[
            CommandHandler("cancel", cancel, filters=NEW_MESSAGE),
            MessageHandler(NEW_MESSAGE & filters.COMMAND, leave),
        ],
        name="channel",
        allow_reentry=True,
        conversation_timeout=WAIT_TIMEOUT,
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
