"""A chat's settings and subscriptions, as read; changes that move queued pushes are in
bot.storage.changes."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.connection import Connection

DEFAULT_REMINDER_HOUR = 9


@dataclass(frozen=True, slots=True)
class Settings:
    reminder_hour: int
    timezone: str | None
    silent: bool


class SettingsStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def get_settings(self, chat_id: int) -> Settings:
        row = await self._conn.fetchone(
            "SELECT reminder_hour, timezone, silent FROM settings WHERE user_id = ?", (chat_id,)
        )
        if row is None:
            return Settings(DEFAULT_REMINDER_HOUR, None, False)
        return Settings(int(row[0]), row[1], bool(row[2]))

    async def subscriptions(self, chat_id: int) -> frozenset[str]:
        rows = await self._conn.fetchall(
            "SELECT topic FROM subscriptions WHERE user_id = ?", (chat_id,)
        )
        return frozenset(r[0] for r in rows)
