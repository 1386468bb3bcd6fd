"""👍/👎 under each fact and event the bot shows: the buttons, built in this one place.

A screen that shows items adds rating_rows(...) to its keyboard; that also counts each item
as opened. A press (handlers/feedback.py) stores the rating and relabels only these buttons
in place, whatever else the keyboard holds.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import CallbackData
from bot.context import Services
from bot.ui import Button

RATE = CallbackData("rate")  # rate:<kind>:<item id>:<number on the screen, 0: alone>:<u|d>
VALUES = {"u": 1, "d": -1}
RATED = ("fact", "event")  # what people rate; agencies and contacts are only counted
PER_ROW = 4  # buttons: two items to a row when a screen rates several


def label(value: str, number: int, chosen: bool) -> str:
    thumb = "👍" if value == "u" else "👎"
    shown = f"{number} {thumb}" if number else thumb
    return f"✅ {shown}" if chosen else shown


async def rating_rows(
    services: Services, user_id: int | None, items: Sequence[tuple[str, str]]
) -> list[list[Button]]:
    """The rating buttons for the items on one screen (numbered when several), marked with
    this user's own ratings; each item counts as opened."""
    for kind, item_id in items:
        services.analytics.opened(kind, item_id)
    items = [(kind, item_id) for kind, item_id in items if kind in RATED]
    if user_id is None or not items:
        return []
    mine = await services.db.analytics.ratings_of(user_id, items)
    numbered = len(items) > 1
    buttons: list[Button] = []
    for number, (kind, item_id) in enumerate(items, start=1):
        current = mine.get(f"{kind}:{item_id}", 0)
        for value, score in VALUES.items():
            shown = number if numbered else 0
            buttons.append(
                (label(value, shown, current == score), RATE.pack(kind, item_id, shown, value))
            )
    return [buttons[i : i + PER_ROW] for i in range(0, len(buttons), PER_ROW)]


def relabel(
    markup: InlineKeyboardMarkup, kind: str, item_id: str, rating: int
) -> InlineKeyboardMarkup:
    """The same keyboard, with this item's two buttons showing the rating now."""
    rows = []
    for row in markup.inline_keyboard:
        new_row = []
        for button in row:
            fields = RATE.unpack(
                button.callback_data if isinstance(button.callback_data, str) else None, 4
            )
            if fields and fields[0] == kind and fields[1] == item_id and fields[3] in VALUES:
                number = int(fields[2]) if fields[2].isdigit() else 0
                chosen = VALUES[fields[3]] == rating
                button = InlineKeyboardButton(
                    label(fields[3], number, chosen), callback_data=button.callback_data
                )
            new_row.append(button)
        rows.append(new_row)
    return InlineKeyboardMarkup(rows)
