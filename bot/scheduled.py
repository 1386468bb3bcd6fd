"""Jobs for staff news: queue scheduled posts when due; at start, show each confirmed draft
that a crash kept from the queue back to its author, with a button to send it."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup
from telegram.error import TelegramError

from bot import drafts
from bot.context import BotContext
from bot.drafts import POST, NewsDraft
from bot.i18n import Translator, resolve_language
from bot.languages import DEFAULT_LANGUAGE
from bot.render.html import escape, plain_text
from bot.storage import Database
from bot.storage.drafts import StoredDraft
from bot.ui import keyboard

log = logging.getLogger(__name__)

QUEUE_EVERY = 30.0  # seconds between two looks for due scheduled posts


async def queue_due_posts(context: BotContext) -> None:
    services = context.services
    done = await drafts.queue_due(services.db, int(services.clock().timestamp()))
    for post, push_id, rows in done:
        log.info("scheduled post %s queued as push %s: %s rows", post.id, push_id, rows)
    if done and services.sender is not None:
        services.sender.wake()


async def resume_confirmed(context: BotContext) -> None:
    """A "Send" that a crash interrupted: queued already (say so), or ask again."""
    services = context.services
    db = services.db
    for stored in await db.drafts.confirmed():
        author = await db.chats.get_user(stored.user_id)
        tr = services.i18n(
            resolve_language(author.chosen_language, author.telegram_language)
            if author
            else DEFAULT_LANGUAGE
        )
        push_id = await db.outbox.push_id(stored.key)
        known = await db.scheduled.by_key(stored.key)
        try:
            if push_id is not None or known is not None:
                await db.drafts.delete(stored.key)
                await context.bot.send_message(
                    stored.chat_id,
                    tr.pgettext(
                        "post", "Your news was queued before the restart: nothing more to do."
                    ),
                )
                continue
            text, markup = await confirmed_prompt(db, tr, stored)
            await context.bot.send_message(stored.chat_id, text, reply_markup=markup)
        except TelegramError:
            log.exception("could not show a confirmed draft back to user_id=%s", stored.user_id)


async def confirmed_prompt(
    db: Database, tr: Translator, stored: StoredDraft
) -> tuple[str, InlineKeyboardMarkup]:
    """A confirmed draft not queued yet, shown to its author with a button to send it."""
    draft = NewsDraft.of(stored.key, stored.body)
    first = next((t for t in draft.final_texts().values() if t), "")
    total = await db.outbox.recipients("news", draft.audience)
    text = tr.pgettext(
        "post",
        "⚠️ You pressed Send, but the bot restarted before your news was queued. "
        "Nothing was sent yet. Send it now?\n\n<i>{beginning}</i>",
    ).format(beginning=escape(plain_text(first)[:200]))
    rows = [
        [
            (
                tr.pgettext("post", "✅ Send to {total}").format(total=tr.number(total)),
                POST.pack("send", draft.short_key),
            )
        ],
        [(tr.pgettext("post", "✖️ Do not send"), POST.pack("drop", draft.short_key))],
    ]
    return text, keyboard(rows)
