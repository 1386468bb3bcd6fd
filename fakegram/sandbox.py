"""`python -m bot sandbox`: chat with the real bot in a terminal, no Telegram token needed.

The fake Bot API and the bot run in this process; what the bot sends is printed with its
buttons numbered, and typing a number presses that button. With stdin not a terminal,
each line is one input and the transcript is printed, so scripts can drive it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TextIO

from bot.config import Config
from fakegram.harness import ChatUser, Harness, Replies
from fakegram.server import FakeBotAPI

SANDBOX_USER_ID = 1001


def format_replies(
    replies: Replies, numbered: list[tuple[str, str]], files: dict[str, Path] | None = None
) -> str:
    """Render replies as text; buttons get numbers, collected into `numbered`'s order.
    Pictures and documents are saved by the fake server; their paths are printed."""
    lines: list[str] = []
    for reply in replies:
        if reply.method == "answerCallbackQuery":
            lines.append(f"bot (notice)> {reply.text}")
            continue
        prefix = "bot (edited)> " if reply.method.startswith("edit") else "bot> "
        body = reply.text.replace("\n", "\n     ")
        lines.append(prefix + body)
        message = reply.message or {}
        sent = message.get("document") or (message.get("photo") or [None])[-1]
        if sent:
            path = (files or {}).get(sent["file_id"])
            lines.append(
                f"     [file saved: {path}]" if path else f"     [file: {sent['file_id']}]"
            )
        if reply.buttons:
            numbered.clear()
            for row in reply.buttons:
                cells = []
                for button in row:
                    numbered.append((button.text, button.data or ""))
                    cells.append(f"[{len(numbered)}] {button.text}")
                lines.append("     " + "  ".join(cells))
    return "\n".join(lines) if lines else "bot> (no answer)"


def _button_data(text: str, numbered: list[tuple[str, str]]) -> str | None:
    """A number presses that button, "[label]" the first button whose label contains it;
    "" when no such button, None when the input is a message, not a press."""
    if text.isdigit() and numbered:
        index = int(text) - 1
        return numbered[index][1] if 0 <= index < len(numbered) else ""
    if len(text) > 2 and text.startswith("[") and text.endswith("]"):
        wanted = text[1:-1]
        return next((data for label, data in numbered if wanted in label), "")
    return None


async def _inputs(stream: TextIO, interactive: bool) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    while True:
        if interactive:
            try:
                line = await loop.run_in_executor(None, input, "you> ")
            except EOFError:
                return
        else:
            line = await loop.run_in_executor(None, stream.readline)
            if not line:
                return
            line = line.rstrip("\n")
            print(f"you> {line}")
        yield line


async def run_sandbox(
    config: Config, telegram_language: str | None, files_dir: Path, stream: TextIO = sys.stdin
) -> int:
    data_dir = Path(config.database_path).parent
    interactive = stream.isatty()
    api = FakeBotAPI(files_dir=files_dir)
    async with Harness(data_dir, config=config, api=api) as harness:
        user: ChatUser = harness.user(
            language_code=telegram_language, first_name="Sandbox", user_id=SANDBOX_USER_ID
        )
        if interactive:
            print(
                "Sandbox: you are chatting with the bot on a fake Telegram. Type /start; "
                "a number, or [part of its label], presses that button; Ctrl-D quits."
            )
        numbered: list[tuple[str, str]] = []
        async for line in _inputs(stream, interactive):
            text = line.strip()
            if not text:
                continue
            data = _button_data(text, numbered)
            if data == "":
                print(f"(there is no button {text})")
                continue
            if data is not None:
                replies = await user.press(data=data)
            else:
                replies = await user.send(text)
            print(format_replies(replies, numbered, harness.api.state.files), flush=True)
    return 0
