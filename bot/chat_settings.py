"""Rules for changing a chat's settings that are more than a column write."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.storage import Database
from bot.storage.settings import Settings


async def change_timezone(
    db: Database, chat_id: int, new: str, *, default: dt.tzinfo, now: dt.datetime
) -> Settings:
    """Queued reminders keep their local hour: 09:00 in Dushanbe becomes 09:00 in Moscow."""
    current = (await db.settings.get_settings(chat_id)).timezone
    old_zone = ZoneInfo(current) if current else default
    old_offset = now.astimezone(old_zone).utcoffset() or dt.timedelta()
    new_offset = now.astimezone(ZoneInfo(new)).utcoffset() or dt.timedelta()
    return await db.changes.update_settings(
        chat_id, timezone=new, shift_reminders_by=int((old_offset - new_offset).total_seconds())
    )
