"""Operations: webhook mode, logs without the token, health probe, Dockerfile essentials."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.logs import REDACTED, setup_logging
from bot.reminders import queue_reminders
from fakegram.harness import Harness
from fakegram.pgserver import database_env
from fakegram.protocol import FAKE_TOKEN

ROOT = Path(__file__).resolve().parent.parent
SECRET = "s3cret-for-tests"


async def test_webhook_accepts_only_the_right_secret(tmp_path: Path, small_content: Path) -> None:
    async with Harness(tmp_path, content_dir=small_content, webhook_secret=SECRET) as bot:
        assert bot.api.calls("setWebhook")[-1].params["secret_token"] == SECRET
        user = bot.user(language_code="en")
        update = {
            "update_id": 424242,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": bot.api.private_chat(user.user),
                "from": user.user.to_dict(),
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }
        async with httpx.AsyncClient() as client:
            refused = [
                await client.post(bot.webhook_url, json=update),
                await client.post(
                    bot.webhook_url,
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
                ),
            ]
            assert [r.status_code for r in refused] == [403, 403]
            before = bot.api.last_seq
            accepted = await client.post(
                bot.webhook_url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            )
            assert accepted.status_code == 200
        reply = await bot.api.wait_for_call(lambda c: c.method == "sendMessage", after=before)
        assert reply.params["chat_id"] == user.chat_id and "What I can do" in reply.params["text"]
        assert not bot.api.calls("sendMessage", after=reply.seq)  # the refused ones did nothing


async def test_a_full_session_logs_no_token(tmp_path: Path, small_content: Path) -> None:
    stream = io.StringIO()
    setup_logging(logging.DEBUG, secrets=(FAKE_TOKEN,), stream=stream)
    try:
        async with Harness(tmp_path, content_dir=small_content) as bot:
            user = bot.user(language_code="en")
            for text in ("/start", "/help", "/facts", "/subscribe", "glaciers", "/nonsense"):
                await user.send(text)
            bot.api.fail("sendMessage", 500, times=1)  # an error with a traceback
            await user.send("/about")
            await queue_reminders(bot.services)
            await user.inline("un")
    finally:
        logging.getLogger().handlers.clear()
    text = stream.getvalue()
    assert "update handled" in text and "Traceback" in text  # the session was really logged
    assert REDACTED in text  # httpx's request lines had the token in their URLs
    secret_part = FAKE_TOKEN.split(":")[1]
    assert FAKE_TOKEN not in text and secret_part not in text
    line = next(ln for ln in text.splitlines() if "update handled" in ln and "handler=help" in ln)
    assert "update_id=" in line and "user_id=" in line


def test_json_log_lines_are_one_json_object_each() -> None:
    stream = io.StringIO()
    setup_logging(logging.INFO, secrets=(FAKE_TOKEN,), stream=stream, fmt="json")
    try:
        try:
            raise RuntimeError(f"url /bot{FAKE_TOKEN}/getMe")
        except RuntimeError:
            logging.getLogger("bot").exception("failed")
    finally:
        logging.getLogger().handlers.clear()
    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["level"] == "error" and record["msg"] == "failed" and REDACTED in record["exc"]


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "WEBHOOK_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **env},
        cwd=ROOT,
    )


def test_webhook_mode_needs_url_and_secret() -> None:
    result = run_cli(["webhook"], {"TELEGRAM_BOT_TOKEN": FAKE_TOKEN})
    assert result.returncode == 2
    assert (
        "WEBHOOK_URL is not set" in result.stderr and "WEBHOOK_SECRET is not set" in result.stderr
    )
    bad = run_cli(
        ["webhook"],
        {
            "TELEGRAM_BOT_TOKEN": FAKE_TOKEN,
            "WEBHOOK_URL": "http://example.org/x",
            "WEBHOOK_SECRET": "has spaces",
        },
    )
    assert "must use https" in bad.stderr and "WEBHOOK_SECRET must be" in bad.stderr


def names_database(shown: str, target: Path | str) -> bool:
    """Health names the database: the file's full path, or the URL's database (the URL of a
    deployment may hold a password, which health would not show)."""
    if isinstance(target, Path):
        return shown == str(target.resolve())
    return shown.endswith("/" + target.rsplit("/", 1)[1])


async def test_health_probe_reports_a_running_bot(
    tmp_path: Path, small_content: Path, db_target: Path | str
) -> None:
    db_env = database_env(db_target)  # the bot's database: its file, or DATABASE_URL
    missing = run_cli(["health"], {"DATABASE_PATH": str(tmp_path / "nothing.sqlite3")})
    assert missing.returncode == 1 and "database not found" in missing.stdout
    async with Harness(tmp_path, content_dir=small_content) as bot:
        await bot.services.db.status.set({})  # the heartbeat job runs 0.1 s after start
        for _ in range(50):
            report = await bot.services.db.status.health()
            if "last_api_ok" in report:
                break
            import asyncio

            await asyncio.sleep(0.05)
        result = run_cli(["health"], db_env)
        assert result.returncode == 0, result.stdout
        report = json.loads(result.stdout)
        assert (
            report["healthy"] is True
            and report["content_items"] > 0
            and report["outbox_backlog"] == 0
        )
        # what an operator acts on, and no internal keys (cache entries, raw timestamps)
        assert set(report) == {
            "healthy", "problems", "database", "version", "content_items", "outbox_backlog",
            "seconds_since_heartbeat", "seconds_since_bot_api_ok",
        }
        assert names_database(report["database"], db_target)
        assert 0 <= report["seconds_since_heartbeat"] < 60
    await_stale = run_cli(["health"], db_env)
    assert await_stale.returncode == 0  # within two minutes of the last heartbeat it is still fine


def test_dockerfile_essentials() -> None:
    """Docker cannot run on the build machines here; check what the image must have."""
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [
        ln.strip()
        for ln in dockerfile.splitlines()
        if ln.strip() and not ln.strip().startswith("#")
    ]
    froms = [ln for ln in lines if ln.startswith("FROM ")]
    assert froms and all("python:3" in ln and "slim" in ln for ln in froms)
    assert any(ln.startswith("USER ") and "root" not in ln for ln in lines)
    assert any(ln.startswith("VOLUME") and "/data" in ln for ln in lines)
    assert any(ln.startswith("HEALTHCHECK") and '"bot", "health"' in ln for ln in lines)
    assert any(ln.startswith("STOPSIGNAL SIGTERM") for ln in lines)
    assert any("pybabel compile" in ln for ln in lines)
    assert any("DATABASE_PATH=/data/" in ln for ln in lines)
    assert 'CMD ["python", "-m", "bot", "run"]' in dockerfile
    compose = (ROOT / "compose.yaml").read_text()
    assert "env_file" in compose and "/data" in compose
    ignored = (ROOT / ".dockerignore").read_text()
    assert ".venv" in ignored and "data" in ignored


@pytest.mark.skipif(
    os.environ.get("DOCKER_TESTS") != "1", reason="needs a Docker engine (DOCKER_TESTS=1)"
)
def test_docker_image_builds_and_runs_as_non_root() -> None:
    subprocess.run(["docker", "build", "-t", "un-tj-bot:test", str(ROOT)], check=True, timeout=900)
    user = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "id", "un-tj-bot:test", "-u"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert user.stdout.strip() != "0"
