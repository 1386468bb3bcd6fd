"""The sandbox's main loop: the fake Bot API and the bot started, one input at a time,
Ctrl-C and Ctrl-D ending it within a second whatever the bot is doing."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import TextIO, TypeVar

from bot.config import Config
from fakegram.harness import Harness
from fakegram.records import FakeUser
from fakegram.sandbox.commands import HELP
from fakegram.sandbox.render import Style
from fakegram.sandbox.session import (
    CHANNEL_ID,
    CHANNEL_TITLE,
    CHANNEL_USERNAME,
    SANDBOX_USER_ID,
    Session,
)
from fakegram.sandbox.terminal import LineReader, Quit
from fakegram.server import FakeBotAPI

SHUTDOWN_GRACE = 0.7  # seconds: Ctrl-C must end the sandbox within a second

T = TypeVar("T")


async def _next_line(reader: LineReader, session: Session) -> str:
    """The user's next line; on a terminal, pushes show meanwhile (a script's transcript
    has each answer after its input instead)."""
    watcher = asyncio.ensure_future(session.watch(reader)) if reader.interactive else None
    try:
        return await reader.read(session.prompt)
    finally:
        if watcher is not None:
            watcher.cancel()


async def _unless_interrupted(reader: LineReader, work: Awaitable[T]) -> T:
    """Ctrl-C ends the sandbox even while the bot is still busy."""
    task = asyncio.ensure_future(work)
    stop = asyncio.ensure_future(reader.interrupted.wait())
    try:
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    if not task.done():
        task.cancel()
        raise Quit
    return task.result()


async def run_sandbox(
    config: Config,
    telegram_language: str | None,
    files_dir: Path,
    stream: TextIO = sys.stdin,
    *,
    staff: bool = False,
    clock: dt.datetime | None = None,
) -> int:
    data_dir = Path(config.database_path).parent
    reader = LineReader(stream, history=data_dir / "sandbox-history")
    style = Style(ansi=sys.stdout.isatty())
    api = FakeBotAPI(files_dir=files_dir)
    api.add_channel(CHANNEL_USERNAME, CHANNEL_ID, CHANNEL_TITLE, bot_can_post=True)
    admins = config.admin_ids | {SANDBOX_USER_ID} if staff else config.admin_ids
    harness = Harness(data_dir, config=config, api=api, admin_ids=admins)
    if clock is not None:
        harness.set_now(clock.replace(tzinfo=clock.tzinfo or config.timezone))
    user = FakeUser(SANDBOX_USER_ID, "Sandbox", telegram_language)
    await harness.__aenter__()
    try:
        session = Session(harness, user, style, sys.stdout)
        with reader.active():
            if reader.interactive:
                session.say(
                    HELP + ("\nYou are staff: /post, /broadcasts, /stats …" if staff else "")
                )
            while True:
                try:
                    line = await _next_line(reader, session)
                    if not reader.interactive:
                        session.say(session.prompt + line)
                    await _unless_interrupted(reader, session.handle(line))
                except Quit:
                    break
    finally:
        if reader.interactive:
            print(flush=True)
        # The process ends soon anyway: SQLite keeps what was committed.
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(harness.__aexit__(None, None, None), SHUTDOWN_GRACE)
    return 0
