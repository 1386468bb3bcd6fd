"""The one delivery path for every push (reminders, news): drains the outbox within limits.

Each row is claimed (marked in flight) before its send and marked sent after, so a crash
repeats at most the rows that were in flight, and loses none. The Bot API's answers
decide each row's fate: 429 waits retry_after and retries; 403 marks the chat blocked and
stops pushing to it; 400 gives up with the reason; a migrated group is retried at its new
id; timeouts and 5xx retry with backoff up to MAX_ATTEMPTS.

Delivery is at-least-once, never at-most-once: a send whose answer is lost (a timeout or a
dropped connection after Telegram did it, or a crash while waiting) cannot be told from one
Telegram never got, so it is sent again, and a row that ran out of attempts that way may be
marked failed though it arrived. Under injected faults (issue 19: 37 of 2,000 twice, 3
"failed" but delivered) that is expected; tests/test_chaos.py counts the duplicates and
checks they stay within the answers lost.

After a 429 nobody sends until retry_after has passed: the pause is checked again right
before each send (rows claimed earlier wait in their tasks) and is kept in the status table
across a restart. Database errors never end the loop: a row's fate that could not be
written is owed and written first when the database answers again; health (bot/health.py)
reports the error meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.storage import Database
from bot.storage.outbox import OutboxRow, Push

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE = 2.0  # seconds: 2, 4, 8, 16 …
BACKOFF_MAX = 300.0
GROUP_WINDOW = 60.0
GROUP_MAX = 20  # messages a minute to one group
PRIVATE_GAP = 1.0  # seconds between two messages to one private chat
LEASE_POLL = 1.0  # seconds between a standby instance's tries to become the sender
LEASE_CHECK = 2.0  # seconds between the sender's checks that it still holds the role
DB_RETRY_MIN = 0.5  # seconds before the sender retries after a database error …
DB_RETRY_MAX = 10.0  # … doubling up to this
PAID_RATE = 1000.0  # messages a second allowed with allow_paid_broadcast


class RateLimiter:
    """Telegram's limits for pushes: an overall rate, one a second per private chat,
    twenty a minute per group. A chat that must wait never holds up the others."""

    def __init__(
        self, per_second: float | None = 29.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_second = per_second
        self._clock = clock
        self._next_slot = 0.0
        self._lock = asyncio.Lock()
        self._private_last: dict[int, float] = {}
        self._group_sent: dict[int, deque[float]] = {}
        self._paused_until = 0.0

    def chat_delay(self, chat_id: int) -> float:
        """Seconds until this chat may receive its next message (0: now)."""
        now = self._clock()
        if chat_id > 0:
            last = self._private_last.get(chat_id)
            return 0.0 if last is None else max(0.0, last + PRIVATE_GAP - now)
        sent = self._group_sent.get(chat_id)
        if not sent:
            return 0.0
        while sent and sent[0] <= now - GROUP_WINDOW:
            sent.popleft()
        return 0.0 if len(sent) < GROUP_MAX else sent[0] + GROUP_WINDOW - now

    def record(self, chat_id: int) -> None:
        now = self._clock()
        if chat_id > 0:
            self._private_last[chat_id] = now
            if len(self._private_last) > 100_000:  # forget chats long past their gap
                cutoff = now - PRIVATE_GAP
                self._private_last = {c: t for c, t in self._private_last.items() if t > cutoff}
        else:
            self._group_sent.setdefault(chat_id, deque()).append(now)

    def pause(self, seconds: float) -> None:
        """Telegram said 429: nobody sends until it allows again."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def wait_unpaused(self) -> None:
        """The last check before a send: a 429 may have come while this one waited for its
        slot (sends already claimed and waiting in tasks obey it too)."""
        for _ in range(1000):  # pauses may be extended while this one sleeps
            delay = self._paused_until - self._clock()
            if delay <= 0:
                return
            await asyncio.sleep(delay)

    async def acquire(self) -> None:
        """Wait for an overall send slot (evenly spaced, no bursts)."""
        async with self._lock:
            now = self._clock()
            start = max(now, self._paused_until)
            if self.per_second:
                start = max(start, self._next_slot)
                self._next_slot = start + 1.0 / self.per_second
            delay = start - now
        if delay > 0:
            await asyncio.sleep(delay)


@dataclass
class SenderStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    too_many_requests: int = 0
    started: float = field(default_factory=time.monotonic)


class Sender:
    def __init__(
        self,
        db: Database,
        bot: Bot,
        *,
        limiter: RateLimiter | None = None,
        clock: Callable[[], float] = time.time,
        concurrency: int = 64,
        batch: int = 200,
        idle_poll: float = 1.0,
    ) -> None:
        self.db = db
        self.bot = bot
        self.limiter = limiter or RateLimiter()
        self.paid_limiter = RateLimiter(PAID_RATE if self.limiter.per_second else None)
        self.clock = clock
        self.concurrency = concurrency
        self.batch = batch
        self.idle_poll = idle_poll
        self.stats = SenderStats()
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._pushes: dict[int, Push | None] = {}
        self._stopped: set[int] = set()
        self._owed: deque[tuple[int, Callable[[], Awaitable[object]]]] = deque()
        self.error: str | None = None  # the last database error, until a cycle succeeds
        self.progress_at = time.time()  # when a row last finished (sent, failed, retried)
        self.on_blocked: Callable[[int], object] | None = None
        self._lease = db.sender_lease()
        self.active = False  # this process holds the sender's role (others stand by)
        self._lease_checked = 0.0

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        self._stopping = False
        self.progress_at = time.time()
        await self._lead()
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def _lead(self) -> bool:
        """Hold the sender's role or wait for it. Whoever takes it over releases what was
        in flight (sent by a sender that died, or not): each such row goes out at most once
        more, and none is lost."""
        if self.active:
            if time.monotonic() - self._lease_checked < LEASE_CHECK:
                return True
            self._lease_checked = time.monotonic()
            if await self._lease.held():
                return True
            log.error("lost the outbox sender's role (database connection dropped)")
            self.active = False
            return False
        if not await self._lease.acquire():
            return False
        self.active, self._lease_checked = True, time.monotonic()
        released = await self.db.outbox.release_inflight()
        if released:
            log.warning("delivery resumed: %d row(s) were in flight at the last stop", released)
        # A 429 outlives a restart: Telegram's wait is counted from its answer, not ours.
        paused_until = float((await self.db.status.health()).get("push_paused_until") or 0)
        if paused_until > time.time():
            self.limiter.pause(paused_until - time.time())
            self.paid_limiter.pause(paused_until - time.time())
        return True

    def ensure_running(self) -> bool:
        """Restart the loop if it ended without being stopped (the heartbeat calls this);
        True if it had to."""
        if self._stopping or self.running:
            return False
        if self._task is not None and not self._task.cancelled() and self._task.exception():
            log.error(
                "the outbox sender had stopped; restarting it", exc_info=self._task.exception()
            )
        self._task = asyncio.create_task(self._run(), name="outbox-sender")
        return True

    def wake(self) -> None:
        self._wake.set()

    async def stop(self, grace: float = 10.0) -> None:
        """Stop taking rows, let in-flight sends finish (up to `grace`), release the rest."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        pending = dict(self._inflight)
        unfinished: list[int] = []
        if pending:
            _, still = await asyncio.wait(pending.values(), timeout=grace)
            unfinished = [rid for rid, task in pending.items() if task in still]
            for task in still:
                task.cancel()
            await asyncio.gather(*still, return_exceptions=True)
        self._inflight.clear()
        await self._settle_owed()
        try:
            await self.db.outbox.release_inflight(unfinished)
        except Exception:  # they stay in flight; the next start releases them
            log.exception("could not release %d row(s) at stop", len(unfinished))
        self.active = False
        await self._lease.release()  # a standby's connection, too

    async def stop_push(self, push_id: int) -> int:
        """Stop a broadcast: pending rows are cancelled now, claimed ones before their send."""
        self._stopped.add(push_id)
        return await self.db.outbox.stop_push(push_id)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def health(self) -> dict[str, str]:
        """What the heartbeat stores for the health probe (bot/health.py reads it)."""
        values = {
            "sender_running": "1" if self.running else "0",
            "sender_role": "active" if self.active else "standby",
            "sender_progress": f"{self.progress_at:.0f}",
            "sender_error": self.error or "",
        }
        return values

    async def drain(self, timeout: float = 30.0, *, everything: bool = False) -> None:
        """Wait until nothing due (with `everything`: nothing at all, retries included) is
        pending or in flight. For tests and benchmarks."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            counts = await self.db.outbox.counts()
            due = await self.db.outbox.next_due()
            idle = counts["inflight"] == 0 and not self._inflight
            if idle and (due is None or (not everything and due > self.clock())):
                return
            self.wake()
            await asyncio.sleep(0.02)
        raise TimeoutError("the outbox did not drain in time")

    # -- the loop -----------------------------------------------------------------------

    async def _run(self) -> None:
        """Nothing but a stop ends this loop: a database error is logged, reported to the
        health probe, and retried with a growing pause (up to DB_RETRY_MAX)."""
        pause = DB_RETRY_MIN
        while not self._stopping:
            try:
                await self._settle_owed()
                if not await self._lead():
                    await self._standby()
                    continue
                await self._cycle()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.error = f"{type(exc).__name__}: {exc}"
                log.exception("outbox sender: database error; retrying in %.1f s", pause)
                await asyncio.sleep(pause)
                pause = min(DB_RETRY_MAX, pause * 2)
            else:
                if not self._owed:
                    self.error = None
                pause = DB_RETRY_MIN

    async def _cycle(self) -> None:
        # Claim about a second of work at a time: a stopped broadcast then stops within a
        # second, and a crash leaves little in flight.
        rate = self.limiter.per_second
        batch = min(self.batch, max(1, int(rate))) if rate else self.batch
        rows = await self.db.outbox.claim(int(self.clock()), batch)
        if not rows:
            await self._idle()
            return
        for index, row in enumerate(rows):
            if self._stopping:
                await self.db.outbox.release_inflight([r.id for r in rows[index:]])
                return
            await self._slots.acquire()
            task = asyncio.create_task(self._deliver(row))
            self._inflight[row.id] = task
            task.add_done_callback(partial(self._done, row.id))

    async def _standby(self) -> None:
        """Another instance sends: wait until it may have gone (or this one stops)."""
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=LEASE_POLL)

    def _done(self, row_id: int, _task: asyncio.Task[None] | None = None) -> None:
        self._inflight.pop(row_id, None)
        self._slots.release()

    async def _idle(self) -> None:
        self._wake.clear()
        due = await self.db.outbox.next_due()
        wait = self.idle_poll if due is None else min(self.idle_poll, max(0.0, due - self.clock()))
        if self._owed:
            wait = min(wait, DB_RETRY_MIN)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.01))

    async def _push(self, push_id: int) -> Push | None:
        if push_id not in self._pushes:
            if len(self._pushes) > 1000:
                self._pushes.clear()
            self._pushes[push_id] = await self.db.outbox.push(push_id)
        return self._pushes[push_id]

    async def _settle(self, row_id: int, write: Callable[[], Awaitable[object]]) -> None:
        """Record a row's fate; if the database refuses, keep it owed and retry from the loop
        (a row sent and not marked stays in flight only until the database answers again)."""
        self.progress_at = time.time()
        if self._owed:  # keep the order: older marks first
            self._owed.append((row_id, write))
            return
        try:
            await write()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            log.warning("could not record outbox row %s (%s); retrying", row_id, exc)
            self._owed.append((row_id, write))

    async def _settle_owed(self) -> None:
        """Write the owed marks, oldest first; raise on the first that still fails."""
        while self._owed:
            _, write = self._owed[0]
            await write()
            self._owed.popleft()

    async def _deliver(self, row: OutboxRow) -> None:
        outbox = self.db.outbox
        try:
            delay = self.limiter.chat_delay(row.chat_id)
            if delay > 0:
                await asyncio.sleep(delay)
            push = await self._push(row.push_id)
            paid = bool(push and push.options.get("paid"))
            # A paid broadcast may go up to 1000 messages a second; only its own rows do.
            limiter = self.paid_limiter if paid else self.limiter
            await limiter.acquire()
            await limiter.wait_unpaused()
            # The stored stop too: a stop made before a crash, or by another instance.
            if row.push_id in self._stopped or await outbox.is_stopped(row.push_id):
                await self._settle(
                    row.id, partial(outbox.mark_cancelled, row.id, "broadcast stopped")
                )
                return
            if push is None:
                raise LookupError(f"push {row.push_id} does not exist")
            text = push.texts.get(row.lang) or next(iter(push.texts.values()), "")
            self.limiter.record(row.chat_id)
            message = await self.bot.send_message(
                row.chat_id,
                text,
                parse_mode=ParseMode.HTML,
                disable_notification=row.silent,
                link_preview_options=LinkPreviewOptions(
                    is_disabled=not push.options.get("link_preview", False)
                ),
                allow_paid_broadcast=True if paid else None,
            )
        except RetryAfter as exc:
            wait = _seconds(exc.retry_after)
            self.stats.too_many_requests += 1
            self.limiter.pause(wait)
            self.paid_limiter.pause(wait)
            with contextlib.suppress(Exception):  # only for a restart within the wait
                await self.db.status.set({"push_paused_until": f"{time.time() + wait:.3f}"})
            await self._settle(
                row.id,
                partial(
                    outbox.retry_later,
                    row.id,
                    int(self.clock() + wait) + 1,
                    f"429: {exc}",
                    count=False,
                ),
            )
        except Forbidden as exc:
            self.stats.failed += 1

            async def blocked(chat_id: int = row.chat_id, reason: str = exc.message) -> None:
                await outbox.mark_failed(row.id, f"403: {reason}")
                await self.db.changes.set_blocked(chat_id, True, "the chat blocked the bot")

            await self._settle(row.id, blocked)
            if self.on_blocked is not None:
                self.on_blocked(row.chat_id)
        except ChatMigrated as exc:

            async def migrated(old: int = row.chat_id, new: int = exc.new_chat_id) -> None:
                await self.db.changes.migrate_chat(old, new)
                await outbox.move_chat(row.id, new)

            await self._settle(row.id, migrated)
            self.wake()
        except BadRequest as exc:
            self.stats.failed += 1
            await self._settle(row.id, partial(outbox.mark_failed, row.id, f"400: {exc.message}"))
        except (TimedOut, NetworkError) as exc:  # includes 5xx answers
            if row.attempts >= MAX_ATTEMPTS:
                self.stats.failed += 1
                reason = f"gave up after {row.attempts} attempts: {exc}"
                await self._settle(row.id, partial(outbox.mark_failed, row.id, reason))
            else:
                self.stats.retried += 1
                backoff = min(BACKOFF_MAX, BACKOFF_BASE**row.attempts)
                due = int(self.clock() + backoff)
                await self._settle(
                    row.id, partial(outbox.retry_later, row.id, due, f"retrying: {exc}")
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug or the database: the sender lives on, the row waits
            log.exception("unexpected error delivering outbox row %s", row.id)
            self.error = f"{type(exc).__name__}: {exc}"
            # Not sent: back to pending, tried again after a pause (counted as an attempt).
            due = int(self.clock() + DB_RETRY_MAX)
            reason = f"error: {type(exc).__name__}: {exc}"
            if row.attempts >= MAX_ATTEMPTS:
                self.stats.failed += 1
                await self._settle(row.id, partial(outbox.mark_failed, row.id, reason))
            else:
                await self._settle(row.id, partial(outbox.retry_later, row.id, due, reason))
        else:
            self.stats.sent += 1
            await self._settle(row.id, partial(outbox.mark_sent, row.id, message.message_id))


def _seconds(value: float | dt.timedelta) -> float:
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value)
