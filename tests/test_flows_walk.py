"""Every screen reachable from /start, in each language, as a user meets it: press every
button (a bounded breadth-first walk over distinct buttons) and check each screen has a way
back to the main menu, no string left in another language, no doubled full stop and no
nested quotes."""

from __future__ import annotations

import re
from collections import deque
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from bot.i18n import LANGUAGE_NAMES
from fakegram.harness import Harness, Reply

LOCALES = Path(__file__).resolve().parent.parent / "locales"
MAX_PRESSES = 400  # per language: the walk is bounded whatever the content
MENU_HOME = "cmd:start"
# Changing the language mid-walk would make the next screens "another language" on purpose.
SKIPPED = re.compile(r"^(lang:|set:lang:)")
RAW_ZONE = re.compile(r"\b(?:Africa|America|Asia|Atlantic|Australia|Europe|Etc|Pacific)/\w+")
DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")
PLACEHOLDER_OR_TAG = re.compile(r"\{\w+\}|<[^>]+>|\n|[:;()«»“”\"]")
QUOTES = {"ru": ("«", "»"), "tg": ("«", "»"), "en": ("“", "”")}
TAJIK_LETTERS = re.compile(r"[ғӣқӯҳҷҒӢҚӮҲҶ]")
CYRILLIC = re.compile(r"[А-Яа-яЁёҒғӢӣҚқӮӯҲҳҶҷ]")


@cache
def foreign_fragments(lang: str, other: str) -> frozenset[str]:
    """Pieces of the other language's interface strings (three words or more) that this
    language's catalog does not share: seeing one on a screen means a string was left."""
    with (LOCALES / other / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        theirs = read_po(fp)
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        ours = read_po(fp)
    own = " ".join(
        s for m in ours if m.id for s in (m.string if isinstance(m.string, tuple) else [m.string])
    )
    found = set()
    for message in theirs:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            for piece in PLACEHOLDER_OR_TAG.split(string):
                piece = piece.strip(" .,!?—–-…")
                if len(piece.split()) >= 3 and piece not in own:
                    found.add(piece)
    return frozenset(found)


def nested_quote(lang: str, text: str) -> str | None:
    opening, closing = QUOTES[lang]
    depth = 0
    for index, char in enumerate(text):
        if char == opening:
            depth += 1
            if depth > 1:
                return text[max(0, index - 40) : index + 40]
        elif char == closing:
            depth = max(0, depth - 1)
    return None


def problems_of(lang: str, reply: Reply, content_texts: str) -> list[str]:
    labels = [b.text for b in reply.flat_buttons]
    seen = "\n".join([reply.text, *labels])
    found = []
    if reply.method != "answerCallbackQuery":
        datas = [b.data for b in reply.flat_buttons]
        main_menu = sum(1 for d in datas if d and d.startswith("cmd:")) >= 5
        if MENU_HOME not in datas and not main_menu:
            found.append("no way back to the main menu")
    if DOUBLE_STOP.search(seen):
        found.append(f"doubled full stop: {DOUBLE_STOP.search(seen)}")
    quoted = nested_quote(lang, reply.text)
    if quoted:
        found.append(f"nested quotes: {quoted!r}")
    if RAW_ZONE.search(seen):
        found.append(f"a raw time-zone code: {RAW_ZONE.search(seen)}")
    others = [o for o in ("ru", "tg", "en") if o != lang]
    for other in others:
        for fragment in foreign_fragments(lang, other):
            if fragment in seen and fragment not in content_texts:
                found.append(f"{other} string on a {lang} screen: {fragment!r}")
    without_names = seen
    for name in LANGUAGE_NAMES.values():
        without_names = without_names.replace(name, "")
    if lang == "en" and CYRILLIC.search(without_names):
        found.append(f"Cyrillic on an English screen: {CYRILLIC.search(without_names)}")
    if lang == "ru" and TAJIK_LETTERS.search(without_names):
        found.append(f"Tajik letters on a Russian screen: {TAJIK_LETTERS.search(without_names)}")
    return found


def content_text(harness: Harness, lang: str) -> str:
    """The content's own words in this language: a quotation in it is not an interface
    string left untranslated."""
    content = harness.services.content.current
    texts: list[str] = []
    for items in content.items.values():
        for item in items:
            for value in vars(item).values():
                if isinstance(value, dict) and lang in value:
                    texts.append(str(value[lang]))
    return "\n".join(texts)


@pytest.mark.parametrize("lang", ["ru", "tg", "en"])
async def test_every_screen_from_start_has_a_way_back_and_one_language(
    harness: Harness, lang: str
) -> None:
    user = harness.user(language_code=lang)
    start = await user.send("/start")
    queue: deque[Reply] = deque(start)
    pressed: set[str] = set()
    screens: set[tuple[str, tuple[str, ...]]] = set()
    problems: list[str] = []
    words = content_text(harness, lang)
    presses = 0
    while queue and presses < MAX_PRESSES:
        reply = queue.popleft()
        key = (reply.text, tuple(b.text for b in reply.flat_buttons))
        if key in screens:
            continue
        screens.add(key)
        if reply.method == "sendChatAction":  # "sending a photo…", not a screen
            continue
        problems += [
            f"{p} — on {reply.method}: {reply.text[:80]!r}" for p in problems_of(lang, reply, words)
        ]
        message: dict[str, Any] | None = reply.message
        if not message:
            continue
        for button in reply.flat_buttons:
            if not button.data or button.data in pressed or SKIPPED.match(button.data):
                continue
            pressed.add(button.data)
            presses += 1
            queue.extend(await user.press(data=button.data, message=message))
    assert presses > 40, presses  # the walk reached the whole bot, not one screen
    assert len(screens) > 30
    assert problems == []
