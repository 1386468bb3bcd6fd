"""The bot as its own process (`python -m bot …`) against the fake Bot API: for the tests
that kill it (SIGKILL, SIGTERM) or run several instances side by side, which one event loop
in the test's process cannot stand in for."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fakegram.pgserver import database_env
from fakegram.protocol import FAKE_TOKEN
from fakegram.server import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
# What the child takes from this test's environment only if the test says so.
OWN_PREFIXES = (
    "TELEGRAM_",
    "BOT_API",
    "DATABASE_",
    "ADMIN_",
    "PUSH_",
    "WEBHOOK_",
    "INSTANCE_",
    "LOG_",
)


def bot_env(api: FakeBotAPI, db_target: Path | str, **settings: str) -> dict[str, str]:
    """The environment of a bot on `api` and `db_target` (a SQLite file or a postgresql://
    URL), with `settings` (e.g. PUSH_RATE="100") on top."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)},
        "TELEGRAM_BOT_TOKEN": FAKE_TOKEN,
        "BOT_API_BASE_URL": api.url,
        **database_env(db_target),
        "PYTHONPATH": str(ROOT),
        **settings,
    }


def start_bot(
    api: FakeBotAPI,
    db_target: Path | str,
    log: Path,
    *,
    command: str = "run",
    **settings: str,
) -> subprocess.Popen[bytes]:
    """`python -m bot <command>`, its output appended to `log`."""
    with log.open("ab") as output:  # the child has its own copy of the file
        return subprocess.Popen(
            [sys.executable, "-m", "bot", command],
            cwd=ROOT,
            env=bot_env(api, db_target, **settings),
            stdout=output,
            stderr=subprocess.STDOUT,
        )


async def wait_until(predicate: Callable[[], object], timeout: float = 60.0) -> None:
    """Poll without blocking the loop: the fake Bot API, in this loop, must keep answering."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.05)


async def exit_code(process: subprocess.Popen[bytes], timeout: float = 30.0) -> int | None:
    await wait_until(lambda: process.poll() is not None, timeout)
    return process.poll()


def stop_all(*processes: subprocess.Popen[bytes] | None) -> None:
    """Kill what is still running (a test's `finally`)."""
    for process in processes:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(10)


def json_log(log: Path) -> Iterator[dict[str, Any]]:
    """The lines of a LOG_FORMAT=json log (other lines, e.g. a traceback, skipped)."""
    if not log.exists():
        return
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                yield json.loads(line)
            except ValueError:
                continue
