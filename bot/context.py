"""The services every handler needs, and the per-update context that carries them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.ext import CallbackContext, ExtBot

from bot.config import Config
from bot.i18n import DEFAULT_LANGUAGE, I18n, Translator
from bot.storage import Database
from bot.users import Users

if TYPE_CHECKING:
    from bot.content import ContentStore
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
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


SERVICES_KEY = "services"


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """One context per update: the language is resolved once (group -1) and reused."""

    lang: str = DEFAULT_LANGUAGE

    @property
    def services(self) -> Services:
        return self.application.bot_data[SERVICES_KEY]

    @property
    def tr(self) -> Translator:
        return self.services.i18n(self.lang)
