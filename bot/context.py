"""The services every handler needs, and the per-update context that carries them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telegram.ext import CallbackContext, ExtBot

from bot.analytics import Analytics
from bot.config import Config
from bot.delivery import Sender
from bot.i18n import I18n, Translator
from bot.languages import DEFAULT_LANGUAGE
from bot.storage import Database
from bot.users import Users

if TYPE_CHECKING:
    from bot.broadcasts import ProgressFollowers
    from bot.content.store import ContentStore
    from bot.conversation_state import SharedConversations
    from bot.features import Feature


@dataclass
class Services:
    config: Config
    db: Database
    i18n: I18n
    users: Users
    content: ContentStore
    features: tuple[Feature, ...]
    version: str
    content_dir: Path
    analytics: Analytics
    # The one source of "now": tests and the sandbox move it to check dated behaviour.
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))

    def now(self) -> dt.datetime:
        """Now in the bot's time zone."""
        return self.clock().astimezone(self.config.timezone)

    def today(self) -> dt.date:
        return self.now().date()

    sender: Sender | None = None
    conversations: SharedConversations | None = None
    progress: ProgressFollowers | None = None
    # This process among those sharing the database (new at every start): who follows what.
    process_id: str = field(default_factory=lambda: uuid.uuid4().hex)


SERVICES_KEY = "services"


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """One context per update: the language is resolved once (group -1) and reused."""

    lang: str = DEFAULT_LANGUAGE
    # conversation name → state read from the shared database for this update
    conversation_states: dict[str, object] | None = None

    @property
    def services(self) -> Services:
        return self.application.bot_data[SERVICES_KEY]

    @property
    def tr(self) -> Translator:
        return self.services.i18n(self.lang)
