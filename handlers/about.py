"""/about: what the bot is, where its content comes from, which version runs."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.features import Command, Feature
from bot.i18n import lazy_pgettext
from bot.render.common import source_title
from bot.ui import home_row, keyboard, respond


def about_text(context: BotContext) -> str:
    tr = context.tr
    content = context.services.content.current
    lines = [
        tr.pgettext(
            "about",
            "<b>UN–Tajikistan partnership bot</b>\n\n"
            "Short, sourced facts about the work of the United Nations with Tajikistan, "
            "in Russian, Tajik and English. Every fact names the document it comes from.",
        ),
        "",
    ]
    lines.append("<b>{}</b>".format(tr.pgettext("about", "Sources")))
    lines += [f"• {source_title(tr, source)}" for source in content.sources]
    lines += [
        "",
        tr.pgettext("about", "Version {version}").format(version=context.services.version),
    ]
    return "\n".join(lines)


async def about(update: Update, context: BotContext) -> None:
    await respond(update, about_text(context), keyboard([home_row(context.tr)]))


FEATURE = Feature(
    name="about",
    commands=(
        Command(
            "about",
            lazy_pgettext("command menu", "About the bot and its sources"),
            about,
            button=lazy_pgettext("main menu", "ℹ️ About"),
        ),
    ),
)
