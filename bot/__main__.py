"""Command line: python -m bot [run | sandbox | check-content] [--version]."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from bot import __version__
from bot.config import Config, ConfigError, level_number, load_config
from bot.content.checks import ContentError
from bot.content.model import CONTENT_DIR
from bot.content.validation import read_content
from bot.logs import setup_logging

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="UN–Tajikistan partnership Telegram bot"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot against Telegram (long polling; the default)")
    sub.add_parser("webhook", help="run with a webhook: WEBHOOK_URL, WEBHOOK_SECRET, …")
    sub.add_parser("health", help="report the running bot's health (exit 0 healthy, 1 not)")
    sandbox = sub.add_parser("sandbox", help="chat with the bot in this terminal, no token needed")
    sandbox.add_argument(
        "--telegram-language",
        default="en",
        help="the language code your fake Telegram app reports (default: en)",
    )
    sandbox.add_argument(
        "--staff", action="store_true", help="you are staff (/post, /broadcasts, /stats, …)"
    )
    sandbox.add_argument(
        "--clock",
        metavar="'YYYY-MM-DD HH:MM'",
        type=_clock,
        help="start with the clock set to this time (the bot's time zone); see /clock",
    )
    sandbox.add_argument(
        "--files-dir",
        type=Path,
        default=Path("sandbox-files"),
        help="where pictures and documents the bot sends are saved (default: sandbox-files)",
    )
    check = sub.add_parser("check-content", help="validate content/ and print counts")
    check.add_argument("--content-dir", type=Path, default=CONTENT_DIR)
    return parser


def _clock(text: str) -> dt.datetime:
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"not a time like 2027-03-02 08:59: {text!r}")


def _fail(lines: Sequence[str], code: int = EXIT_USAGE) -> int:
    for line in lines:
        print(f"error: {line}", file=sys.stderr)
    return code


def _content_problems(exc: ContentError, content_dir: Path) -> int:
    for problem in exc.problems:
        print(f"error: {problem}", file=sys.stderr)
    print(f"{len(exc.problems)} problem(s) in {content_dir}", file=sys.stderr)
    return 1


def check_content(content_dir: Path) -> int:
    try:
        content = read_content(content_dir)
    except ContentError as exc:
        return _content_problems(exc, content_dir)
    print(f"content in {content_dir} is valid")
    for kind, count in content.counts().items():
        print(f"  {kind:<8} {count:>4}  (each in ru, tg, en)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    try:
        config = load_config(os.environ)
    except ConfigError as exc:
        return _fail(exc.problems)
    level = level_number(config)
    if command == "sandbox" and "LOG_LEVEL" not in os.environ:
        level = max(level, logging.WARNING)  # the chat is the output; log lines would drown it
    setup_logging(
        level,
        secrets=(config.token or "", config.webhook_secret or ""),
        fmt=config.log_format,
    )

    if command == "check-content":
        return check_content(args.content_dir)
    if command == "sandbox":
        from fakegram.sandbox import run_sandbox

        if "DATABASE_PATH" not in os.environ:
            config = replace(config, database_path=Path("data") / "sandbox.sqlite3")
        try:
            return asyncio.run(
                run_sandbox(
                    config,
                    args.telegram_language,
                    args.files_dir.resolve(),
                    staff=args.staff,
                    clock=args.clock,
                )
            )
        except KeyboardInterrupt:
            return 0
    if command == "health":
        if not Path(config.database_path).exists():
            print('{"healthy": false, "problems": ["database not found"]}')
            return 1
        return asyncio.run(health(config))
    return run_bot(config, webhook=command == "webhook")


def run_bot(config: Config, *, webhook: bool = False) -> int:
    """Polling (the default) or webhook; SIGTERM/SIGINT stop it gracefully either way."""
    try:
        config.require_token()
        hook = config.require_webhook() if webhook else None
    except ConfigError as exc:
        return _fail(exc.problems)
    from bot.app import ALLOWED_UPDATES, build_application
    from handlers import FEATURES  # the entry point is where the core meets the features

    app = build_application(config, features=FEATURES)
    try:
        if hook is None:
            app.run_polling(allowed_updates=list(ALLOWED_UPDATES))
            return 0
        url, secret = hook
        app.run_webhook(
            listen=config.webhook_listen,
            port=config.webhook_port,
            url_path=urlsplit(url).path.lstrip("/"),
            webhook_url=url,
            secret_token=secret,
            allowed_updates=list(ALLOWED_UPDATES),
        )
    except ContentError as exc:  # content/ changed and is invalid: say what, start nothing
        return _content_problems(exc, CONTENT_DIR)
    return 0


async def health(config: Config) -> int:
    """Print the bot's health as JSON; exit 0 when healthy (the Docker HEALTHCHECK)."""
    import json
    import time

    from bot.health import verdict
    from bot.storage import Database

    try:
        db = await Database.open(config.database_path)
        try:
            report = await db.status.health()
        finally:
            await db.close()
    except Exception as exc:
        print(json.dumps({"healthy": False, "problems": [f"database unreachable: {exc}"]}))
        return 1
    healthy, problems = verdict(report, time.time())
    print(json.dumps({"healthy": healthy, "problems": problems, **report}))
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
