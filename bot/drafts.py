"""A staff member's news draft, kept in the database from the first text to the queue.

Send confirms the draft before anything else; the push then takes the draft's key, which
the outbox never queues twice. So a crash leaves either a queued push or a confirmed
draft, which the bot shows back to its author at start (see resume_confirmed)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from bot.broadcasts import news_texts
from bot.callbacks import CallbackData
from bot.storage import Database
from bot.storage.outbox import Audience
from bot.storage.scheduled import ScheduledPost

# /post's buttons (owned by handlers/post.py); post:send:<draft id> also comes back after a
# restart, on the message that shows a confirmed draft to its author.
POST = CallbackData("post")


@dataclass
class NewsDraft:
    key: str = field(default_factory=lambda: f"news:{uuid.uuid4().hex}")
    texts: dict[str, str | None] = field(default_factory=dict)
    fallback: str | None = None
    link_preview: bool = False
    paid: bool = False
    languages: list[str] = field(default_factory=list)  # the audience's; empty: everyone
    chats: str = "all"  # all | private | groups
    send_at: int | None = None  # unix time; None: now
    step: str = "writing"  # writing | fallback | preview | day | hour

    def to_body(self) -> dict[str, Any]:
        return {
            "texts": self.texts,
            "fallback": self.fallback,
            "link_preview": self.link_preview,
            "paid": self.paid,
            "languages": self.languages,
            "chats": self.chats,
            "send_at": self.send_at,
            "step": self.step,
        }

    @classmethod
    def of(cls, key: str, body: dict[str, Any]) -> NewsDraft:
        return cls(
            key=key,
            texts=dict(body.get("texts") or {}),
            fallback=body.get("fallback"),
            link_preview=bool(body.get("link_preview")),
            paid=bool(body.get("paid")),
            languages=list(body.get("languages") or []),
            chats=str(body.get("chats") or "all"),
            send_at=body.get("send_at"),
            step=str(body.get("step") or "writing"),
        )

    @property
    def short_key(self) -> str:
        """The draft's id in its buttons (the key without "news:")."""
        return self.key.removeprefix("news:")

    @property
    def audience(self) -> Audience:
        return Audience(tuple(self.languages), self.chats)

    @property
    def options(self) -> dict[str, Any]:
        return {"link_preview": self.link_preview, "paid": self.paid}

    def final_texts(self) -> dict[str, str]:
        return news_texts(self.texts, self.fallback)


async def save(db: Database, user_id: int, chat_id: int, draft: NewsDraft) -> None:
    await db.drafts.save(user_id, chat_id, draft.key, draft.to_body())


async def load(db: Database, user_id: int) -> NewsDraft | None:
    stored = await db.drafts.of_user(user_id)
    return NewsDraft.of(stored.key, stored.body) if stored else None


@dataclass(frozen=True)
class Submitted:
    push_id: int | None  # queued now
    rows: int
    scheduled_id: int | None  # or scheduled for draft.send_at
    again: bool  # this draft had been submitted before: nothing new was queued


async def submit(db: Database, draft: NewsDraft, created_by: int, now: int) -> Submitted:
    """Queue the confirmed draft now, or schedule it; at most once per draft, then forget it."""
    again = False
    if draft.send_at is not None and draft.send_at > now:
        known = await db.scheduled.by_key(draft.key)
        again = known is not None
        post_id = await db.scheduled.add(
            draft.key,
            draft.final_texts(),
            draft.options,
            draft.audience.to_dict(),
            draft.send_at,
            created_by,
        )
        await db.drafts.delete(draft.key)
        return Submitted(None, 0, post_id, again)
    push_id, rows = await db.outbox.queue(
        draft.key,
        "news",
        draft.final_texts(),
        created_by=created_by,
        options=draft.options,
        audience=draft.audience,
    )
    await db.drafts.delete(draft.key)
    return Submitted(push_id, rows, None, rows == 0 and await already_queued(db, draft.key))


async def already_queued(db: Database, key: str) -> bool:
    return await db.outbox.push_id(key) is not None or await db.scheduled.by_key(key) is not None


async def queue_scheduled(db: Database, post: ScheduledPost) -> tuple[int, int]:
    push_id, rows = await db.outbox.queue(
        post.key,
        "news",
        post.texts,
        created_by=post.created_by,
        options=post.options,
        audience=Audience.of(post.audience),
    )
    await db.scheduled.set_push(post.id, push_id)
    return push_id, rows


async def queue_due(db: Database, now: int) -> list[tuple[ScheduledPost, int, int]]:
    """Queue every scheduled post now due, and any a crash left claimed but not queued."""
    await db.scheduled.claim_due(now)
    done = []
    for post in await db.scheduled.queued_without_push():
        push_id, rows = await queue_scheduled(db, post)
        done.append((post, push_id, rows))
    return done
