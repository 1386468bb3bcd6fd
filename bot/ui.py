"""Small building blocks every reply uses: keyboards, send-or-edit, callback data."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.callbacks import LANGUAGE, MENU
from bot.i18n import LANGUAGE_FLAGS, LANGUAGE_NAMES, Lazy, Translator, lazy_pgettext
from bot.languages import LANGUAGES

log = logging.getLogger(__name__)

Button = tuple[str, str]  # (label, callback data)
MAX_CALLBACK_BYTES = 64

# What a chat can subscribe to, as its settings and /channel show it.
PUSH_TOPIC_LABELS: dict[str, Lazy] = {
    "reminders": lazy_pgettext("settings", "Anniversary reminders"),
    "news": lazy_pgettext("settings", "News"),
}


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup:
    for row in rows:
        for _, data in row:
            if len(data.encode()) > MAX_CALLBACK_BYTES:
                raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def language_row(current: str | None = None) -> list[Button]:
    return [
        (
            f"{'✅' if lang == current else LANGUAGE_FLAGS[lang]} {LANGUAGE_NAMES[lang]}",
            LANGUAGE.pack(lang),
        )
        for lang in LANGUAGES
    ]


async def respond(
    update: Update,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    edit: bool = False,
) -> Message | bool | None:
    """Send a reply; with edit=True and a button press, change that message in place."""
    query = update.callback_query
    if edit and query is not None and isinstance(query.message, Message):
        try:
            return await query.message.edit_text(text, reply_markup=markup)
        except BadRequest as exc:
            reason = str(exc).lower()
            if "not modified" in reason:
                return None
            if "not found" not in reason and "can't be edited" not in reason:
                raise
            # deleted, or too old to edit: answer with a new message instead
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(text, reply_markup=markup)


def home_row(tr: Translator) -> list[Button]:
    """The way back to the main menu that every screen ends with."""
    return [(tr.pgettext("navigation", "🏠 Main menu"), MENU.pack("start"))]


def with_home(tr: Translator, rows: Sequence[Sequence[Button]]) -> list[list[Button]]:
    return [*(list(row) for row in rows), home_row(tr)]


def nav_row(tr: Translator, prev_data: str | None, next_data: str | None) -> list[Button]:
    row: list[Button] = []
    if prev_data:
        row.append((tr.pgettext("navigation", "◀️ Back"), prev_data))
    if next_data:
        row.append((tr.pgettext("navigation", "Next ▶️"), next_data))
    return row


async def answer_stale(query: CallbackQuery, tr: Translator) -> None:
    """A button that no longer means anything: forged, or from an older screen or release."""
    await query.answer(
        tr.pgettext("errors", "This button is out of date. Send /start for a fresh menu."),
        show_alert=True,
    )


def admins_only(tr: Translator) -> str:
    return tr.pgettext("groups", "Only the group's admins can change its settings.")
