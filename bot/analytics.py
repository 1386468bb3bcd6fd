"""What people use, counted in memory and written in one batch every few seconds.

Counting must cost an update nothing it would notice: each count is a dict increment; the
flush (a job every FLUSH_EVERY seconds, and at stop) writes the batch in one transaction.
Nothing written says who: users seen today are kept in memory only to count them once, and
the figures are per day (bot.storage.analytics). A crash loses at most FLUSH_EVERY seconds
of figures, never anything a user sees.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable

from bot.delivery import Sender
from bot.storage import Database

log = logging.getLogger(__name__)

FLUSH_EVERY = 5.0  # seconds
MAX_QUERY = 64  # characters of a search text kept
MAX_KEYS = 20_000  # distinct keys held between two flushes (a flood of odd searches)

Key = tuple[str, str, str]  # (day, metric, key)


def normalise_query(text: str) -> str:
    """One form per search, so "Glaciers " and "glaciers" count together."""
    return " ".join(text.casefold().split())[:MAX_QUERY]


class Analytics:
    def __init__(self, db: Database, today: Callable[[], dt.date]) -> None:
        self._db = db
        self._today = today
        self._counts: Counter[Key] = Counter()
        self._gauges: dict[Key, int] = {}
        self._active_day: dt.date | None = None
        self._active: set[int] = set()  # ids of today's users: in memory only, never written
        self._sender: Sender | None = None
        self._sender_seen = (0, 0)

    def count(self, metric: str, key: str = "", n: int = 1) -> None:
        if len(self._counts) >= MAX_KEYS and (self._day(), metric, key) not in self._counts:
            return
        self._counts[(self._day(), metric, key)] += n

    def _day(self) -> str:
        return self._today().isoformat()

    # What the bot counts, each in one line where it happens.

    def command(self, name: str) -> None:
        self.count("command", name)

    def opened(self, kind: str, item_id: str) -> None:
        self.count("open", f"{kind}:{item_id}")

    def search_missed(self, text: str) -> None:
        query = normalise_query(text)
        if query:
            self.count("search_miss", query)

    def user_seen(self, user_id: int) -> None:
        today = self._today()
        if today != self._active_day:
            self._active_day, self._active = today, set()
        if user_id not in self._active:
            self._active.add(user_id)
            self._gauges[(today.isoformat(), "active_users", "")] = len(self._active)

    def new_user(self) -> None:
        self.count("new_users")

    def subscription(self, topic: str, on: bool) -> None:
        self.count("subscribed" if on else "unsubscribed", topic)

    def watch(self, sender: Sender) -> None:
        """Deliveries are counted from the sender's own tallies, read at each flush."""
        self._sender = sender
        self._sender_seen = (sender.stats.sent, sender.stats.failed)

    async def flush(self) -> None:
        if self._sender is not None:
            sent, failed = self._sender.stats.sent, self._sender.stats.failed
            if sent > self._sender_seen[0]:
                self.count("sent", n=sent - self._sender_seen[0])
            if failed > self._sender_seen[1]:
                self.count("failed", n=failed - self._sender_seen[1])
            self._sender_seen = (sent, failed)
        counts, self._counts = self._counts, Counter()
        gauges, self._gauges = self._gauges, {}
        try:
            await self._db.analytics.add(counts, gauge=False)
            await self._db.analytics.add(gauges, gauge=True)
        except Exception:  # a full or read-only disk: keep the figures for the next try
            log.exception("could not write the usage figures")
            self._counts.update(counts)
            for key, value in gauges.items():
                self._gauges[key] = max(value, self._gauges.get(key, 0))

    async def snapshot_subscribers(self) -> None:
        """Subscribers per topic today (a gauge): the line "subscriptions over time"."""
        day = self._day()
        for topic, count in (await self._db.analytics.subscribers()).items():
            self._gauges[(day, "subscribers", topic)] = count
