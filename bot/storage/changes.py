"""Changes to a chat that its queued pushes must follow, each in one transaction.

A queued push carries the chat's language, hour and silence, and exists only while the chat
subscribes and has not blocked the bot. So changing any of these also rewrites the chat's
pending outbox rows; this module is the one place that does both.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.languages import LANGUAGES
from bot.storage.chats import PUSH_TOPICS
from bot.storage.connection import Connection, Transaction, now
from bot.storage.settings import Settings

_PENDING_REMINDERS = (
    "chat_id = ? AND state = 'pending' "
    "AND push_id IN (SELECT id FROM pushes WHERE topic = 'reminders')"
)


async def _cancel_pending(
    tx: Transaction, chat_id: int, reason: str, topic: str | None = None
) -> int:
    topic_filter = " AND push_id IN (SELECT id FROM pushes WHERE topic = ?)" if topic else ""
    return await tx.execute(
        "UPDATE outbox SET state = 'cancelled', reason = ?, updated_at = ? "
        "WHERE chat_id = ? AND state = 'pending'" + topic_filter,
        [reason, now(), chat_id] + ([topic] if topic else []),
    )


class ChatChanges:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        # Told (topic, subscribed) after each change that happened: the usage figures count it.
        self.on_subscription: Callable[[str, bool], object] | None = None

    async def set_language(self, chat_id: int, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        ts = now()
        async with self._conn.transaction() as tx:
            await tx.execute(
                """
                INSERT INTO users (id, language, created_at, last_seen_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET language = excluded.language
                """,
                (chat_id, language, ts, ts),
            )
            await tx.execute(
                "UPDATE outbox SET lang = ? WHERE chat_id = ? AND state = 'pending'",
                (language, chat_id),
            )

    async def set_blocked(self, chat_id: int, blocked: bool, reason: str = "") -> int:
        """Blocked (or removed from a group or channel): nothing more is sent, what was queued
        is cancelled with the reason. Returns the rows cancelled."""
        async with self._conn.transaction() as tx:
            await tx.execute(
                "UPDATE users SET blocked_at = ? WHERE id = ?",
                (now() if blocked else None, chat_id),
            )
            if not blocked:
                return 0
            return await _cancel_pending(tx, chat_id, reason or "the chat blocked the bot")

    async def update_settings(
        self,
        chat_id: int,
        *,
        reminder_hour: int | None = None,
        timezone: str | None = None,
        silent: bool | None = None,
        shift_reminders_by: int = 0,
    ) -> Settings:
        """Queued reminders keep the new hour (and, with shift_reminders_by seconds, their
        local hour in a new time zone); queued pushes keep the new silence."""
        if reminder_hour is not None and not 0 <= reminder_hour <= 23:
            raise ValueError("reminder_hour must be 0..23")
        async with self._conn.transaction() as tx:
            await tx.execute(
                "INSERT INTO settings (user_id) VALUES (?) ON CONFLICT (user_id) DO NOTHING",
                (chat_id,),
            )
            if reminder_hour is not None:
                await tx.execute(
                    "UPDATE outbox SET due_at = due_at + 3600 * ("
                    "? - (SELECT reminder_hour FROM settings WHERE user_id = ?)) "
                    "WHERE " + _PENDING_REMINDERS,
                    (reminder_hour, chat_id, chat_id),
                )
            if shift_reminders_by:
                await tx.execute(
                    "UPDATE outbox SET due_at = due_at + ?, expires_at = expires_at + ? "
                    "WHERE " + _PENDING_REMINDERS,
                    (shift_reminders_by, shift_reminders_by, chat_id),
                )
            if silent is not None:
                await tx.execute(
                    "UPDATE outbox SET silent = ? WHERE chat_id = ? AND state = 'pending'",
                    (int(silent), chat_id),
                )
            await tx.execute(
                """
                UPDATE settings SET
                    reminder_hour = coalesce(?, reminder_hour),
                    timezone = coalesce(?, timezone),
                    silent = coalesce(?, silent)
                WHERE user_id = ?
                """,
                (reminder_hour, timezone, None if silent is None else int(silent), chat_id),
            )
            row = await tx.fetchone(
                "SELECT reminder_hour, timezone, silent FROM settings WHERE user_id = ?",
                (chat_id,),
            )
        assert row is not None
        return Settings(int(row[0]), row[1], bool(row[2]))

    async def set_subscription(self, chat_id: int, topic: str, on: bool) -> bool:
        """True when something changed (so the reply can say "already subscribed")."""
        if topic not in PUSH_TOPICS:
            raise ValueError(f"unknown topic {topic!r}")
        async with self._conn.transaction() as tx:
            if on:
                changed = (
                    await tx.execute(
                        "INSERT INTO subscriptions (user_id, topic, created_at) VALUES (?, ?, ?) "
                        "ON CONFLICT DO NOTHING",
                        (chat_id, topic, now()),
                    )
                    > 0
                )
            else:
                changed = (
                    await tx.execute(
                        "DELETE FROM subscriptions WHERE user_id = ? AND topic = ?",
                        (chat_id, topic),
                    )
                    > 0
                )
                await _cancel_pending(tx, chat_id, f"unsubscribed from {topic}", topic)
        if changed and self.on_subscription is not None:
            self.on_subscription(topic, on)
        return changed

    async def migrate_chat(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: its settings, subscriptions and queue follow it."""
        async with self._conn.transaction() as tx:
            if await tx.fetchone("SELECT 1 FROM users WHERE id = ?", (new_id,)) is None:
                await tx.execute(
                    "INSERT INTO users (id, kind, title, language, telegram_language, created_at, "
                    "last_seen_at, blocked_at) SELECT CAST(? AS BIGINT), 'supergroup', title, language, "
                    "telegram_language, created_at, last_seen_at, blocked_at FROM users WHERE id = ?",
                    (new_id, old_id),
                )
            await tx.execute(
                "INSERT INTO settings (user_id, reminder_hour, timezone, silent) "
                "SELECT CAST(? AS BIGINT), reminder_hour, timezone, silent FROM settings "
                "WHERE user_id = ? ON CONFLICT DO NOTHING",
                (new_id, old_id),
            )
            await tx.execute(
                "INSERT INTO subscriptions (user_id, topic, created_at) "
                "SELECT CAST(? AS BIGINT), topic, created_at FROM subscriptions "
                "WHERE user_id = ? ON CONFLICT DO NOTHING",
                (new_id, old_id),
            )
            await tx.execute(
                "UPDATE outbox SET chat_id = ? WHERE chat_id = ? AND state = 'pending' "
                "AND push_id NOT IN (SELECT push_id FROM outbox WHERE chat_id = ?)",
                (new_id, old_id, new_id),
            )
            await _cancel_pending(tx, old_id, "chat migrated")
            await tx.execute("DELETE FROM subscriptions WHERE user_id = ?", (old_id,))
            await tx.execute(
                "UPDATE users SET blocked_at = coalesce(blocked_at, ?) WHERE id = ?",
                (now(), old_id),
            )
