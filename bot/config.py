"""Configuration from environment variables, validated once at start.

Every bad value is reported with the variable's name and what would be accepted, so an
operator fixes the whole environment in one go instead of one crash at a time.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TELEGRAM_API = "https://api.telegram.org"
DEFAULT_DATABASE = Path("data") / "bot.sqlite3"
DEFAULT_TIMEZONE = "Asia/Dushanbe"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Bot API tokens are "<bot id>:<secret>"; the secret is 35 characters today.
TOKEN_RE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,64}$")


class ConfigError(Exception):
    """One or more environment variables are invalid; str() lists them all."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Config:
    token: str | None = field(repr=False)
    api_root: str = TELEGRAM_API
    database_path: Path = DEFAULT_DATABASE
    # postgresql://…: the shared state in PostgreSQL, for several instances (else SQLite)
    database_url: str | None = field(default=None, repr=False)
    instance_name: str = ""  # INSTANCE_NAME: this process among those sharing PostgreSQL
    admin_ids: frozenset[int] = frozenset()
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))
    log_level: str = "INFO"
    push_rate: float = 29.0  # messages a second the outbox sender may push (0: unlimited)
    log_format: str = "text"
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443

    def require_webhook(self) -> tuple[str, str]:
        problems = []
        if not self.webhook_url:
            problems.append(
                "WEBHOOK_URL is not set: give the public https URL Telegram should post to "
                "(e.g. https://bot.example.org/telegram)"
            )
        if not self.webhook_secret:
            problems.append(
                "WEBHOOK_SECRET is not set: give 1-256 letters, digits, '_' or '-'; requests "
                "without it are refused"
            )
        if problems:
            raise ConfigError(problems)
        assert self.webhook_url and self.webhook_secret
        return self.webhook_url, self.webhook_secret

    @property
    def database(self) -> Path | str:
        """What Database.open takes: the PostgreSQL URL when there is one, else the file."""
        return self.database_url or self.database_path

    @property
    def database_shown(self) -> str:
        """The database for an operator's eyes: the file, or the URL without its password."""
        if not self.database_url:
            return str(Path(self.database_path).resolve())
        parts = urlsplit(self.database_url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        user = f"{parts.username}@" if parts.username else ""
        return f"{parts.scheme}://{user}{host}{port}{parts.path}"

    @property
    def base_url(self) -> str:
        """PTB's base_url: the token is appended to it."""
        return f"{self.api_root}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.api_root}/file/bot"

    def require_token(self) -> str:
        if not self.token:
            raise ConfigError(
                [
                    "TELEGRAM_BOT_TOKEN is not set: set it to the token from @BotFather, "
                    "or try the bot without one: python -m bot sandbox"
                ]
            )
        return self.token


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_config(env: Mapping[str, str]) -> Config:
    """Build a Config from an environment mapping, or raise ConfigError listing every problem."""
    problems: list[str] = []

    token = env.get("TELEGRAM_BOT_TOKEN", "").strip() or None
    if token is not None and not TOKEN_RE.match(token):
        # Never echo the value: a mistyped token is still mostly a secret.
        problems.append(
            "TELEGRAM_BOT_TOKEN does not look like a bot token "
            "(expected digits, a colon and at least 30 letters, digits, '_' or '-', "
            "as @BotFather gives it)"
        )

    api_root = env.get("BOT_API_BASE_URL", "").strip().rstrip("/") or TELEGRAM_API
    parts = urlsplit(api_root)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(
            f"BOT_API_BASE_URL={api_root!r} is not an http(s) URL "
            f"(for example {TELEGRAM_API} or http://127.0.0.1:8081)"
        )
    elif parts.scheme == "http" and not _is_loopback(parts.hostname):
        problems.append(
            f"BOT_API_BASE_URL={api_root!r} uses plain http to a remote host, "
            "which would send the token in clear text: use https, or a loopback address"
        )
    elif parts.path.endswith("/bot") or parts.query or parts.fragment:
        problems.append(
            f"BOT_API_BASE_URL={api_root!r} should be the server's root, without '/bot', "
            f"a query or a fragment (for example {TELEGRAM_API})"
        )

    db_raw = env.get("DATABASE_PATH", "").strip()
    database_path = Path(db_raw) if db_raw else DEFAULT_DATABASE
    if database_path.exists() and database_path.is_dir():
        problems.append(f"DATABASE_PATH={db_raw!r} is a directory; give a file path")
    database_url = env.get("DATABASE_URL", "").strip() or None
    if database_url is not None:
        db_parts = urlsplit(database_url)
        if db_parts.scheme not in ("postgresql", "postgres") or not db_parts.hostname:
            problems.append(
                "DATABASE_URL is not a PostgreSQL URL: give postgresql://user:password@host:5432/"
                "name, or unset it to keep the state in SQLite at DATABASE_PATH"
            )

    admin_ids: set[int] = set()
    for part in env.get("ADMIN_IDS", "").split(","):
        part = part.strip()
        if not part:
            continue
        if part.isdigit() and 0 < int(part) < 2**52:
            admin_ids.add(int(part))
        else:
            problems.append(
                f"ADMIN_IDS contains {part!r}, which is not a Telegram user id "
                "(expected positive numbers separated by commas, e.g. 12345,67890)"
            )

    tz_name = env.get("TIMEZONE", "").strip() or DEFAULT_TIMEZONE
    timezone = ZoneInfo(DEFAULT_TIMEZONE)
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            f"TIMEZONE={tz_name!r} is not a known time zone (for example {DEFAULT_TIMEZONE})"
        )

    log_level = env.get("LOG_LEVEL", "").strip().upper() or "INFO"
    if log_level not in LOG_LEVELS:
        problems.append(f"LOG_LEVEL={log_level!r} is not one of {', '.join(LOG_LEVELS)}")

    push_rate = 29.0
    raw_rate = env.get("PUSH_RATE", "").strip()
    if raw_rate:
        try:
            push_rate = float(raw_rate)
            if not 0 <= push_rate <= 1000:
                raise ValueError
        except ValueError:
            problems.append(
                f"PUSH_RATE={raw_rate!r} is not a number of messages a second from 0 to 1000 "
                "(0: no limit, for tests only; Telegram allows about 30)"
            )

    log_format = env.get("LOG_FORMAT", "").strip().lower() or "text"
    if log_format not in ("text", "json"):
        problems.append(f"LOG_FORMAT={log_format!r} is not 'text' (key=value) or 'json'")

    webhook_url = env.get("WEBHOOK_URL", "").strip() or None
    if webhook_url is not None:
        hook = urlsplit(webhook_url)
        if hook.scheme not in ("http", "https") or not hook.hostname:
            problems.append(f"WEBHOOK_URL={webhook_url!r} is not an http(s) URL")
        elif hook.scheme == "http" and not _is_loopback(hook.hostname):
            problems.append(f"WEBHOOK_URL={webhook_url!r} must use https (Telegram requires it)")
    webhook_secret = env.get("WEBHOOK_SECRET", "").strip() or None
    if webhook_secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", webhook_secret):
        problems.append("WEBHOOK_SECRET must be 1-256 letters, digits, '_' or '-'")
    webhook_listen = env.get("WEBHOOK_LISTEN", "").strip() or "0.0.0.0"
    try:
        ipaddress.ip_address(webhook_listen)
    except ValueError:
        problems.append(f"WEBHOOK_LISTEN={webhook_listen!r} is not an IP address (e.g. 0.0.0.0)")
    raw_port = env.get("WEBHOOK_PORT", "").strip() or "8443"
    webhook_port = int(raw_port) if raw_port.isdigit() else -1
    if not 1 <= webhook_port <= 65535:
        problems.append(f"WEBHOOK_PORT={raw_port!r} is not a port number (1-65535)")

    if problems:
        raise ConfigError(problems)
    return Config(
        token=token,
        api_root=api_root,
        database_path=database_path,
        database_url=database_url,
        instance_name=env.get("INSTANCE_NAME", "").strip(),
        admin_ids=frozenset(admin_ids),
        timezone=timezone,
        log_level=log_level,
        push_rate=push_rate,
        log_format=log_format,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        webhook_listen=webhook_listen,
        webhook_port=webhook_port,
    )


def level_number(config: Config) -> int:
    return logging.getLevelNamesMapping()[config.log_level]
