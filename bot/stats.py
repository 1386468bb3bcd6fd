"""What /stats shows from the usage figures, without Telegram: texts, the daily table, CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from bot.content.kinds import item_title
from bot.content.model import Content
from bot.feedback import RATED
from bot.i18n import Translator
from bot.render.html import escape
from bot.render.items import shorten
from bot.storage import Database

DAYS = 30
TOP = 10  # items in each list of /stats items
TOP_SEARCHES = 20

# CSV column → (metric in daily_counts, key or None for all keys)
COLUMNS: dict[str, tuple[str, str | None]] = {
    "active_users": ("active_users", None),
    "new_users": ("new_users", None),
    "commands": ("command", None),
    "items_opened": ("open", None),
    "searches_not_found": ("search_miss", None),
    "new_subscriptions_news": ("subscribed", "news"),
    "new_subscriptions_reminders": ("subscribed", "reminders"),
    "unsubscriptions": ("unsubscribed", None),
    "subscribers_news": ("subscribers", "news"),
    "subscribers_reminders": ("subscribers", "reminders"),
    "deliveries_sent": ("sent", None),
    "deliveries_failed": ("failed", None),
}


@dataclass(frozen=True)
class Daily:
    """Each column's value per day, oldest first (missing days are 0)."""

    days: list[dt.date]
    values: dict[str, list[int]]

    def total(self, column: str, last: int | None = None) -> int:
        series = self.values[column]
        return sum(series[-last:] if last else series)


async def daily(db: Database, today: dt.date, days: int = DAYS) -> Daily:
    first = today - dt.timedelta(days=days - 1)
    dates = [first + dt.timedelta(days=i) for i in range(days)]
    values: dict[str, list[int]] = {}
    cache: dict[str, dict[tuple[str, str], int]] = {}
    for column, (metric, key) in COLUMNS.items():
        if metric not in cache:
            cache[metric] = await db.analytics.daily_by_key(metric, first)
        rows = cache[metric]
        per_day: dict[str, int] = {}
        for (day, row_key), value in rows.items():
            if key is None or row_key == key:
                per_day[day] = per_day.get(day, 0) + value
        values[column] = [per_day.get(d.isoformat(), 0) for d in dates]
    return Daily(dates, values)


def export_csv(figures: Daily) -> bytes:
    """One line per day, machine-readable column names (for a spreadsheet)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", *COLUMNS])
    for i, day in enumerate(figures.days):
        writer.writerow([day.isoformat(), *(figures.values[c][i] for c in COLUMNS)])
    return out.getvalue().encode()


async def usage_text(tr: Translator, db: Database, figures: Daily, now: dt.datetime) -> str:
    """The headline figures of use (the delivery and subscriber ones are above them)."""
    ts = int(now.timestamp())
    week = await db.analytics.active_since(ts - 7 * 86_400)
    month = await db.analytics.active_since(ts - 30 * 86_400)
    totals = await db.analytics.rating_totals()
    up = sum(u for u, _ in totals.values())
    down = sum(d for _, d in totals.values())
    return tr.pgettext(
        "stats",
        "<b>Use</b>\n"
        "Active users: {today} today, {week} in 7 days, {month} in 30 days\n"
        "New users: {new_today} today, {new_week} in 7 days, {new_month} in 30 days\n"
        "Today: {commands} commands, {opens} items opened, {misses} searches found nothing\n"
        "Ratings: {up} 👍, {down} 👎\n\n"
        "More: /stats items · /stats searches · /stats export",
    ).format(
        today=tr.number(figures.values["active_users"][-1]),
        week=tr.number(week),
        month=tr.number(month),
        new_today=tr.number(figures.values["new_users"][-1]),
        new_week=tr.number(figures.total("new_users", 7)),
        new_month=tr.number(figures.total("new_users")),
        commands=tr.number(figures.values["commands"][-1]),
        opens=tr.number(figures.values["items_opened"][-1]),
        misses=tr.number(figures.values["searches_not_found"][-1]),
        up=tr.number(up),
        down=tr.number(down),
    )


def _title(tr: Translator, content: Content, key: str) -> str | None:
    kind, _, item_id = key.partition(":")
    item = content.get(kind, item_id)
    return shorten(item_title(tr, content, kind, item), 70) if item is not None else None


async def items_text(tr: Translator, db: Database, content: Content, today: dt.date) -> str:
    """Most and least read facts and events of the last 30 days, and the worst rated."""
    opens = await db.analytics.opens(today - dt.timedelta(days=DAYS - 1))
    rated = [f"{kind}:{item.id}" for kind in RATED for item in content.of(kind)]
    reads = sorted(rated, key=lambda k: (-opens.get(k, 0), k))
    totals = await db.analytics.rating_totals()
    worst = sorted(
        (k for k, (_, down) in totals.items() if down > 0 and k in set(rated)),
        key=lambda k: (totals[k][0] - totals[k][1], k),
    )

    def lines(keys: list[str], figure: str) -> list[str]:
        out = []
        for key in keys:
            title = _title(tr, content, key)
            if title is not None:
                up, down = totals.get(key, (0, 0))
                out.append(
                    "• "
                    + figure.format(
                        title=escape(title),
                        opens=tr.number(opens.get(key, 0)),
                        up=tr.number(up),
                        down=tr.number(down),
                    )
                )
        return out or [tr.pgettext("stats", "none yet")]

    read_line = tr.pgettext("stats", "{title}: opened {opens}")
    rated_line = tr.pgettext("stats", "{title}: 👍 {up} · 👎 {down}")
    return "\n".join(
        [
            tr.pgettext("stats", "<b>Most read in 30 days</b>"),
            *lines([k for k in reads if opens.get(k, 0)][:TOP], read_line),
            "",
            tr.pgettext("stats", "<b>Least read in 30 days</b>"),
            *lines(list(reversed(reads[-TOP:])), read_line),
            "",
            tr.pgettext("stats", "<b>Worst rated</b>"),
            *lines(worst[:TOP], rated_line),
        ]
    )


async def searches_text(tr: Translator, db: Database, today: dt.date) -> str:
    """What people looked for and did not find: the content that is missing."""
    top = await db.analytics.top_keys(
        "search_miss", today - dt.timedelta(days=DAYS - 1), TOP_SEARCHES
    )
    header = tr.pgettext("stats", "<b>Searches that found nothing, last 30 days</b>")
    if not top:
        return f"{header}\n{tr.pgettext('stats', 'none yet')}"
    lines = [
        tr.pgettext("stats", "“{query}”: {count}").format(
            query=escape(query), count=tr.number(count)
        )
        for query, count in top
    ]
    return "\n".join([header, *(f"{n}. {line}" for n, line in enumerate(lines, start=1))])
