"""The progress messages of broadcasts under way, and which follower keeps each one up to
date. A follower ticks while it runs; one that has gone quiet is taken over, so the staff
member's "Sending…" reaches "Broadcast finished" even if the process that showed it died."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from bot.storage.connection import Connection, now


@dataclass(frozen=True)
class Watched:
    push_id: int
    chat_id: int
    message_id: int
    language: str
    started_ms: int  # when the broadcast was sent, in milliseconds (its report's time)

    @property
    def key(self) -> tuple[int, int, int]:
        return self.push_id, self.chat_id, self.message_id


_ONE = "push_id = ? AND chat_id = ? AND message_id = ?"


class ProgressMessages:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def watch(self, watched: Watched, follower: str) -> None:
        await self._conn.execute(
            "INSERT INTO progress_messages (push_id, chat_id, message_id, language, "
            "started_ms, followed_by, followed_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (push_id, chat_id, message_id) DO NOTHING",
            (*watched.key, watched.language, watched.started_ms, follower, now()),
        )

    async def tick(self, watched: Watched, follower: str) -> bool:
        """Still this follower's (and now marked as alive); False once another took over."""
        return (
            await self._conn.execute(
                f"UPDATE progress_messages SET followed_at = ? WHERE {_ONE} AND followed_by = ?",
                (now(), *watched.key, follower),
            )
            > 0
        )

    async def adopt(
        self,
        follower: Callable[[], str],
        quiet_for: int,
        skip: Collection[tuple[int, int, int]] = (),
    ) -> list[tuple[Watched, str]]:
        """Take over the messages whose follower has not ticked for `quiet_for` seconds
        (but those in `skip`), each with a new follower name; of two processes trying at
        once, each message goes to one."""
        rows = await self._conn.fetchall(
            "SELECT push_id, chat_id, message_id, language, started_ms, followed_by, "
            "followed_at FROM progress_messages WHERE followed_at < ?",
            (now() - quiet_for,),
        )
        adopted = []
        for row in rows:
            watched = Watched(int(row[0]), int(row[1]), int(row[2]), str(row[3]), int(row[4]))
            if watched.key in skip:
                continue
            name = follower()
            taken = await self._conn.execute(
                "UPDATE progress_messages SET followed_by = ?, followed_at = ? "
                f"WHERE {_ONE} AND followed_by = ? AND followed_at = ?",
                (name, now(), *watched.key, row[5], row[6]),
            )
            if taken:
                adopted.append((watched, name))
        return adopted

    async def let_go(self, followers: Collection[str]) -> None:
        """This process stops: its messages are to be taken over at once, not after the
        quiet time."""
        names = list(followers)
        if names:
            marks = ",".join("?" * len(names))
            await self._conn.execute(
                f"UPDATE progress_messages SET followed_at = 0 WHERE followed_by IN ({marks})",
                names,
            )

    async def finish(self, watched: Watched) -> None:
        await self._conn.execute(f"DELETE FROM progress_messages WHERE {_ONE}", watched.key)
