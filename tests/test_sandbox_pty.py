"""The sandbox in a real (pseudo-)terminal, as a newcomer meets it: readline editing and
history, ANSI styles, Ctrl-C and Ctrl-D ending it at once."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROMPT = re.compile(r"you(?: \[[^\]\n]*\])?> $")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r")
LEFT, RIGHT, UP, BACKSPACE = "\x1b[D", "\x1b[C", "\x1b[A", "\x7f"


def plain(text: str) -> str:
    return ANSI.sub("", text)


class Terminal:
    """`python -m bot sandbox` with a pseudo-terminal for its stdin, stdout and stderr."""

    def __init__(self, tmp: Path, args: list[str]) -> None:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TELEGRAM_", "BOT_API", "DATABASE_", "ADMIN_", "TIMEZONE", "LOG_"))
        }
        env.update(PYTHONPATH=str(ROOT), DATABASE_PATH=str(tmp / "sandbox.sqlite3"), TERM="xterm")
        pid, fd = pty.fork()
        if pid == 0:  # the child: becomes the sandbox
            os.chdir(tmp)
            os.execve(sys.executable, [sys.executable, "-m", "bot", "sandbox", *args], env)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 60, 250, 0, 0))
        self.raw = ""
        self.status: int | None = None

    def read_until(self, pattern: re.Pattern[str], timeout: float = 30.0) -> str:
        """Everything up to and including the first match of `pattern` (on plain text)."""
        deadline = time.monotonic() + timeout
        while True:
            match = pattern.search(plain(self.raw))
            if match:
                text = plain(self.raw)
                self.raw = ""
                return text[: match.end()]
            if not self._read(deadline - time.monotonic()):
                raise AssertionError(f"no {pattern.pattern!r} in {plain(self.raw)!r}")

    def _read(self, timeout: float) -> bool:
        if timeout <= 0:
            return False
        ready, _, _ = select.select([self.fd], [], [], min(timeout, 0.05))
        if ready:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return False
            if not data:
                return False
            self.raw += data.decode(errors="replace")
        return True

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def line(self, text: str) -> str:
        """Type a line and Enter; what the sandbox printed before its next prompt."""
        self.type(text + "\r")
        answer = self.read_until(re.compile(r"\n" + PROMPT.pattern, re.M))
        return answer[: answer.rindex("\n") + 1]

    def wait_exit(self, timeout: float) -> float:
        """Seconds until the process ended (fails after `timeout`)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
                return time.monotonic() - started
            self._read(0.02)
        raise AssertionError(f"still running after {timeout} s")

    def close(self) -> None:
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        os.close(self.fd)


@pytest.fixture
def terminal(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Terminal]:
    term = Terminal(tmp_path, list(getattr(request, "param", [])))  # the sandbox's arguments
    try:
        term.read_until(PROMPT)  # the greeting, then the first prompt
        yield term
    finally:
        term.close()


@pytest.mark.parametrize("terminal", [["--clock", "2027-02-28 12:00"]], indirect=True)
def test_year_search_and_buttons_under_a_terminal(terminal: Terminal) -> None:
    found = terminal.line("1997")
    assert "bot> Found for “1997”:" in found and "[1] 1  [2] 2" in found
    assert "bot> 📅 27 June 1997" in terminal.line("1")
    again = terminal.line("7")  # the event has one button (home): "7" is a message, a search
    assert "bot> Found for “7”" in again or "bot> I found nothing for “7”" in again
    menu = terminal.line("/start")
    assert "[2] 📜 History" in menu
    assert "Period 1 of" in terminal.line("[History]")
    assert "(there is no button #99 on screen)" in terminal.line("#99")


@pytest.mark.parametrize("terminal", [["--clock", "2027-02-28 12:00"]], indirect=True)
def test_inline_pages_a_url_button_and_a_group_member_under_a_terminal(terminal: Terminal) -> None:
    assert "results 1–20, @more for the next page" in terminal.line("@ UN")
    assert "results 21–40" in terminal.line("@more")
    terminal.line("@ glaciers")
    shared = terminal.line("1")
    assert "you (via @un_tj_test_bot)> 📅 2025" in shared
    assert "<https://t.me/un_tj_test_bot?start=event_glaciers-year-2025>" in shared
    opened = terminal.line("1")
    assert "opens your private chat with @un_tj_test_bot" in opened
    assert "bot> 📅 2025" in opened
    assert "as a member, not an admin" in terminal.line("/as member")
    refused = terminal.line("/settings")
    assert "bot> Only the group's admins can change its settings." in refused


@pytest.mark.parametrize(
    "terminal",
    [["--staff", "--telegram-language", "ru", "--clock", "2027-02-28 12:00"]],
    indirect=True,
)
def test_staff_news_and_the_reminder_as_pushes_under_a_terminal(terminal: Terminal) -> None:
    terminal.line("/subscribe")
    terminal.line("/post")
    terminal.line("Новость из песочницы")
    terminal.line("[Пропустить]")
    terminal.line("[Пропустить]")
    sent = terminal.line("[Отправить]")
    assert "bot (push)> Новость из песочницы" in sent
    assert "bot (push)" not in terminal.line("/clock 2027-03-02 08:59")
    due = terminal.line("/clock 09:00")
    assert "bot (push)> 📅 В этот день 35 лет назад: " in due


def test_formatting_is_styled_on_a_terminal(terminal: Terminal) -> None:
    terminal.type("/help\r")
    deadline = time.monotonic() + 30
    while "What I can do" not in terminal.raw and terminal._read(deadline - time.monotonic()):
        pass
    assert "\x1b[1mWhat I can do\x1b[0m" in terminal.raw  # bold, as Telegram shows it


def test_line_editing_and_history(terminal: Terminal) -> None:
    # "/hepl", then ←, Backspace (the "p"), → , "p": "/help" — the escape codes never reach the bot
    answer = terminal.line(f"/hepl{LEFT}{BACKSPACE}{RIGHT}p")
    assert "bot> What I can do" in answer and "[D" not in answer
    again = terminal.line(UP)  # the previous line, recalled
    assert "bot> What I can do" in again


def test_ctrl_c_at_the_prompt_quits_within_a_second(terminal: Terminal) -> None:
    terminal.type("\x03")
    assert terminal.wait_exit(5.0) < 1.0
    assert terminal.status == 0
    assert "Traceback" not in terminal.raw


@pytest.mark.parametrize("terminal", [["--staff"]], indirect=True)
def test_ctrl_c_while_the_bot_is_busy_quits_within_a_second(terminal: Terminal) -> None:
    terminal.line("/subscribe")
    terminal.line("/post")
    terminal.line("News")
    terminal.line("[Skip]")
    terminal.line("[Skip]")
    terminal.type("[Send]\r")  # the progress message is followed for a second: busy
    terminal.read_until(re.compile("Queued for"))
    terminal.type("\x03")
    assert terminal.wait_exit(5.0) < 1.0
    assert "Traceback" not in terminal.raw


def test_ctrl_d_quits_and_leaves_the_terminal_as_it_was(terminal: Terminal) -> None:
    terminal.line("/help")
    terminal.type("\x04")
    assert terminal.wait_exit(5.0) < 1.0
    assert terminal.status == 0
    mode = termios.tcgetattr(terminal.fd)  # readline's raw mode is undone: echo, lines
    assert mode[3] & termios.ECHO and mode[3] & termios.ICANON
