"""The menus built from the features' declarations: the main-menu buttons and the "/"
command menus (per language for everyone, larger for staff, per chat on demand)."""

from __future__ import annotations

from telegram import Bot, BotCommand, BotCommandScopeChat

from bot.callbacks import MENU
from bot.context import Services
from bot.features import Feature, all_commands, public_commands, staff_commands
from bot.i18n import Translator
from bot.languages import DEFAULT_LANGUAGE
from bot.render.html import escape
from bot.ui import Button


def commands_for(services: Services, tr: Translator, staff: bool) -> list[BotCommand]:
    chosen = public_commands(services.features)
    if staff:
        chosen += staff_commands(services.features)
    return [BotCommand(c.name, tr.lazy(c.description)) for c in chosen]


async def publish_command_menus(bot: Bot, services: Services) -> None:
    """The "/" menu in each language, Russian for everyone else (the default language), and
    a larger one in each staff member's private chat."""
    for tr in services.i18n.all():
        commands = commands_for(services, tr, staff=False)
        extended = commands_for(services, tr, staff=True)
        await bot.set_my_commands(commands, language_code=tr.lang)
        if tr.lang == DEFAULT_LANGUAGE:
            await bot.set_my_commands(commands)
        for admin in sorted(services.config.admin_ids):
            scope = BotCommandScopeChat(admin)
            await bot.set_my_commands(extended, scope=scope, language_code=tr.lang)
            if tr.lang == DEFAULT_LANGUAGE:
                await bot.set_my_commands(extended, scope=scope)


def descriptions(tr: Translator) -> tuple[str, str]:
    """The bot's profile texts in one language: what a new user reads before /start (the
    description, up to 512 characters) and on the profile and in shares (up to 120)."""
    description = tr.pgettext(
        "bot description",
        "Sourced facts about the United Nations and Tajikistan since 1992: the history, "
        "anniversaries with reminders, UN agencies and their contacts. In Russian, Tajik and "
        "English. Press Start.",
    )
    short = tr.pgettext(
        "bot description", "The UN and Tajikistan: sourced facts, history and anniversaries."
    )
    return description, short


async def publish_descriptions(bot: Bot, services: Services) -> None:
    """The description and short description in each language, Russian for the others."""
    for tr in services.i18n.all():
        description, short = descriptions(tr)
        await bot.set_my_description(description, language_code=tr.lang)
        await bot.set_my_short_description(short, language_code=tr.lang)
        if tr.lang == DEFAULT_LANGUAGE:
            await bot.set_my_description(description)
            await bot.set_my_short_description(short)


async def refresh_chat_menu(bot: Bot, services: Services, chat_id: int, lang: str) -> None:
    """After a language change: this chat's own "/" menu in its new language, so it never
    stays in the old one (a chat-scoped menu wins over the per-language ones)."""
    staff = chat_id in services.config.admin_ids
    commands = commands_for(services, services.i18n(lang), staff)
    await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))


def main_menu_rows(tr: Translator, features: tuple[Feature, ...]) -> list[list[Button]]:
    buttons = [(tr.lazy(c.button), MENU.pack(c.name)) for c in all_commands(features) if c.button]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def welcome(tr: Translator, first_name: str | None) -> str:
    """What /start and a «Привет» in a private chat answer, above the main menu."""
    name = escape(first_name or tr.pgettext("start", "friend"))
    return tr.pgettext(
        "start",
        "Hello, {name}! 🇺🇳🇹🇯\n\n"
        "I tell the story of the partnership between the United Nations and Tajikistan: "
        "sourced facts, the history since 1992, anniversaries, UN agencies and their contacts.\n\n"
        "Choose a section below, or your language.",
    ).format(name=name)


def group_greeting(tr: Translator) -> str:
    """Short in groups: the full menu is in the private chat."""
    return tr.pgettext(
        "start",
        "🇺🇳🇹🇯 I tell the story of the UN and Tajikistan. Here: /facts, /history, /today, "
        "/next, /search. Group admins: /subscribe and /settings.",
    )
