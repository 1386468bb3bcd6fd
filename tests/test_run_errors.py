"""`python -m bot run` when Telegram refuses the token or cannot be reached: one clear line
each (what failed, what to check), a non-zero exit, never the token, no traceback."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

from fakegram.server import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
# A well-formed token that the fake server does not know (it answers 401, as Telegram does).
REJECTED = ":".join(("987654321", "rejected-token-XYZ-for-this-test-only-0"))


async def run_bot(api_root: str, tmp_path: Path) -> tuple[int, str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "BOT_API", "DATABASE_", "ADMIN_", "LOG_"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=REJECTED,
        BOT_API_BASE_URL=api_root,
        DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 90)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def assert_one_clear_line(code: int, out: str, err: str) -> str:
    assert code != 0
    assert REJECTED not in out + err and REJECTED.split(":")[1] not in out + err
    assert "Traceback" not in out + err
    lines = (out + err).strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


async def test_rejected_token_is_one_line_without_the_token(tmp_path: Path) -> None:
    api = FakeBotAPI()
    url = await api.start()
    try:
        code, out, err = await run_bot(url, tmp_path)
    finally:
        await api.stop()
    line = assert_one_clear_line(code, out, err)
    assert "rejected the bot token" in line and "TELEGRAM_BOT_TOKEN" in line
    assert "@BotFather" in line
    assert code == 1


async def test_no_network_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, out, err = await run_bot(f"http://127.0.0.1:{port}", tmp_path)
    line = assert_one_clear_line(code, out, err)
    assert "cannot reach the Telegram Bot API" in line and f"127.0.0.1:{port}" in line
    assert "network" in line and "BOT_API_BASE_URL" in line
    assert code == 1
