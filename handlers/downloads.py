"""/timeline (a picture of the partnership) and /calendar (every anniversary as an .ics file)."""

from __future__ import annotations

import asyncio

from telegram import Message, Update
from telegram.constants import ChatAction

from bot.content.model import Content
from bot.context import BotContext
from bot.features import Command, Feature
from bot.i18n import Translator, lazy_pgettext
from bot.ui import home_row, keyboard


async def timeline(update: Update, context: BotContext) -> None:
    """Rendered once per language and content version; after the first upload Telegram's
    file_id is reused (kept in the database, so it survives restarts)."""
    services = context.services
    chat = update.effective_chat
    if chat is None:
        return
    tr = context.tr
    key = f"timeline:{tr.lang}:{services.content.version}"
    caption = tr.pgettext(
        "timeline", "The partnership of the UN and Tajikistan, 1942–2028. Details: /history"
    )
    markup = keyboard([home_row(tr)])
    file_id = await services.db.status.file_id(key)
    if file_id:
        await chat.send_photo(file_id, caption=caption, reply_markup=markup)
        return
    await chat.send_chat_action(ChatAction.UPLOAD_PHOTO)
    png = await asyncio.to_thread(_render_timeline, tr, services.content.current)
    message: Message = await chat.send_photo(
        png, caption=caption, filename=f"timeline-{tr.lang}.png", reply_markup=markup
    )
    if message.photo:
        await services.db.status.remember_file(key, message.photo[-1].file_id)


def _render_timeline(tr: Translator, content: Content) -> bytes:
    """In a worker thread: importing matplotlib alone takes ~0.4 s, drawing ~1 s."""
    from bot.timeline_image import render_timeline

    return render_timeline(tr, content)


def _build_calendar(tr: Translator, content: Content) -> bytes:
    from bot.ics import build_calendar

    return build_calendar(tr, content)


async def calendar(update: Update, context: BotContext) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    tr = context.tr
    ics = await asyncio.to_thread(_build_calendar, tr, context.services.content.current)
    await chat.send_document(
        ics,
        filename=f"un-tajikistan-anniversaries-{tr.lang}.ics",
        caption=tr.pgettext(
            "calendar",
            "Every anniversary with a known day, repeating each year. Open the file to add "
            "them to your calendar; opening it again updates them instead of adding copies.",
        ),
        reply_markup=keyboard([home_row(tr)]),
    )


FEATURE = Feature(
    name="downloads",
    commands=(
        Command(
            "timeline",
            lazy_pgettext("command menu", "The partnership's timeline as a picture"),
            timeline,
            button=lazy_pgettext("main menu", "🖼 Timeline"),
        ),
        Command(
            "calendar",
            lazy_pgettext("command menu", "All anniversaries for your calendar (.ics)"),
            calendar,
            button=lazy_pgettext("main menu", "📆 Calendar"),
        ),
    ),
)
