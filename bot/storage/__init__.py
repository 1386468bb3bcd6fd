"""The one owner of the SQLite database: connection, migrations and every SQL statement,
one module per concern (chats, settings, outbox, content index, status) and one for the
changes that span them (bot.storage.changes). Open it with Database.open(path)."""

from bot.storage.database import Database

__all__ = ["Database"]
