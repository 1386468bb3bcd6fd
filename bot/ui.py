"""Small building blocks every reply uses: escaping, keyboards, send-or-edit."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.features import Feature, all_commands
from bot.i18n import LANGUAGE_FLAGS, LANGUAGE_NAMES, LANGUAGES, Translator

log = logging.getLogger(__name__)

Button = tuple[str, str]  # (label, callback data)
MAX_CALLBACK_BYTES = 64
MAX_MESSAGE_CHARS = 4096


def escape(text: object) -> str:
    return html.escape(str(text), quote=False)


def plain_text(html_text: str) -> str:
    """What a user reads of our HTML: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


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
            f"lang:{lang}",
        )
        for lang in LANGUAGES
    ]


def main_menu_rows(tr: Translator, features: tuple[Feature, ...]) -> list[list[Button]]:
    buttons = [(tr.lazy(c.button), f"cmd:{c.name}") for c in all_commands(features) if c.button]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


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


def nav_row(tr: Translator, prev_data: str | None, next_data: str | None) -> list[Button]:
    row: list[Button] = []
    if prev_data:
        row.append((tr.pgettext("navigation", "◀️ Back"), prev_data))
    if next_data:
        row.append((tr.pgettext("navigation", "Next ▶️"), next_data))
    return row


def parse_callback(data: str | None, prefix: str, parts: int) -> list[str] | None:
    """Split "prefix:a:b" into ["a", "b"]; None for anything forged or from an old release."""
    if not data or not data.startswith(prefix + ":"):
        return None
    fields = data.split(":")[1:]
    return fields if len(fields) == parts else None
