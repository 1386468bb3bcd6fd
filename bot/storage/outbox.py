"""The durable outbox: a push (its texts per language) and one row per recipient.

Rows are written before anything is sent, claimed (in flight) just before the send and
marked after, so a crash repeats at most the rows in flight and loses none.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.storage.chats import EFFECTIVE_LANGUAGE_SQL, PUSH_TOPICS
from bot.storage.connection import Connection, Row, Transaction, now
from bot.storage.settings import DEFAULT_REMINDER_HOUR


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    push_id: int
    chat_id: int
    lang: str
    silent: bool
    attempts: int


QUEUE_CHUNK = 2000  # recipients per transaction: ~10 ms of writing each
_HOUR_SQL = f"coalesce(s.reminder_hour, {DEFAULT_REMINDER_HOUR})"
_RECIPIENTS = """
    FROM subscriptions sub
    JOIN users u ON u.id = sub.user_id
    LEFT JOIN settings s ON s.user_id = sub.user_id
    WHERE sub.topic = ? AND u.blocked_at IS NULL
"""


CHAT_KINDS = {  # an audience's kind of chat → the users.kind values it takes
    "all": ("private", "group", "supergroup", "channel"),
    "private": ("private",),
    "groups": ("group", "supergroup", "channel"),
}


@dataclass(frozen=True, slots=True)
class Audience:
    """Who of a topic's subscribers gets a push: some languages (none: all), some chats."""

    languages: tuple[str, ...] = ()
    chats: str = "all"

    def __post_init__(self) -> None:
        if self.chats not in CHAT_KINDS:
            raise ValueError(f"unknown kind of chats {self.chats!r}")

    @classmethod
    def of(cls, data: dict[str, Any]) -> Audience:
        return cls(tuple(data.get("languages") or ()), str(data.get("chats") or "all"))

    def to_dict(self) -> dict[str, Any]:
        return {"languages": list(self.languages), "chats": self.chats}

    def sql(self) -> tuple[str, list[Any]]:
        """A condition on `u` (users) to AND to the recipients' WHERE."""
        kinds = CHAT_KINDS[self.chats]
        where = f" AND u.kind IN ({','.join('?' * len(kinds))})"
        params: list[Any] = list(kinds)
        if self.languages:
            where += f" AND {EFFECTIVE_LANGUAGE_SQL} IN ({','.join('?' * len(self.languages))})"
            params += list(self.languages)
        return where, params


STOPPED_PUSHES = "SELECT id FROM pushes WHERE stopped_at IS NOT NULL"


class Schedule(Protocol):
    def __call__(self, timezone: str | None, hour: int) -> tuple[int, int | None]:
        """(deliver at, too late after) as unix times, for recipients in this time zone
        who chose this hour. A reminder for a day is not sent once that day is over."""
        ...


class Outbox:
    """The durable outbox, on the same connection and lock as everything else."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def queue(
        self,
        key: str,
        topic: str,
        texts: dict[str, str],
        *,
        schedule: Schedule | None = None,
        created_by: int | None = None,
        only_chat: int | None = None,
        options: dict[str, Any] | None = None,
        audience: Audience | None = None,
    ) -> tuple[int, int]:
        """Create the push (once per key) and a row per subscriber of the topic. Returns
        (push id, rows added): queuing twice queues once.

        Recipients are written QUEUE_CHUNK chats at a time, each chunk its own short
        transaction, so queuing a million reminders never holds the database (and every
        reply waiting for it) for more than a few milliseconds; a crash in the middle
        leaves a push that the next run completes, each row once (UNIQUE push, chat)."""
        if topic not in PUSH_TOPICS:
            raise ValueError(f"unknown topic {topic!r}")
        ts = now()
        async with self._conn.transaction() as tx:
            await tx.execute(
                "INSERT INTO pushes (key, topic, texts, options, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                (
                    key,
                    topic,
                    json.dumps(texts, ensure_ascii=False),
                    json.dumps(options or {}),
                    ts,
                    created_by,
                ),
            )
            row = await tx.fetchone("SELECT id FROM pushes WHERE key = ?", (key,))
        assert row is not None
        push_id, added, after = int(row[0]), 0, None
        recipients = _RECIPIENTS + (" AND sub.user_id = ?" if only_chat is not None else "")
        base: list[Any] = [topic] + ([only_chat] if only_chat is not None else [])
        if audience is not None:
            where, params = audience.sql()
            recipients += where
            base += params
        while True:
            async with self._conn.transaction() as tx:
                stopped = await tx.fetchone(
                    "SELECT stopped_at FROM pushes WHERE id = ?", (push_id,)
                )
                if stopped is None or stopped[0] is not None:
                    return push_id, added
                # This chunk: the next QUEUE_CHUNK subscribers by chat id.
                params = [*base] + ([after] if after is not None else [])
                last = await tx.fetchone(
                    "SELECT max(user_id) FROM (SELECT sub.user_id "
                    + recipients
                    + (" AND sub.user_id > ?" if after is not None else "")
                    + " ORDER BY sub.user_id LIMIT ?) AS chunk",
                    [*params, QUEUE_CHUNK],
                )
                if last is None or last[0] is None:
                    return push_id, added
                chunk = (
                    recipients
                    + " AND sub.user_id <= ?"
                    + (" AND sub.user_id > ?" if after is not None else "")
                )
                chunk_params = [*base, int(last[0])] + ([after] if after is not None else [])
                added += await self._queue_chunk(tx, push_id, ts, schedule, chunk, chunk_params)
                after = int(last[0])

    async def _queue_chunk(
        self,
        tx: Transaction,
        push_id: int,
        ts: int,
        schedule: Schedule | None,
        where: str,
        params: list[Any],
    ) -> int:
        """One row per recipient of the chunk, due at their own hour where there is a schedule."""
        groups: list[tuple[str | None, int, tuple[int, int | None]]] = []
        if schedule is None:
            groups.append((None, -1, (ts, None)))
        else:
            for tz, hour in await tx.fetchall(
                f"SELECT DISTINCT s.timezone, {_HOUR_SQL} " + where, params
            ):
                groups.append((tz, int(hour), schedule(tz, int(hour))))
        added = 0
        for tz, hour, (due_at, expires_at) in groups:
            group_where, group_params = where, list(params)
            if hour >= 0:
                group_where += f" AND s.timezone IS NOT DISTINCT FROM ? AND {_HOUR_SQL} = ?"
                group_params += [tz, hour]
            added += await tx.execute(
                "INSERT INTO outbox "
                "(push_id, chat_id, lang, silent, due_at, expires_at, updated_at) "
                "SELECT CAST(? AS BIGINT), sub.user_id, "
                f"{EFFECTIVE_LANGUAGE_SQL}, coalesce(s.silent, 0), "
                "CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT) "
                + group_where
                + " ON CONFLICT (push_id, chat_id) DO NOTHING",
                [push_id, due_at, expires_at, ts, *group_params],
            )
        return added

    async def recipients(self, topic: str, audience: Audience) -> int:
        """How many chats a push to this audience would reach now."""
        where, params = audience.sql()
        row = await self._conn.fetchone(
            "SELECT count(*) FROM subscriptions sub JOIN users u ON u.id = sub.user_id "
            "WHERE sub.topic = ? AND u.blocked_at IS NULL" + where,
            [topic, *params],
        )
        return int(row[0]) if row else 0

    async def push_id(self, key: str) -> int | None:
        row = await self._conn.fetchone("SELECT id FROM pushes WHERE key = ?", (key,))
        return int(row[0]) if row else None

    async def is_stopped(self, push_id: int) -> bool:
        """The stored stop, read before each send: it holds across restarts and instances."""
        row = await self._conn.fetchone("SELECT stopped_at FROM pushes WHERE id = ?", (push_id,))
        return row is not None and row[0] is not None

    async def push(self, push_id: int) -> Push | None:
        row = await self._conn.fetchone(
            "SELECT id, key, topic, texts, options, created_at, created_by, stopped_at "
            "FROM pushes WHERE id = ?",
            (push_id,),
        )
        return _push(row) if row else None

    async def recent_pushes(self, topic: str, limit: int = 10) -> list[Push]:
        rows = await self._conn.fetchall(
            "SELECT id, key, topic, texts, options, created_at, created_by, stopped_at "
            "FROM pushes WHERE topic = ? ORDER BY id DESC LIMIT ?",
            (topic, limit),
        )
        return [_push(r) for r in rows]

    async def stop_push(self, push_id: int) -> int:
        """Stop a broadcast: pending rows are cancelled, sent ones stay sent."""
        async with self._conn.transaction() as tx:
            await tx.execute(
                "UPDATE pushes SET stopped_at = coalesce(stopped_at, ?) WHERE id = ?",
                (now(), push_id),
            )
            return await tx.execute(
                "UPDATE outbox SET state = 'cancelled', reason = 'broadcast stopped', "
                "updated_at = ? WHERE push_id = ? AND state = 'pending'",
                (now(), push_id),
            )

    async def deliveries_since(self, since: int) -> dict[str, int]:
        rows = await self._conn.fetchall(
            "SELECT state, count(*) FROM outbox WHERE updated_at >= ? "
            "AND state IN ('sent', 'failed') GROUP BY state",
            (since,),
        )
        result = {"sent": 0, "failed": 0}
        result.update({r[0]: int(r[1]) for r in rows})
        return result

    async def claim(self, due_before: int, limit: int) -> list[OutboxRow]:
        """Mark due rows in flight before sending them: a crash then repeats at most these.

        Rows whose day is over are cancelled instead: yesterday's "today" is no reminder."""
        await self._conn.execute(
            "UPDATE outbox SET state = 'cancelled', reason = 'expired: its day was over', "
            "updated_at = ? WHERE state = 'pending' AND due_at <= ? AND expires_at <= ?",
            (now(), due_before, due_before),
        )
        # A stopped broadcast's rows are never claimed, even those a crash left in flight.
        await self._conn.execute(
            "UPDATE outbox SET state = 'cancelled', reason = 'broadcast stopped', updated_at = ? "
            f"WHERE state = 'pending' AND due_at <= ? AND push_id IN ({STOPPED_PUSHES})",
            (now(), due_before),
        )
        rows = await self._conn.fetchall(
            f"""
            UPDATE outbox SET state = 'inflight', attempts = attempts + 1, updated_at = ?
            WHERE id IN (
                SELECT id FROM outbox WHERE state = 'pending' AND due_at <= ?
                AND push_id NOT IN ({STOPPED_PUSHES})
                ORDER BY due_at, id LIMIT ?
            )
            RETURNING id, push_id, chat_id, lang, silent, attempts
            """,
            (now(), due_before, limit),
        )
        return sorted(
            (OutboxRow(int(r[0]), int(r[1]), int(r[2]), r[3], bool(r[4]), int(r[5])) for r in rows),
            key=lambda r: r.id,
        )

    async def next_due(self) -> int | None:
        row = await self._conn.fetchone("SELECT min(due_at) FROM outbox WHERE state = 'pending'")
        return int(row[0]) if row and row[0] is not None else None

    async def mark_sent(self, row_id: int, message_id: int) -> None:
        await self._conn.execute(
            "UPDATE outbox SET state = 'sent', sent_message_id = ?, reason = NULL, updated_at = ? "
            "WHERE id = ?",
            (message_id, now(), row_id),
        )

    async def mark_failed(self, row_id: int, reason: str) -> None:
        await self._conn.execute(
            "UPDATE outbox SET state = 'failed', reason = ?, updated_at = ? WHERE id = ?",
            (reason, now(), row_id),
        )

    async def mark_cancelled(self, row_id: int, reason: str) -> None:
        await self._conn.execute(
            "UPDATE outbox SET state = 'cancelled', reason = ?, updated_at = ? WHERE id = ?",
            (reason, now(), row_id),
        )

    async def retry_later(
        self, row_id: int, due_at: int, reason: str, *, count: bool = True
    ) -> None:
        await self._conn.execute(
            "UPDATE outbox SET state = 'pending', due_at = ?, reason = ?, updated_at = ?, "
            "attempts = attempts - ? WHERE id = ?",
            (due_at, reason, now(), 0 if count else 1, row_id),
        )

    async def move_chat(self, row_id: int, new_chat_id: int) -> bool:
        """A group became a supergroup: send this row to its new id (unless already queued)."""
        async with self._conn.transaction() as tx:
            moved = await tx.execute(
                "UPDATE outbox SET chat_id = ?, state = 'pending', updated_at = ? WHERE id = ? "
                "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.chat_id = ? "
                "AND o.push_id = outbox.push_id)",
                (new_chat_id, now(), row_id, new_chat_id),
            )
            if moved:
                return True
            await tx.execute(
                "UPDATE outbox SET state = 'cancelled', reason = ?, updated_at = ? WHERE id = ?",
                (f"chat migrated to {new_chat_id}, already queued there", now(), row_id),
            )
            return False

    async def release_inflight(self, ids: Iterable[int] | None = None) -> int:
        """Back to pending: at start, what a crash left in flight; at stop, what was not sent."""
        if ids is None:
            return await self._conn.execute(
                "UPDATE outbox SET state = 'pending', updated_at = ? WHERE state = 'inflight'",
                (now(),),
            )
        id_list = list(ids)
        if not id_list:
            return 0
        marks = ",".join("?" * len(id_list))
        return await self._conn.execute(
            f"UPDATE outbox SET state = 'pending', attempts = attempts - 1, updated_at = ? "
            f"WHERE state = 'inflight' AND id IN ({marks})",
            [now(), *id_list],
        )

    async def last_change(self, push_id: int) -> int | None:
        """When a row of the push last changed (for a finished one: when it finished)."""
        row = await self._conn.fetchone(
            "SELECT max(updated_at) FROM outbox WHERE push_id = ?", (push_id,)
        )
        return int(row[0]) if row is not None and row[0] is not None else None

    async def counts(self, push_id: int | None = None) -> dict[str, int]:
        where, params = ("WHERE push_id = ?", (push_id,)) if push_id is not None else ("", ())
        rows = await self._conn.fetchall(
            f"SELECT state, count(*) FROM outbox {where} GROUP BY state", params
        )
        result = {state: 0 for state in ("pending", "inflight", "sent", "failed", "cancelled")}
        result.update({r[0]: int(r[1]) for r in rows})
        return result

    async def rows(self, push_id: int) -> list[dict[str, Any]]:
        rows = await self._conn.fetchall(
            "SELECT chat_id, lang, state, attempts, sent_message_id, reason FROM outbox "
            "WHERE push_id = ? ORDER BY id",
            (push_id,),
        )
        return [
            dict(
                zip(
                    ("chat_id", "lang", "state", "attempts", "message_id", "reason"), r, strict=True
                )
            )
            for r in rows
        ]


@dataclass(frozen=True, slots=True)
class Push:
    id: int
    key: str
    topic: str
    texts: dict[str, str]
    options: dict[str, Any]
    created_at: int
    created_by: int | None
    stopped_at: int | None


def _push(row: Row) -> Push:
    return Push(
        int(row[0]),
        row[1],
        row[2],
        json.loads(row[3]),
        json.loads(row[4]),
        int(row[5]),
        row[6],
        row[7],
    )
