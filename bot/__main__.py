"""Command line: python -m bot [run | sandbox | check-content] [--version]."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bot import __version__
from bot.config import Config, ConfigError, level_number, load_config
from bot.content import CONTENT_DIR, ContentError, read_content
from bot.logs import setup_logging

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="UN–Tajikistan partnership Telegram bot"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot against Telegram (long polling; the default)")
    sandbox = sub.add_parser("sandbox", help="chat with the bot in this terminal, no token needed")
    sandbox.add_argument(
        "--telegram-language",
        default="en",
        help="the language code your fake Telegram app reports (default: en)",
    )
    check = sub.add_parser("check-content", help="validate content/ and print counts")
    check.add_argument("--content-dir", type=Path, default=CONTENT_DIR)
    return parser


def _fail(lines: Sequence[str], code: int = EXIT_USAGE) -> int:
    for line in lines:
        print(f"error: {line}", file=sys.stderr)
    return code


def check_content(content_dir: Path) -> int:
    try:
        content = read_content(content_dir)
    except ContentError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {content_dir}", file=sys.stderr)
        return 1
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
    setup_logging(level_number(config), secrets=(config.token or "",))

    if command == "check-content":
        return check_content(args.content_dir)
    if command == "sandbox":
        from bot.sandbox import run_sandbox

        if "DATABASE_PATH" not in os.environ:
            config = replace(config, database_path=Path("data") / "sandbox.sqlite3")
        try:
            return asyncio.run(run_sandbox(config, args.telegram_language))
        except KeyboardInterrupt:
            return 0
    return run_polling(config)


def run_polling(config: Config) -> int:
    try:
        config.require_token()
    except ConfigError as exc:
        return _fail(exc.problems)
    if check_content(CONTENT_DIR) != 0:
        return 1
    from bot.app import build_application

    app = build_application(config)
    app.run_polling(
        allowed_updates=[
            "message",
            "edited_message",
            "callback_query",
            "inline_query",
            "my_chat_member",
            "channel_post",
        ]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
