"""The content currently served: validated files written to SQLite with their search index,
then read back, so what the bot serves is exactly what the database holds.

Validation and indexing take seconds for large content, so they run only when the files
changed since the stored copy was built (their digest is stored with it), and always on
/reload and check-content.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.content.kinds import BY_NAME, KINDS
from bot.content.model import CONTENT_DIR, Content, Event
from bot.content.validation import read_content
from bot.search import build_index, set_vocabulary, vocabulary_of
from bot.search.vocabulary import Vocabulary
from bot.storage import Database
from bot.storage.content_index import ContentRow, SearchDoc

log = logging.getLogger(__name__)


def files_digest(content_dir: Path) -> str:
    """Names and bytes of every content file and seed: changes when anything in them does."""
    digest = hashlib.sha256()
    for path in sorted(p for p in content_dir.rglob("*") if p.is_file()):
        if path.suffix in (".toml", ".txt"):
            digest.update(str(path.relative_to(content_dir)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def to_rows(content: Content) -> Iterable[ContentRow]:
    for kind, items in content.items.items():
        for position, item in enumerate(items):
            topic = getattr(item, "topic", None)
            date, month, day, period = None, None, None, None
            if isinstance(item, Event):
                date = item.date
                month, day = item.when.month, item.when.day
                found = content.period_of(item)
                period = found.id if found else None
            body = json.dumps(dataclasses.asdict(item), ensure_ascii=False)
            yield ContentRow(kind, item.id, position, topic, period, date, month, day, body)


def from_rows(rows: Iterable[ContentRow]) -> Content:
    items: dict[str, list[Any]] = {kind.name: [] for kind in KINDS}
    for row in sorted(rows, key=lambda r: r.position):
        kind = BY_NAME.get(row.kind)
        if kind is None:  # written by a release that knew more kinds
            continue
        data = json.loads(row.body)
        for name in ("quote", "aliases"):  # JSON has lists; the items hold tuples
            if name in data:
                data[name] = tuple(data[name])
        items[row.kind].append(kind.model(**data))
    return Content({name: tuple(found) for name, found in items.items()})


def _read_and_index(content_dir: Path) -> tuple[Content, str, list[SearchDoc], Vocabulary]:
    """Digest, validation, search documents and their vocabulary, off the event loop."""
    digest = files_digest(content_dir)
    content = read_content(content_dir)
    docs, vocabulary = build_index(content)
    return content, digest, docs, vocabulary


RELOAD_KEY = "content_reload"  # (in the shared status) when and to what content a /reload was
RELOAD_CHECK_EVERY = 5.0  # seconds between an instance's looks at it


class ContentStore:
    """Swapped as a whole, so readers see old or new, never half."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.current = Content()
        self.version = ""
        self._pending: asyncio.Task[None] | None = None
        self._reload_seen: str | None = None  # the last /reload of any instance, served here

    async def load(self, content_dir: Path = CONTENT_DIR, *, validate: bool = False) -> Content:
        """Serve the files' content; validate and rebuild the stored copy only when the
        files changed (or `validate`). Raises ContentError and changes nothing when any
        file is invalid."""
        stored = await self._db.content.digest()
        if not validate and stored is not None:
            digest = await asyncio.to_thread(files_digest, content_dir)
            if digest == stored:
                # A restart: serve at once; the typo vocabulary follows in a second (search
                # works without it meanwhile, only without typo correction).
                content = self._serve(from_rows(await self._db.content.items()), digest, None)
                self._pending = asyncio.create_task(self._vocabulary_later(content, digest))
                return content
        content, digest, docs, vocabulary = await asyncio.to_thread(_read_and_index, content_dir)
        await self._db.content.replace(to_rows(content), digest, docs)
        return self._serve(from_rows(await self._db.content.items()), digest, vocabulary)

    async def _vocabulary_later(self, content: Content, digest: str) -> None:
        try:
            rows = await self._db.content.documents()
            vocabulary = await asyncio.to_thread(vocabulary_of, content, rows)
        except Exception:  # the bot stopped meanwhile: the next start builds it again
            log.debug("search vocabulary not built", exc_info=True)
            return
        if self.version == digest[:16]:  # not replaced by a /reload meanwhile
            set_vocabulary(self._db, vocabulary)

    def _serve(self, content: Content, digest: str, vocabulary: Vocabulary | None) -> Content:
        """What SQLite holds, and the search vocabulary of the same documents."""
        if vocabulary is not None:
            set_vocabulary(self._db, vocabulary)
        self.current = content
        self.version = digest[:16]  # names caches of what is rendered from it
        return content

    async def reload(self, content_dir: Path) -> Content:
        """A staff /reload: validate and serve the files, and tell the other instances
        sharing the database, which follow within RELOAD_CHECK_EVERY seconds."""
        content = await self.load(content_dir, validate=True)
        self._reload_seen = f"{time.time():.3f} {self.version}"
        await self._db.status.set({RELOAD_KEY: self._reload_seen})
        return content

    async def follow_reloads(self, content_dir: Path) -> bool:
        """Reload here if another instance reloaded since; True if this one did. A first
        call only notes where things stand (this process loaded the files at start)."""
        seen = await self._db.status.value(RELOAD_KEY)
        if self._reload_seen is None or seen is None or seen == self._reload_seen:
            self._reload_seen = self._reload_seen or seen or ""
            return False
        self._reload_seen = seen
        await self.load(content_dir, validate=True)
        if not seen.endswith(self.version):
            log.warning(
                "content reloaded after another instance's /reload, but from different files "
                "(here %s, there %s): give every instance the same content/",
                self.version,
                seen.rsplit(" ", 1)[-1],
            )
        return True

    def counts(self) -> dict[str, int]:
        return self.current.counts()
