"""The usage figures (daily_counts) and the users' ratings: every statement that reads or
writes them. daily_counts never holds a user id: only a day, a metric, a key (a command,
an item, a search text) and a number."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from bot.storage.connection import Connection

# Figures that say "how many at once" (the day's highest wins) rather than "how many times"
# (added up); it matters when a flush repeats a day and when old days become a month.
GAUGES = ("active_users", "subscribers")
KEEP_DAYS = 400  # per-day figures older than this are rolled up into their month

_GAUGES_SQL = "(" + ", ".join(f"'{g}'" for g in GAUGES) + ")"
# The higher of the stored and the new value (SQLite's max(a, b) is GREATEST in PostgreSQL).
_HIGHER = (
    "CASE WHEN excluded.value > daily_counts.value THEN excluded.value ELSE daily_counts.value END"
)


class AnalyticsStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, rows: Mapping[tuple[str, str, str], int], *, gauge: bool) -> None:
        """One transaction for a whole batch of (day, metric, key) → value."""
        if not rows:
            return
        merge = _HIGHER if gauge else "daily_counts.value + excluded.value"
        async with self._conn.transaction() as tx:
            await tx.executemany(
                "INSERT INTO daily_counts (day, metric, key, value) VALUES (?, ?, ?, ?) "
                f"ON CONFLICT (day, metric, key) DO UPDATE SET value = {merge}",
                [(day, metric, key, value) for (day, metric, key), value in rows.items()],
            )

    async def daily(self, metric: str, since: dt.date) -> dict[str, int]:
        """Day → value (summed over keys; the highest over keys for a gauge's total)."""
        rows = await self._conn.fetchall(
            "SELECT day, sum(value) FROM daily_counts "
            "WHERE metric = ? AND day >= ? AND length(day) = 10 GROUP BY day",
            (metric, since.isoformat()),
        )
        return {r[0]: int(r[1]) for r in rows}

    async def daily_by_key(self, metric: str, since: dt.date) -> dict[tuple[str, str], int]:
        rows = await self._conn.fetchall(
            "SELECT day, key, value FROM daily_counts "
            "WHERE metric = ? AND day >= ? AND length(day) = 10",
            (metric, since.isoformat()),
        )
        return {(r[0], r[1]): int(r[2]) for r in rows}

    async def total(self, metric: str, since: dt.date) -> int:
        row = await self._conn.fetchone(
            "SELECT coalesce(sum(value), 0) FROM daily_counts WHERE metric = ? AND day >= ?",
            (metric, since.isoformat()),
        )
        return int(row[0]) if row else 0

    async def top_keys(self, metric: str, since: dt.date, limit: int) -> list[tuple[str, int]]:
        """The most frequent keys of a counter since a day."""
        rows = await self._conn.fetchall(
            "SELECT key, sum(value) AS n FROM daily_counts WHERE metric = ? AND day >= ? "
            "GROUP BY key ORDER BY n DESC, key LIMIT ?",
            (metric, since.isoformat(), limit),
        )
        return [(r[0], int(r[1])) for r in rows]

    async def opens(self, since: dt.date) -> dict[str, int]:
        """ "kind:id" → times opened since a day."""
        return dict(await self.top_keys("open", since, 1_000_000))

    async def roll_up(self, today: dt.date) -> int:
        """Per-day rows older than KEEP_DAYS become one row per month; returns rows removed."""
        cutoff = (today - dt.timedelta(days=KEEP_DAYS)).isoformat()
        async with self._conn.transaction() as tx:
            await tx.execute(
                "INSERT INTO daily_counts (day, metric, key, value) "
                "SELECT substr(day, 1, 7), metric, key, "
                f"CASE WHEN metric IN {_GAUGES_SQL} THEN max(value) ELSE sum(value) END "
                "FROM daily_counts WHERE length(day) = 10 AND day < ? "
                "GROUP BY substr(day, 1, 7), metric, key "
                "ON CONFLICT (day, metric, key) DO UPDATE SET value = "
                f"CASE WHEN daily_counts.metric IN {_GAUGES_SQL} THEN {_HIGHER} "
                "ELSE daily_counts.value + excluded.value END",
                (cutoff,),
            )
            return await tx.execute(
                "DELETE FROM daily_counts WHERE length(day) = 10 AND day < ?", (cutoff,)
            )

    # Ratings: the one per-user table here, deleted with the user (bot.storage.privacy).

    async def rate(self, user_id: int, kind: str, item_id: str, value: int) -> int:
        """Set a user's rating; the same rating again removes it. Returns the rating now
        (0: none)."""
        if value not in (-1, 1):
            raise ValueError("a rating is -1 or 1")
        async with self._conn.transaction() as tx:
            row = await tx.fetchone(
                "SELECT value FROM ratings WHERE user_id = ? AND kind = ? AND item_id = ?",
                (user_id, kind, item_id),
            )
            if row is not None and int(row[0]) == value:
                await tx.execute(
                    "DELETE FROM ratings WHERE user_id = ? AND kind = ? AND item_id = ?",
                    (user_id, kind, item_id),
                )
                return 0
            await tx.execute(
                "INSERT INTO ratings (user_id, kind, item_id, value) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (user_id, kind, item_id) DO UPDATE SET value = excluded.value",
                (user_id, kind, item_id, value),
            )
            return value

    async def ratings_of(self, user_id: int, items: Iterable[tuple[str, str]]) -> dict[str, int]:
        """ "kind:id" → this user's rating, for the items on one screen."""
        keys = [f"{kind}:{item_id}" for kind, item_id in items]
        if not keys:
            return {}
        marks = ",".join("?" * len(keys))
        rows = await self._conn.fetchall(
            f"SELECT kind || ':' || item_id, value FROM ratings WHERE user_id = ? "
            f"AND kind || ':' || item_id IN ({marks})",
            [user_id, *keys],
        )
        return {r[0]: int(r[1]) for r in rows}

    async def rating_totals(self) -> dict[str, tuple[int, int]]:
        """ "kind:id" → (👍, 👎) over all users."""
        rows = await self._conn.fetchall(
            "SELECT kind || ':' || item_id, count(*) FILTER (WHERE value = 1), "
            "count(*) FILTER (WHERE value = -1) FROM ratings "
            "GROUP BY kind, item_id"
        )
        return {r[0]: (int(r[1]), int(r[2])) for r in rows}

    async def active_since(self, since: int) -> int:
        """Private users seen since a unix time (from users.last_seen_at: no log of visits)."""
        row = await self._conn.fetchone(
            "SELECT count(*) FROM users WHERE kind = 'private' AND last_seen_at >= ?", (since,)
        )
        return int(row[0]) if row else 0

    async def new_since(self, since: int) -> int:
        row = await self._conn.fetchone(
            "SELECT count(*) FROM users WHERE kind = 'private' AND created_at >= ?", (since,)
        )
        return int(row[0]) if row else 0

    async def subscribers(self) -> dict[str, int]:
        rows = await self._conn.fetchall(
            "SELECT sub.topic, count(*) FROM subscriptions sub JOIN users u ON u.id = sub.user_id "
            "WHERE u.blocked_at IS NULL GROUP BY sub.topic"
        )
        return {r[0]: int(r[1]) for r in rows}
