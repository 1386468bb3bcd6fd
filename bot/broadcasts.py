"""News broadcasts and staff figures, without Telegram: texts per language, progress, stats."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot.i18n import LANGUAGE_NAMES, I18n, Translator
from bot.languages import LANGUAGES
from bot.render.html import escape
from bot.storage import Database
from bot.storage.progress import Watched

log = logging.getLogger(__name__)

Drafts = dict[str, str | None]  # language → HTML text, or None when skipped on purpose


BACKGROUND_KEY = "background_tasks"


def start_background(
    bot_data: dict[Any, Any], coro: Coroutine[Any, Any, None], name: str
) -> asyncio.Task[None]:
    """A task that a graceful stop cancels (Application.create_task's would be waited for:
    a progress follower lives as long as its broadcast, and must not hold the stop)."""
    tasks: set[asyncio.Task[None]] = bot_data.setdefault(BACKGROUND_KEY, set())
    task = asyncio.create_task(coro, name=name)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return task


async def stop_background(bot_data: dict[Any, Any]) -> None:
    tasks: set[asyncio.Task[None]] = bot_data.get(BACKGROUND_KEY, set())
    for task in list(tasks):
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*tasks, return_exceptions=True)
    tasks.clear()


def news_texts(drafts: Drafts, fallback: str | None) -> dict[str, str]:
    """A text for every language: the staff's own, else the fallback language's."""
    given = {lang: text for lang, text in drafts.items() if text}
    if not given:
        raise ValueError("a broadcast needs a text in at least one language")
    if fallback not in given:
        fallback = next(lang for lang in LANGUAGES if lang in given)
    return {lang: given.get(lang) or given[fallback] for lang in LANGUAGES}


async def queue_news(
    db: Database,
    key: str,
    texts: dict[str, str],
    created_by: int,
    link_preview: bool,
    paid: bool = False,
) -> tuple[int, int]:
    """One outbox row per news subscriber; the same key never queues twice."""
    return await db.outbox.queue(
        key,
        "news",
        texts,
        created_by=created_by,
        options={"link_preview": link_preview, "paid": paid},
    )


@dataclass(frozen=True)
class Progress:
    sent: int
    failed: int
    cancelled: int
    remaining: int
    elapsed: float

    @classmethod
    def of(cls, counts: dict[str, int], elapsed: float) -> Progress:
        return cls(
            counts["sent"],
            counts["failed"],
            counts["cancelled"],
            counts["pending"] + counts["inflight"],
            elapsed,
        )

    @property
    def done(self) -> bool:
        return self.remaining == 0

    @property
    def rate(self) -> float:
        return (self.sent + self.failed) / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        return self.remaining / self.rate if self.rate > 0 else None


def progress_text(tr: Translator, progress: Progress) -> str:
    if progress.done:
        return tr.pgettext(
            "broadcast",
            "✅ <b>Broadcast finished</b>\nSent: {sent} · failed: {failed} · cancelled: {cancelled}\n"
            "Time: {seconds} s",
        ).format(
            sent=tr.number(progress.sent),
            failed=tr.number(progress.failed),
            cancelled=tr.number(progress.cancelled),
            seconds=tr.number(round(progress.elapsed)),
        )
    left = progress.seconds_left
    return tr.pgettext(
        "broadcast",
        "📤 <b>Sending…</b>\nSent: {sent} · failed: {failed} · remaining: {remaining}\n"
        "Rate: {rate} msg/s · time left: {left}",
    ).format(
        sent=tr.number(progress.sent),
        failed=tr.number(progress.failed),
        remaining=tr.number(progress.remaining),
        rate=tr.number(round(progress.rate, 1)),
        left=tr.pgettext("broadcast", "about {seconds} s").format(seconds=tr.number(round(left)))
        if left is not None
        else "…",
    )


async def stats_text(tr: Translator, db: Database, now: dt.datetime) -> str:
    users = await db.chats.stats()
    ts = int(now.timestamp())
    day = await db.outbox.deliveries_since(ts - 86_400)
    week = await db.outbox.deliveries_since(ts - 7 * 86_400)
    backlog = await db.outbox.counts()
    languages = ", ".join(
        f"{LANGUAGE_NAMES[lang]} {tr.number(users['languages'][lang])}" for lang in LANGUAGES
    )
    return tr.pgettext(
        "stats",
        "<b>Statistics</b>\n\n"
        "Users: {active} active, {blocked} blocked\n"
        "By language: {languages}\n"
        "Subscribers: reminders {reminders}, news {news}\n\n"
        "Deliveries in the last day: {day_sent} sent, {day_failed} failed\n"
        "Deliveries in the last week: {week_sent} sent, {week_failed} failed\n"
        "Outbox backlog: {pending} pending, {inflight} in flight",
    ).format(
        active=tr.number(users["active"]),
        blocked=tr.number(users["blocked"]),
        languages=escape(languages),
        reminders=tr.number(users["topics"]["reminders"]),
        news=tr.number(users["topics"]["news"]),
        day_sent=tr.number(day["sent"]),
        day_failed=tr.number(day["failed"]),
        week_sent=tr.number(week["sent"]),
        week_failed=tr.number(week["failed"]),
        pending=tr.number(backlog["pending"]),
        inflight=tr.number(backlog["inflight"]),
    )


# -- the progress message -----------------------------------------------------------------

PROGRESS_EVERY = 1.0  # seconds between edits of a progress message
ADOPT_EVERY = 5.0  # seconds between looks for progress messages nobody follows
QUIET_FOR = 10  # seconds without a follower's tick before another process takes over


async def follow_progress(
    db: Database, bot: Bot, i18n: I18n, watched: Watched, follower: str
) -> None:
    """Edit the progress message as delivery goes on, until the final report; stop early
    if another process has taken the message over (this one was thought gone)."""
    tr = i18n(watched.language)
    shown = ""
    while True:
        await asyncio.sleep(PROGRESS_EVERY)
        if not await db.progress.tick(watched.push_id, follower):
            return
        counts = await db.outbox.counts(watched.push_id)
        progress = Progress.of(counts, max(0.0, time.time() - watched.started_ms / 1000))
        text = progress_text(tr, progress)
        if text != shown:
            try:
                await bot.edit_message_text(
                    text, chat_id=watched.chat_id, message_id=watched.message_id
                )
                shown = text
            except BadRequest:
                pass  # deleted by the user, or unchanged: keep following
            except TelegramError as exc:  # a network error: the next second tries again
                log.warning("could not update broadcast %d's progress: %s", watched.push_id, exc)
        if progress.done:
            await db.progress.finish(watched.push_id)
            return


async def show_progress(
    bot_data: dict[Any, Any],
    db: Database,
    bot: Bot,
    i18n: I18n,
    watched: Watched,
    follower: str,
) -> None:
    """Follow a new progress message from here (and let others take it over if needed)."""
    await db.progress.watch(watched, follower)
    _follow(bot_data, db, bot, i18n, watched, follower)


async def adopt_progress(
    bot_data: dict[Any, Any], db: Database, bot: Bot, i18n: I18n, follower: str
) -> int:
    """Follow the progress messages whose follower went quiet; how many were taken."""
    adopted = await db.progress.adopt(follower, QUIET_FOR)
    for watched in adopted:
        log.info("following broadcast %d's progress message (its follower went)", watched.push_id)
        _follow(bot_data, db, bot, i18n, watched, follower)
    return len(adopted)


def _follow(
    bot_data: dict[Any, Any], db: Database, bot: Bot, i18n: I18n, watched: Watched, follower: str
) -> None:
    start_background(
        bot_data,
        follow_progress(db, bot, i18n, watched, follower),
        name=f"progress-{watched.push_id}",
    )
