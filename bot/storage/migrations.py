"""The schema, one version per entry, applied in order (PRAGMA user_version counts them)."""

from __future__ import annotations

import re

from bot.storage.connection import POSTGRESQL, Connection

# Each entry moves the schema one version up; never edit a released one, append a new one.
MIGRATIONS: tuple[str, ...] = (
    # 1: users, their settings and subscriptions
    """
    CREATE TABLE users (
        id                INTEGER PRIMARY KEY,
        kind              TEXT NOT NULL DEFAULT 'private'
                          CHECK (kind IN ('private', 'group', 'supergroup', 'channel')),
        title             TEXT,
        language          TEXT CHECK (language IN ('ru', 'tg', 'en')),
        telegram_language TEXT,
        created_at        INTEGER NOT NULL,
        last_seen_at      INTEGER NOT NULL,
        blocked_at        INTEGER
    );
    CREATE TABLE settings (
        user_id       INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        reminder_hour INTEGER NOT NULL DEFAULT 9 CHECK (reminder_hour BETWEEN 0 AND 23),
        timezone      TEXT,
        silent        INTEGER NOT NULL DEFAULT 0 CHECK (silent IN (0, 1))
    );
    CREATE TABLE subscriptions (
        user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        topic      TEXT NOT NULL CHECK (topic IN ('reminders', 'news')),
        created_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, topic)
    ) WITHOUT ROWID;
    CREATE INDEX subscriptions_by_topic ON subscriptions(topic, user_id);
    """,
    # 2: the content store, replaced as a whole by the loader
    """
    CREATE TABLE content_items (
        kind     TEXT NOT NULL,
        id       TEXT NOT NULL,
        position INTEGER NOT NULL,
        topic    TEXT,
        period   TEXT,
        date     TEXT,
        month    INTEGER,
        day      INTEGER,
        body     TEXT NOT NULL,
        PRIMARY KEY (kind, id)
    ) WITHOUT ROWID;
    CREATE INDEX content_by_day ON content_items(month, day) WHERE day IS NOT NULL;
    CREATE TABLE content_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # 3: the durable outbox: one push (texts per language), one row per recipient
    """
    CREATE TABLE pushes (
        id         INTEGER PRIMARY KEY,
        key        TEXT NOT NULL UNIQUE,
        topic      TEXT NOT NULL CHECK (topic IN ('reminders', 'news')),
        texts      TEXT NOT NULL,
        options    TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL,
        created_by INTEGER,
        stopped_at INTEGER
    );
    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY,
        push_id         INTEGER NOT NULL REFERENCES pushes(id),
        chat_id         INTEGER NOT NULL,
        lang            TEXT NOT NULL,
        silent          INTEGER NOT NULL DEFAULT 0,
        state           TEXT NOT NULL DEFAULT 'pending'
                        CHECK (state IN ('pending', 'inflight', 'sent', 'failed', 'cancelled')),
        due_at          INTEGER NOT NULL,
        expires_at      INTEGER,
        attempts        INTEGER NOT NULL DEFAULT 0,
        sent_message_id INTEGER,
        reason          TEXT,
        updated_at      INTEGER NOT NULL,
        UNIQUE (push_id, chat_id)
    );
    CREATE INDEX outbox_due ON outbox(due_at) WHERE state = 'pending';
    CREATE INDEX outbox_inflight ON outbox(state) WHERE state = 'inflight';
    CREATE INDEX outbox_by_chat ON outbox(chat_id, state);
    CREATE INDEX outbox_updated ON outbox(updated_at, state);
    """,
    # 4: the search index over the content, one document per item and language
    """
    CREATE VIRTUAL TABLE search USING fts5(
        kind UNINDEXED, item_id UNINDEXED, lang, keys, exact, loose,
        tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4'
    );
    """,
    # 5: what the running bot reports about itself, for the health probe
    """
    CREATE TABLE status (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # 6: pictures already uploaded to Telegram, reused by file_id (not the health status)
    """
    CREATE TABLE file_cache (
        key     TEXT PRIMARY KEY,
        file_id TEXT NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO file_cache (key, file_id)
        SELECT key, value FROM status WHERE key LIKE 'timeline:%';
    DELETE FROM status WHERE key LIKE 'timeline:%';
    """,
    # 7: a staff member's /post draft, kept until it is queued (a restart loses no "Send")
    """
    CREATE TABLE drafts (
        user_id      INTEGER PRIMARY KEY,
        chat_id      INTEGER NOT NULL,
        key          TEXT NOT NULL UNIQUE,
        body         TEXT NOT NULL,
        confirmed_at INTEGER,
        updated_at   INTEGER NOT NULL
    );
    """,
    # 8: news scheduled for later, queued once when due (by its key, like any push)
    """
    CREATE TABLE scheduled (
        id         INTEGER PRIMARY KEY,
        key        TEXT NOT NULL UNIQUE,
        texts      TEXT NOT NULL,
        options    TEXT NOT NULL DEFAULT '{}',
        audience   TEXT NOT NULL DEFAULT '{}',
        due_at     INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        created_by INTEGER,
        state      TEXT NOT NULL DEFAULT 'waiting'
                   CHECK (state IN ('waiting', 'queued', 'cancelled')),
        push_id    INTEGER
    );
    CREATE INDEX scheduled_due ON scheduled(due_at) WHERE state = 'waiting';
    """,
    # 9: what people use, counted per day (or per month, once older than 400 days) and
    # never with who: commands, opens per item, searches that found nothing, new and
    # active users, subscriptions, deliveries. `key` says which command, item or query.
    """
    CREATE TABLE IF NOT EXISTS daily_counts (
        day    TEXT NOT NULL,
        metric TEXT NOT NULL,
        key    TEXT NOT NULL DEFAULT '',
        value  INTEGER NOT NULL,
        PRIMARY KEY (day, metric, key)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS daily_counts_by_metric ON daily_counts(metric, day);
    """,
    # 10: a user's 👍/👎 per fact or event: one each, changeable, deleted with the user
    """
    CREATE TABLE IF NOT EXISTS ratings (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind    TEXT NOT NULL,
        item_id TEXT NOT NULL,
        value   INTEGER NOT NULL CHECK (value IN (-1, 1)),
        PRIMARY KEY (user_id, kind, item_id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS ratings_by_item ON ratings(kind, item_id);
    """,
    # 11: where a chat's staff conversation (/post, /channel) stands, so the next message
    # may reach another instance; a row per open conversation, gone when it ends
    """
    CREATE TABLE IF NOT EXISTS conversations (
        name       TEXT NOT NULL,
        chat_id    INTEGER NOT NULL,
        user_id    INTEGER NOT NULL,
        state      TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (chat_id, user_id, name)
    ) WITHOUT ROWID;
    """,
    # 12: a broadcast's progress message and who keeps it up to date: when that process
    # goes quiet (it died, or stopped), another one, or the same one restarted, takes over
    """
    CREATE TABLE IF NOT EXISTS progress_messages (
        push_id     INTEGER NOT NULL REFERENCES pushes(id),
        chat_id     INTEGER NOT NULL,
        message_id  INTEGER NOT NULL,
        language    TEXT NOT NULL,
        started_ms  INTEGER NOT NULL,
        followed_by TEXT NOT NULL,
        followed_at INTEGER NOT NULL,
        PRIMARY KEY (push_id, chat_id, message_id)
    );
    """,
)


# The versions whose tables hold the content and its index: derived from content/, they
# live beside the shared state in SQLite's one file, and in each process's own in-memory
# SQLite when the shared state is in PostgreSQL (bot.storage.database).
CONTENT_MIGRATIONS = frozenset({2, 4})
_PG_LOCK = 7_410_001  # advisory lock key: one instance migrates at a time


def _statements(script: str) -> list[str]:
    return [s for s in script.split(";") if s.strip()]


def postgres_ddl(statement: str) -> str:
    """The same schema in PostgreSQL's words: 64-bit integers (chat ids need them), an
    identity for generated ids, no WITHOUT ROWID."""
    statement = statement.replace("WITHOUT ROWID", "")
    statement = re.sub(
        r"\bid\s+INTEGER PRIMARY KEY\b",
        "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        statement,
    )
    return re.sub(r"\bINTEGER\b", "BIGINT", statement)


async def schema_version(conn: Connection) -> int:
    if conn.dialect == POSTGRESQL:
        row = await conn.fetchone("SELECT to_regclass('schema_version') IS NOT NULL")
        if row is None or not row[0]:
            return 0
        row = await conn.fetchone("SELECT max(version) FROM schema_version")
        return int(row[0]) if row is not None and row[0] is not None else 0
    row = await conn.fetchone("PRAGMA user_version")
    assert row is not None
    return int(row[0])


def _too_new(current: int) -> RuntimeError:
    return RuntimeError(
        f"the database schema is version {current}, newer than this bot knows "
        f"({len(MIGRATIONS)}); run a newer release"
    )


async def migrate(conn: Connection) -> None:
    if conn.dialect == POSTGRESQL:
        await _migrate_postgres(conn)
        return
    current = await schema_version(conn)
    if current > len(MIGRATIONS):
        raise _too_new(current)
    for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
        # executescript would COMMIT first; run statement by statement in one transaction.
        async with conn.transaction() as tx:
            for statement in _statements(script):
                await tx.execute(statement)
            await tx.execute(f"PRAGMA user_version = {version}")


async def _migrate_postgres(conn: Connection) -> None:
    """The shared state's migrations; several instances starting at once take turns."""
    async with conn.transaction() as tx:
        await tx.execute(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
        await tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
        row = await tx.fetchone("SELECT max(version) FROM schema_version")
        current = int(row[0]) if row is not None and row[0] is not None else 0
        if current > len(MIGRATIONS):
            raise _too_new(current)
        for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
            if version not in CONTENT_MIGRATIONS:
                for statement in _statements(script):
                    await tx.execute(postgres_ddl(statement))
            await tx.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))


async def create_content_tables(conn: Connection) -> None:
    """The content's own tables, in a database that holds nothing else (in memory)."""
    async with conn.transaction() as tx:
        for version in sorted(CONTENT_MIGRATIONS):
            for statement in _statements(MIGRATIONS[version - 1]):
                await tx.execute(statement)
