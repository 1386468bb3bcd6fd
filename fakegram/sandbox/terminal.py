"""Lines in, from a terminal (readline: editing and history) or a pipe, read in a thread of
their own so that Ctrl-C and Ctrl-D end the sandbox at once, whatever the bot is doing."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

HISTORY_LINES = 1000


class Quit(Exception):
    """Ctrl-C or Ctrl-D (or the end of a piped script)."""


class LineReader:
    """Reads one line when asked (a terminal shows its prompt only once the bot's answer
    is printed); a daemon thread, so a blocked read never holds up the exit."""

    def __init__(self, stream: TextIO, history: Path | None = None) -> None:
        self.stream = stream
        self.interactive = stream.isatty()
        self.history = history if self.interactive else None
        self._wanted = threading.Semaphore(0)
        self._prompt = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._answer: asyncio.Future[str | None] | None = None
        self._thread: threading.Thread | None = None
        self.interrupted = asyncio.Event()

    @contextlib.contextmanager
    def active(self) -> Iterator[LineReader]:
        """Readline and its history, Ctrl-C as a quit, the terminal as it was afterwards."""
        self._loop = asyncio.get_running_loop()
        saved = _terminal_mode(self.stream)
        if self.interactive:
            _start_readline(self.history)
        with contextlib.suppress(NotImplementedError, RuntimeError):
            self._loop.add_signal_handler(signal.SIGINT, self.interrupted.set)
        self._thread = threading.Thread(target=self._read_loop, name="sandbox-input", daemon=True)
        self._thread.start()
        try:
            yield self
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                self._loop.remove_signal_handler(signal.SIGINT)
            if self.interactive:
                _save_history(self.history)
            _restore_terminal(self.stream, saved)

    async def read(self, prompt: str) -> str:
        """The next line; Quit on Ctrl-C, Ctrl-D or the end of the input."""
        assert self._loop is not None
        self._answer = self._loop.create_future()
        self._prompt = prompt
        self._wanted.release()
        interrupted: asyncio.Future[Any] = asyncio.ensure_future(self.interrupted.wait())
        try:
            waits: set[asyncio.Future[Any]] = {self._answer, interrupted}
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            interrupted.cancel()
        if self._answer not in done or self._answer.result() is None:
            raise Quit
        return self._answer.result() or ""

    def redraw(self, prompt: str) -> str:
        """The prompt and what the user has typed so far, to show again after a push."""
        readline = sys.modules.get("readline")
        return prompt + (readline.get_line_buffer() if readline is not None else "")

    def _read_loop(self) -> None:
        while True:
            self._wanted.acquire()
            line: str | None
            try:
                if self.interactive:
                    line = input(self._prompt)
                else:
                    raw = self.stream.readline()
                    line = raw.rstrip("\r\n") if raw else None
            except (EOFError, KeyboardInterrupt, OSError, ValueError):
                line = None
            self._deliver(line)
            if line is None:
                return

    def _deliver(self, line: str | None) -> None:
        answer, loop = self._answer, self._loop
        if answer is None or loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_set, answer, line)


def _set(future: asyncio.Future[str | None], line: str | None) -> None:
    if not future.done():
        future.set_result(line)


def _start_readline(history: Path | None) -> None:
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input() still works
        return
    readline.set_history_length(HISTORY_LINES)
    if history is not None and history.exists():
        with contextlib.suppress(OSError):
            readline.read_history_file(history)


def _save_history(history: Path | None) -> None:
    if history is None or "readline" not in sys.modules:
        return
    import readline

    with contextlib.suppress(OSError):
        history.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(history)


def _terminal_mode(stream: TextIO) -> list[Any] | None:
    """The terminal's settings, to put back even when a read was cut short."""
    if not stream.isatty():
        return None
    try:
        import termios

        return list(termios.tcgetattr(stream.fileno()))
    except (ImportError, OSError, ValueError, termios.error):
        return None


def _restore_terminal(stream: TextIO, saved: list[Any] | None) -> None:
    if saved is None:
        return
    import termios

    with contextlib.suppress(OSError, ValueError, termios.error):
        termios.tcsetattr(stream.fileno(), termios.TCSADRAIN, saved)
