"""The database as the rest of the bot sees it: one object per concern.

Two stores behind it. The shared state (chats, settings, subscriptions, the outbox, drafts,
schedules, status, figures) is in SQLite's file or, with a postgresql:// URL, in PostgreSQL,
where several instances share it. The content and its search index are derived from
content/ and read-only between reloads: in SQLite they sit in the same file (a restart with
unchanged files reuses them); with PostgreSQL each process builds its own in memory."""

from __future__ import annotations

import socket
from pathlib import Path

from bot.storage.analytics import AnalyticsStore
from bot.storage.changes import ChatChanges
from bot.storage.chats import Chats
from bot.storage.connection import SQLITE, Connection, Lease, SqliteConnection, is_postgres_url
from bot.storage.content_index import ContentIndex
from bot.storage.conversations import ConversationStates
from bot.storage.drafts import Drafts
from bot.storage.migrations import create_content_tables, migrate, schema_version
from bot.storage.outbox import Outbox
from bot.storage.privacy import Privacy
from bot.storage.progress import ProgressMessages
from bot.storage.scheduled import Scheduled
from bot.storage.settings import SettingsStore
from bot.storage.status import Status


class Database:
    def __init__(
        self, conn: Connection, content: Connection | None = None, instance: str = ""
    ) -> None:
        self.conn = conn
        self.content_conn = content or conn
        self.chats = Chats(conn)
        self.settings = SettingsStore(conn)
        self.changes = ChatChanges(conn)
        self.outbox = Outbox(conn)
        self.content = ContentIndex(self.content_conn)
        self.status = Status(conn, self.content_conn, instance)
        self.drafts = Drafts(conn)
        self.scheduled = Scheduled(conn)
        self.analytics = AnalyticsStore(conn)
        self.privacy = Privacy(conn)
        self.conversations = ConversationStates(conn)
        self.progress = ProgressMessages(conn)

    @property
    def shared(self) -> bool:
        """Other processes may use the same state (PostgreSQL)."""
        return self.conn.dialect != SQLITE

    def sender_lease(self) -> Lease:
        """Who drains the outbox: one process at a time, whatever the number of instances
        (Telegram's limits are the bot's, not a process's)."""
        return self.conn.lease("outbox sender")

    @classmethod
    async def open(cls, target: Path | str, *, instance: str = "") -> Database:
        """A SQLite file's path, or a postgresql:// URL; `instance` names this process
        among those sharing PostgreSQL (its status values are its own)."""
        if not is_postgres_url(target):
            conn: Connection = await SqliteConnection.open(target)
            try:
                await migrate(conn)
            except BaseException:
                await conn.close()
                raise
            return cls(conn)
        from bot.storage.postgres import PostgresConnection

        conn = await PostgresConnection.open(str(target))
        content: Connection | None = None
        try:
            await migrate(conn)
            content = await SqliteConnection.open(":memory:")
            await create_content_tables(content)
        except BaseException:
            await conn.close()
            if content is not None:
                await content.close()
            raise
        return cls(conn, content, instance or socket.gethostname())

    async def close(self) -> None:
        await self.conn.close()
        if self.content_conn is not self.conn:
            await self.content_conn.close()

    async def schema_version(self) -> int:
        return await schema_version(self.conn)
