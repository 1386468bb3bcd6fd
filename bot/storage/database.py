"""The database as the rest of the bot sees it: one connection, one object per concern."""

from __future__ import annotations

from pathlib import Path

from bot.storage.analytics import AnalyticsStore
from bot.storage.changes import ChatChanges
from bot.storage.chats import Chats
from bot.storage.connection import Connection
from bot.storage.content_index import ContentIndex
from bot.storage.drafts import Drafts
from bot.storage.migrations import migrate, schema_version
from bot.storage.outbox import Outbox
from bot.storage.privacy import Privacy
from bot.storage.scheduled import Scheduled
from bot.storage.settings import SettingsStore
from bot.storage.status import Status


class Database:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.chats = Chats(conn)
        self.settings = SettingsStore(conn)
        self.changes = ChatChanges(conn)
        self.outbox = Outbox(conn)
        self.content = ContentIndex(conn)
        self.status = Status(conn)
        self.drafts = Drafts(conn)
        self.scheduled = Scheduled(conn)
        self.analytics = AnalyticsStore(conn)
        self.privacy = Privacy(conn)

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        conn = await Connection.open(path)
        try:
            await migrate(conn)
        except BaseException:
            await conn.close()
            raise
        return cls(conn)

    async def close(self) -> None:
        await self.conn.close()

    async def schema_version(self) -> int:
        return await schema_version(self.conn)
