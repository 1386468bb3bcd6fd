"""The progress messages of broadcasts under way, and which process keeps each one up to
date. A follower ticks while it runs; one that has gone quiet is taken over, so the staff
member's "Sending…" reaches "Broadcast finished" even if the process that showed it died."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.connection import Connection, now


@dataclass(frozen=True)
class Watched:
    push_id: int
    chat_id: int
    message_id: int
    language: str
    started_ms: int  # when the broadcast was sent, in milliseconds (its report's time)


class ProgressMessages:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def watch(self, watched: Watched, follower: str) -> None:
        await self._conn.execute(
            "INSERT INTO progress_messages (push_id, chat_id, message_id, language, "
            "started_ms, followed_by, followed_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (push_id) DO NOTHING",
            (
                watched.push_id,
                watched.chat_id,
                watched.message_id,
                watched.language,
                watched.started_ms,
                follower,
                now(),
            ),
        )

    async def tick(self, push_id: int, follower: str) -> bool:
        """Still this follower's (and now marked as alive); False once another took over."""
        return (
            await self._conn.execute(
                "UPDATE progress_messages SET followed_at = ? "
                "WHERE push_id = ? AND followed_by = ?",
                (now(), push_id, follower),
            )
            > 0
        )

    async def adopt(self, follower: str, quiet_for: int) -> list[Watched]:
        """Take over the messages whose follower has not ticked for `quiet_for` seconds;
        of two processes trying at once, each message goes to one."""
        rows = await self._conn.fetchall(
            "SELECT push_id, chat_id, message_id, language, started_ms, followed_by, "
            "followed_at FROM progress_messages WHERE followed_at < ?",
            (now() - quiet_for,),
        )
        adopted = []
        for row in rows:
            taken = await self._conn.execute(
                "UPDATE progress_messages SET followed_by = ?, followed_at = ? "
                "WHERE push_id = ? AND followed_by = ? AND followed_at = ?",
                (follower, now(), row[0], row[5], row[6]),
            )
            if taken:
                adopted.append(
                    Watched(int(row[0]), int(row[1]), int(row[2]), str(row[3]), int(row[4]))
                )
        return adopted

    async def finish(self, push_id: int) -> None:
        await self._conn.execute("DELETE FROM progress_messages WHERE push_id = ?", (push_id,))
