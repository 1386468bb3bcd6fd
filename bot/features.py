"""How a feature module declares itself: its commands (with menu and help lines) and handlers.

Each module in handlers/ exports one FEATURE; handlers/__init__.py lists them in order and
bot/app.py registers them. The "/" menu, /help and the main-menu buttons are all built from
these declarations, so they cannot drift apart from the handlers that serve them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import BaseHandler, filters

from bot.callbacks import MENU, CallbackData, check_unique
from bot.i18n import Lazy

if TYPE_CHECKING:
    from bot.context import BotContext

Callback = Callable[[Update, "BotContext"], Coroutine[Any, Any, Any]]
COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")

# Staff handlers use this filter; bot.app.register fills it from ADMIN_IDS. Everyone else
# falls through to the unknown-command answer, so staff commands reveal nothing.
# Staff commands are for new messages from staff users only: a channel post carrying a
# forged "from", or an edit of an old message, runs nothing.
STAFF_USERS = filters.User(allow_empty=False)
STAFF = STAFF_USERS & filters.UpdateType.MESSAGE


@dataclass(frozen=True)
class Command:
    name: str
    description: Lazy  # the one line shown in the "/" menu and in /help
    callback: Callback
    button: Lazy | None = None  # label of its main-menu button, if it has one
    in_menu: bool = True  # listed in the "/" menu and /help (False: hidden aliases)
    staff: bool = False  # only for ADMIN_IDS: in their menu and help, unknown to others
    conversation: bool = False  # its feature's ConversationHandler is the entry point

    def __post_init__(self) -> None:
        if not COMMAND_NAME.match(self.name):
            raise ValueError(f"invalid command name {self.name!r}")


@dataclass(frozen=True)
class Feature:
    name: str
    commands: tuple[Command, ...] = ()
    handlers: tuple[BaseHandler[Any, Any, Any], ...] = ()
    callbacks: tuple[CallbackData, ...] = ()  # the button prefixes its handlers own


def public_commands(features: tuple[Feature, ...]) -> list[Command]:
    return [c for c in all_commands(features) if c.in_menu and not c.staff]


def staff_commands(features: tuple[Feature, ...]) -> list[Command]:
    return [c for c in all_commands(features) if c.in_menu and c.staff]


def all_commands(features: tuple[Feature, ...]) -> list[Command]:
    commands = [c for f in features for c in f.commands]
    names = [c.name for c in commands]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"commands declared twice: {sorted(duplicates)}")
    return commands


def check_callbacks(features: tuple[Feature, ...]) -> None:
    """No two features (nor the main menu) own the same button prefix."""
    check_unique({"main menu": [MENU], **{f.name: list(f.callbacks) for f in features}})
