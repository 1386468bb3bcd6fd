"""The bot's `run` command with a chosen content folder and timestamps of its start phases,
for bench.coldstart_bench. Not a benchmark by itself.

`python -m bot run` always reads the shipped content/ (bot.__main__ uses CONTENT_DIR and
build_application's default), so to start the real CLI path on the ×100 content this
child runs the same bot.__main__.main(["run"]) with two names rebound: the CLI's
CONTENT_DIR and bot.app.build_application's content_dir. Every phase of the start is
wrapped (not changed) to record when it began and ended, written as JSON to the file
named by BENCH_PHASES after each phase (the process is stopped from outside).

    BENCH_PHASES=phases.json python -m bench._coldstart_child CONTENT_DIR
"""

from __future__ import annotations

import time

STARTED = time.monotonic()

import functools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

PHASES: dict[str, list[float]] = {"child started": [STARTED, STARTED]}


def record(name: str, began: float) -> None:
    PHASES[name] = [began, time.monotonic()]
    target = os.environ.get("BENCH_PHASES")
    if target:
        Path(target).write_text(json.dumps(PHASES))


def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def sync(*args: Any, **kwargs: Any) -> Any:
        began = time.monotonic()
        try:
            return fn(*args, **kwargs)
        finally:
            record(name, began)

    @functools.wraps(fn)
    async def coro(*args: Any, **kwargs: Any) -> Any:
        began = time.monotonic()
        try:
            return await fn(*args, **kwargs)
        finally:
            record(name, began)

    import inspect

    return coro if inspect.iscoroutinefunction(fn) else sync


def main() -> int:
    content_dir = Path(sys.argv[1])
    began = time.monotonic()
    import bot.__main__ as cli
    import bot.app
    import bot.content.store
    import bot.storage
    import handlers  # noqa: F401  (imported by build_application anyway: time it here)

    record("imports (bot, handlers, telegram, babel)", began)
    cli.CONTENT_DIR = content_dir
    cli.check_content = timed("check-content (the CLI validates content/)", cli.check_content)
    original_build = bot.app.build_application
    bot.app.build_application = timed(  # type: ignore[assignment]
        "build_application", functools.partial(original_build, content_dir=content_dir)
    )
    bot.app._post_init = timed("post_init (everything below)", bot.app._post_init)
    open_db = bot.storage.Database.open.__func__  # type: ignore[attr-defined]
    bot.storage.Database.open = classmethod(timed("database open and migrations", open_db))  # type: ignore[assignment]
    bot.content.store.ContentStore.load = timed(  # type: ignore[method-assign]
        "content load (read, validate, index, SQLite)", bot.content.store.ContentStore.load
    )
    bot.app.I18n = timed("translations (I18n: .po compiled in memory)", bot.app.I18n)  # type: ignore[misc]
    bot.app.publish_command_menus = timed(
        "command menus (setMyCommands)", bot.app.publish_command_menus
    )
    bot.app.start_delivery = timed("outbox sender started", bot.app.start_delivery)
    return cli.main(["run"])


if __name__ == "__main__":
    sys.exit(main())
