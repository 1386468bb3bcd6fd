"""Search: inline mode (@bot query in any chat), /search, and free text in the private chat."""

from __future__ import annotations

from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, InlineQueryHandler, MessageHandler, filters

from bot.browse import upcoming
from bot.callbacks import CallbackData
from bot.content.kinds import SHOWN, item_description, item_title, render_item
from bot.context import BotContext
from bot.features import Command, Feature
from bot.feedback import rating_rows
from bot.i18n import Translator, lazy_pgettext
from bot.render.html import escape
from bot.render.items import shorten
from bot.search import find
from bot.ui import answer_stale, keyboard, respond

SHOW = CallbackData("show")

INLINE_PAGE = 20  # results per inline page (Telegram allows 50)
CHAT_RESULTS = 8
FEATURED = 5


def deep_link(username: str, kind: str, item_id: str) -> str:
    return f"https://t.me/{username}?start={kind}_{item_id}"


def share_markup(
    tr: Translator, username: str, kind: str, item_id: str, query: str
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr.pgettext("search", "🇺🇳 Open the bot"), url=deep_link(username, kind, item_id)
                )
            ],
            [
                InlineKeyboardButton(
                    tr.pgettext("search", "🔎 Search again"), switch_inline_query_current_chat=query
                )
            ],
        ]
    )


def empty_query_items(context: BotContext) -> list[tuple[str, Any]]:
    """For "@bot" with nothing typed: the next anniversaries, then featured facts."""
    services = context.services
    content = services.content.current
    items: list[tuple[str, Any]] = [
        ("event", a.event) for a in upcoming(content, services.today(), 5)
    ]
    featured = [f for f in content.facts if f.featured][:FEATURED]
    return items + [("fact", f) for f in featured]


async def search_items(context: BotContext, query: str) -> list[tuple[str, Any]]:
    services = context.services
    content = services.content.current
    hits = await find(services.db, query, context.lang)
    items = [(h.kind, content.get(h.kind, h.item_id)) for h in hits]
    return [(kind, item) for kind, item in items if item is not None]


async def inline_query(update: Update, context: BotContext) -> None:
    query = update.inline_query
    assert query is not None
    tr = context.tr
    content = context.services.content.current
    username = context.bot.username
    text = query.query.strip()
    offset = int(query.offset) if query.offset.isdigit() else 0
    items = await search_items(context, text) if text else empty_query_items(context)
    page = items[offset : offset + INLINE_PAGE]
    results: list[InlineQueryResultArticle] = [
        InlineQueryResultArticle(
            id=f"{kind}:{item.id}",
            title=shorten(item_title(tr, content, kind, item), 100),
            description=item_description(tr, content, kind, item),
            input_message_content=InputTextMessageContent(
                render_item(tr, content, kind, item), parse_mode=ParseMode.HTML
            ),
            reply_markup=share_markup(tr, username, kind, item.id, text),
        )
        for kind, item in page
    ]
    if not items and offset == 0:
        results = [nothing_found_article(tr, username, text)]
    # None, not "": an ExtBot with Defaults (PTB 22.8) sends next_offset="" as "[]", which
    # Telegram would hand back as the offset of the next page (reproduced against the fake).
    next_offset = str(offset + INLINE_PAGE) if offset + INLINE_PAGE < len(items) else None
    await query.answer(
        results,
        cache_time=30,
        is_personal=True,
        next_offset=next_offset,
        button=InlineQueryResultsButton(
            tr.pgettext("search", "Open the UN–Tajikistan bot"), start_parameter="inline"
        ),
    )


def nothing_found_article(tr: Translator, username: str, text: str) -> InlineQueryResultArticle:
    title = tr.pgettext("search", "Nothing found for “{query}”").format(query=shorten(text, 40))
    message = tr.pgettext(
        "search",
        "I found nothing for “{query}”. Facts, history and contacts of the UN in Tajikistan: @{bot}",
    ).format(query=escape(shorten(text, 100)), bot=username)
    return InlineQueryResultArticle(
        id="nothing",
        title=title,
        description=tr.pgettext("search", "Try other words, a year (1997) or an agency (UNICEF)."),
        input_message_content=InputTextMessageContent(message, parse_mode=ParseMode.HTML),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        tr.pgettext("search", "🇺🇳 Open the bot"), url=f"https://t.me/{username}"
                    )
                ]
            ]
        ),
    )


async def reply_with_results(update: Update, context: BotContext, text: str) -> None:
    tr = context.tr
    content = context.services.content.current
    items = (await search_items(context, text))[:CHAT_RESULTS]
    if not items:
        context.services.analytics.search_missed(text)
        await respond(
            update,
            tr.pgettext(
                "search",
                "I found nothing for “{query}”. Try other words, a year (1997) or an agency "
                "(UNICEF), or send /help.",
            ).format(query=escape(shorten(text, 100))),
        )
        return
    lines = [
        "<b>{}</b>".format(
            escape(tr.pgettext("search", "Found for “{query}”:").format(query=shorten(text, 60)))
        ),
        "",
    ]
    buttons = []
    for number, (kind, item) in enumerate(items, start=1):
        lines.append(f"{number}. {escape(item_title(tr, content, kind, item))}")
        buttons.append((str(number), SHOW.pack(kind, item.id)))
    lines += ["", tr.pgettext("search", "Press a number to read it in full.")]
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    await respond(update, "\n".join(lines), keyboard(rows))


async def search_command(update: Update, context: BotContext) -> None:
    text = " ".join(context.args or []).strip()
    if not text:
        tr = context.tr
        hint = tr.pgettext(
            "search",
            "Send /search with words to look for, e.g. <code>/search glaciers</code>, or just "
            "write the words to me. In any chat, type @{bot} and a word.",
        ).format(bot=context.bot.username)
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        tr.pgettext("search", "🔎 Search here"), switch_inline_query_current_chat=""
                    )
                ]
            ]
        )
        await respond(update, hint, markup)
        return
    await reply_with_results(update, context, text)


async def free_text(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    await reply_with_results(update, context, message.text)


async def reply_in_group(update: Update, context: BotContext) -> None:
    """In groups the bot reads only commands and replies to its own messages."""
    message = update.effective_message
    replied = message.reply_to_message if message else None
    if message is None or replied is None or replied.from_user is None:
        return
    if replied.from_user.id == context.bot.id and message.text:
        await reply_with_results(update, context, message.text)


async def show_item(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    fields = SHOW.unpack(query.data, 2)
    content = context.services.content.current
    kind, item_id = fields if fields else ("", "")
    item = content.get(kind, item_id) if kind in SHOWN else None
    if item is None:
        await answer_stale(query, context.tr)
        return
    await query.answer()
    rating = await rating_rows(context.services, query.from_user.id, [(kind, item.id)])
    await respond(update, render_item(context.tr, content, kind, item), keyboard(rating))


FEATURE = Feature(
    name="search",
    commands=(
        Command(
            "search",
            lazy_pgettext("command menu", "Search facts, events and contacts"),
            search_command,
            button=lazy_pgettext("main menu", "🔎 Search"),
        ),
    ),
    callbacks=(SHOW,),
    handlers=(
        InlineQueryHandler(inline_query),
        CallbackQueryHandler(show_item, pattern=SHOW.pattern),
        MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, free_text),
        MessageHandler(
            filters.ChatType.GROUPS & filters.REPLY & filters.TEXT & ~filters.COMMAND,
            reply_in_group,
        ),
    ),
)
