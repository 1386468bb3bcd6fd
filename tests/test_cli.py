"""The command line as a new user meets it: real processes, real exit codes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(
    args: list[str], env: dict[str, str] | None = None, stdin: str = "", cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("TELEGRAM_", "BOT_API", "DATABASE_", "ADMIN_", "TIMEZONE", "LOG_LEVEL")
        )
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, "PYTHONPATH": str(ROOT), **(env or {})},
        cwd=cwd,
    )


def test_run_without_token_says_one_clear_line_and_exits_2() -> None:
    result = run(["run"])
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "TELEGRAM_BOT_TOKEN is not set" in lines[0] and "python -m bot sandbox" in lines[0]
    assert "Traceback" not in result.stderr


def test_default_command_is_run() -> None:
    assert run([]).returncode == 2


def test_bad_config_lists_each_problem_without_traceback() -> None:
    result = run(["run"], env={"TIMEZONE": "Nowhere/Land", "ADMIN_IDS": "x", "LOG_LEVEL": "nope"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 3


def test_version() -> None:
    result = run(["--version"])
    assert result.returncode == 0 and "0.1.0" in result.stdout


def test_check_content_passes_on_shipped_content_and_prints_counts() -> None:
    result = run(["check-content"])
    assert result.returncode == 0, result.stderr
    assert "is valid" in result.stdout
    for kind in ("source", "period", "event", "fact", "agency", "contact", "term"):
        assert kind in result.stdout


def test_sandbox_transcript_and_language_survives_restart(tmp_path: Path) -> None:
    env = {"DATABASE_PATH": str(tmp_path / "sandbox.sqlite3")}
    first = run(["sandbox"], env=env, stdin="/start\n/help\n/about\n")
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert "you> /start" in out and "bot> Hello, Sandbox!" in out
    tajik = re.search(r"\[(\d+)\] 🇹🇯 Тоҷикӣ", out)  # the language keyboard, numbered
    assert tajik is not None
    assert "bot> What I can do" in out and "/about — About the bot and its sources" in out
    assert "UN–Tajikistan partnership bot" in out
    # press the Tajik button after /start, then ask for help: Tajik from then on
    second = run(["sandbox"], env=env, stdin=f"/start\n{tajik.group(1)}\n/help\n")
    assert "bot (edited)> Забон: Тоҷикӣ." in second.stdout
    assert "bot> Ман чӣ кор карда метавонам" in second.stdout
    third = run(["sandbox"], env=env, stdin="/help\n")  # a new process: the choice is in SQLite
    assert "bot> Ман чӣ кор карда метавонам" in third.stdout
    assert "Traceback" not in first.stderr + second.stderr + third.stderr


def test_sandbox_output_is_the_chat_not_log_lines(tmp_path: Path) -> None:
    result = run(["sandbox"], env={"DATABASE_PATH": str(tmp_path / "s.sqlite3")}, stdin="/help\n")
    assert "level=info" not in result.stdout + result.stderr
    assert result.stdout.startswith("you> /help")


def test_sandbox_options_are_listed_and_a_bad_clock_is_refused(tmp_path: Path) -> None:
    listed = run(["sandbox", "--help"])
    assert listed.returncode == 0
    for option in ("--staff", "--clock", "--telegram-language", "--files-dir"):
        assert option in listed.stdout
    refused = run(["sandbox", "--clock", "tomorrow"], env={"DATABASE_PATH": str(tmp_path / "s")})
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "not a time like 2027-03-02 08:59: 'tomorrow'" in refused.stderr


def test_sandbox_staff_needs_no_admin_ids(tmp_path: Path) -> None:
    env = {"DATABASE_PATH": str(tmp_path / "s.sqlite3")}
    staff = run(["sandbox", "--staff"], env=env, stdin="/help\n")
    assert "/post — Staff: send news to subscribers" in staff.stdout
    plain = run(["sandbox"], env=env, stdin="/help\n")
    assert "/post" not in plain.stdout


def test_migrate_db_refuses_what_is_not_postgresql_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "bot.sqlite3").touch()
    env = {"DATABASE_PATH": str(tmp_path / "bot.sqlite3")}
    result = run(["migrate-db", "--to", "sqlite:///other.sqlite3"], env=env)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == ("error: --to must be a postgresql:// URL, not 'sqlite'")
    result = run(
        ["migrate-db", "--to", "postgresql://bot@127.0.0.1:1/bot"],
        env={"DATABASE_PATH": str(tmp_path / "missing.sqlite3")},
    )
    assert result.returncode == 2 and "no SQLite database at" in result.stderr
    assert not (tmp_path / "missing.sqlite3").exists()
