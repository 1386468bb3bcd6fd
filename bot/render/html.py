"""Telegram HTML at its simplest: escaping content, and reading HTML back as plain text.

A leaf module: everything that renders imports it, it imports nothing of the bot.
"""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]+>")


def escape(text: object) -> str:
    return html.escape(str(text), quote=False)


def escape_attribute(text: str) -> str:
    return html.escape(text, quote=True)


def plain_text(html_text: str) -> str:
    """What a user reads of our HTML: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", html_text))
