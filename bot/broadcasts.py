"""News broadcasts and staff figures, without Telegram: texts per language, progress, stats."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import logging
import time
from dataclasses import dataclass

from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.i18n import I18n, Translator
from bot.languages import LANGUAGES
from bot.render.html import escape
from bot.storage import Database
from bot.storage.progress import Watched

log = logging.getLogger(__name__)

Drafts = dict[str, str | None]  # language → HTML text, or None when skipped on purpose


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
        f"{tr.language(lang)} {tr.number(users['languages'][lang])}" for lang in LANGUAGES
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


class ProgressFollowers:
    """The progress messages this process keeps up to date: one task each, named in the
    database by a follower name of its own, so that a task another process (or this one)
    has taken over stops at its next tick instead of editing beside the new one."""

    def __init__(self, db: Database, bot: Bot, i18n: I18n, process_id: str) -> None:
        self._db = db
        self._bot = bot
        self._i18n = i18n
        self._process_id = process_id
        self._live: dict[tuple[int, int, int], str] = {}  # message → its task's follower name
        self._tasks: set[asyncio.Task[None]] = set()
        self._names = itertools.count(1)

    async def show(self, push_id: int, chat_id: int, message_id: int, language: str) -> None:
        """Follow a new progress message from here (others take it over if this one goes)."""
        watched = Watched(push_id, chat_id, message_id, language, int(time.time() * 1000))
        name = self._name()
        await self._db.progress.watch(watched, name)
        self._start(watched, name, adopted=False)

    async def adopt(self) -> int:
        """Follow the progress messages whose follower went quiet; how many were taken."""
        adopted = await self._db.progress.adopt(self._name, QUIET_FOR, skip=set(self._live))
        for watched, name in adopted:
            log.info(
                "following broadcast %d's progress message (its follower went)", watched.push_id
            )
            self._start(watched, name, adopted=True)
        return len(adopted)

    async def stop(self) -> None:
        """At a stop: end the tasks (they never hold it) and hand their messages over, so
        that another process takes them at once rather than after the quiet time."""
        names = list(self._live.values())
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        try:
            await self._db.progress.let_go(names)
        except Exception:  # they are taken over after the quiet time instead
            log.warning("could not hand over %d progress message(s)", len(names), exc_info=True)

    def _name(self) -> str:
        return f"{self._process_id}:{next(self._names)}"

    def _start(self, watched: Watched, name: str, *, adopted: bool) -> None:
        self._live[watched.key] = name
        task = asyncio.create_task(
            self._follow(watched, name, adopted=adopted), name=f"progress-{watched.push_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _follow(self, watched: Watched, name: str, *, adopted: bool) -> None:
        try:
            await self._edit_until_done(watched, name, adopted=adopted)
        finally:
            if self._live.get(watched.key) == name:
                del self._live[watched.key]

    async def _edit_until_done(self, watched: Watched, name: str, *, adopted: bool) -> None:
        """Edit the message every second until the final report. A database or network
        error is retried the next second; a message gone (deleted, the bot blocked) ends it."""
        tr = self._i18n(watched.language)
        shown = ""
        looks = 0
        while True:
            await asyncio.sleep(PROGRESS_EVERY)
            looks += 1
            try:
                if not await self._db.progress.tick(watched, name):
                    return  # taken over elsewhere
                progress = await self._progress(watched, late=adopted and looks == 1)
                text = progress_text(tr, progress)
                if text != shown:
                    edited = await self._edit(watched, text)
                    if edited is None:
                        await self._db.progress.finish(watched)
                        return
                    shown = text if edited else shown
                if progress.done and shown == text:
                    await self._db.progress.finish(watched)
                    return
            except Exception:
                log.exception("broadcast %d's progress: retrying in a second", watched.push_id)

    async def _progress(self, watched: Watched, *, late: bool) -> Progress:
        counts = await self._db.outbox.counts(watched.push_id)
        ended = time.time()
        if late and counts["pending"] + counts["inflight"] == 0:
            # taken over after the end: its time is until the last row, not until now
            ended = float(await self._db.outbox.last_change(watched.push_id) or ended)
        return Progress.of(counts, max(0.0, ended - watched.started_ms / 1000))

    async def _edit(self, watched: Watched, text: str) -> bool | None:
        """True if the message shows `text`, False if not yet (to be tried again), None when
        there is nothing left to edit (the message deleted, the bot blocked)."""
        try:
            await self._bot.edit_message_text(
                text, chat_id=watched.chat_id, message_id=watched.message_id
            )
        except RetryAfter as exc:  # Telegram asks for a pause: the next look is after it
            await asyncio.sleep(_seconds(exc.retry_after))
            return False
        except Forbidden:
            return None
        except BadRequest as exc:
            reason = str(exc).lower()
            if "not found" in reason or "can't be edited" in reason:
                return None
            if "not modified" not in reason:  # trying again would get the same answer
                log.warning("broadcast %d's progress not shown: %s", watched.push_id, exc)
        except TelegramError as exc:  # a network error: the next second tries again
            log.warning("could not update broadcast %d's progress: %s", watched.push_id, exc)
            return False
        return True


def _seconds(value: float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
