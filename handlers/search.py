"""Search: inline mode (@bot query in any chat), /search, and free text in the private chat."""

from __future__ import annotations

from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, InlineQueryHandler, MessageHandler, filters

from bot.browse import chat_today, upcoming
from bot.callbacks import CallbackData, parse_int
from bot.content.kinds import SHOWN, item_description, item_title, render_item
from bot.context import BotContext
from bot.features import Command, Feature
from bot.feedback import rating_rows
from bot.i18n import Translator, lazy_pgettext
from bot.render.html import escape
from bot.render.items import shorten
from bot.search import search
from bot.ui import Button, answer_stale, home_row, keyboard, nav_row, respond

SHOW = CallbackData("show")
FOUND = CallbackData("found")  # Back/Next under chat search results: found:<offset>

INLINE_PAGE = 20  # results per inline page (Telegram allows 50)
CHAT_RESULTS = 8  # results per page in the chat
KEPT_QUERIES = 20  # per chat: the queries whose result messages can still be paged
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


async def empty_query_items(context: BotContext, user_id: int) -> list[tuple[str, Any]]:
    """For "@bot" with nothing typed: the next anniversaries (counted from the user's own
    date, their private chat's time zone), then featured facts."""
    services = context.services
    content = services.content.current
    today = await chat_today(services, user_id)
    items: list[tuple[str, Any]] = [("event", a.event) for a in upcoming(content, today, 5)]
    featured = [f for f in content.facts if f.featured][:FEATURED]
    return items + [("fact", f) for f in featured]


async def search_items(context: BotContext, query: str) -> tuple[list[tuple[str, Any]], str | None]:
    """The items found, best first, and the query as corrected when a word was."""
    services = context.services
    content = services.content.current
    result = await search(services.db, query, context.lang)
    items = [(h.kind, content.get(h.kind, h.item_id)) for h in result.hits]
    return [(kind, item) for kind, item in items if item is not None], result.corrected


async def inline_query(update: Update, context: BotContext) -> None:
    query = update.inline_query
    assert query is not None
    tr = context.tr
    content = context.services.content.current
    username = context.bot.username
    text = query.query.strip()
    offset = parse_int(query.offset, 0, 10_000) or 0
    items = (
        (await search_items(context, text))[0]
        if text
        else await empty_query_items(context, query.from_user.id)
    )
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


def nothing_found(tr: Translator, text: str) -> str:
    return tr.pgettext(
        "search",
        "I found nothing for “{query}”. Try:\n"
        "• one or two words, e.g. <code>glaciers</code>\n"
        "• a year or a date, e.g. <code>1997</code> or <code>2 March</code>\n"
        "• an agency, e.g. <code>UNICEF</code>\n"
        "Or see /history and /help.",
    ).format(query=escape(shorten(text, 100)))


def results_page(
    context: BotContext, text: str, items: list[tuple[str, Any]], corrected: str | None, offset: int
) -> tuple[str, list[list[Button]]]:
    """One page of results in the chat: numbered titles, number buttons, Back/Next."""
    tr = context.tr
    content = context.services.content.current
    page = items[offset : offset + CHAT_RESULTS]
    if corrected:
        header = tr.pgettext("search", "Showing results for “{query}”:").format(
            query=shorten(corrected, 60)
        )
    else:
        header = tr.pgettext("search", "Found for “{query}”:").format(query=shorten(text, 60))
    lines = [f"<b>{escape(header)}</b>", ""]
    buttons = []
    for number, (kind, item) in enumerate(page, start=offset + 1):
        lines.append(f"{number}. {escape(item_title(tr, content, kind, item))}")
        buttons.append((str(number), SHOW.pack(kind, item.id)))
    lines += ["", tr.pgettext("search", "Press a number to read it in full.")]
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    back = FOUND.pack(offset - CHAT_RESULTS) if offset > 0 else None
    more = FOUND.pack(offset + CHAT_RESULTS) if offset + CHAT_RESULTS < len(items) else None
    nav = nav_row(tr, back, more)
    return "\n".join(lines), [*rows, *([nav] if nav else []), home_row(tr)]


def _kept_queries(context: BotContext) -> dict[int, str]:
    data = context.chat_data
    assert data is not None
    kept: dict[int, str] = data.setdefault("search_queries", {})
    return kept


async def reply_with_results(update: Update, context: BotContext, text: str) -> None:
    items, corrected = await search_items(context, text)
    if not items:
        context.services.analytics.search_missed(text)
        await respond(update, nothing_found(context.tr, text), keyboard([home_row(context.tr)]))
        return
    page, rows = results_page(context, text, items, corrected, 0)
    sent = await respond(update, page, keyboard(rows))
    if len(items) > CHAT_RESULTS and isinstance(sent, Message) and context.chat_data is not None:
        kept = _kept_queries(context)
        kept[sent.message_id] = text  # what "Next ▶️" under this message pages through
        for old in sorted(kept)[:-KEPT_QUERIES]:
            del kept[old]


async def more_results(update: Update, context: BotContext) -> None:
    """Back/Next under the results in the chat: the same query, another page, in place."""
    query = update.callback_query
    assert query is not None
    fields = FOUND.unpack(query.data, 1)
    message = query.message
    kept = _kept_queries(context) if context.chat_data is not None else {}
    text = kept.get(message.message_id) if isinstance(message, Message) else None
    start = parse_int(fields[0], 0, 10_000) if fields else None
    if start is None or text is None:
        await answer_stale(query, context.tr)
        return
    await query.answer()
    items, corrected = await search_items(context, text)
    offset = min(start, max(len(items) - 1, 0)) // CHAT_RESULTS * CHAT_RESULTS
    if not items:
        await respond(
            update, nothing_found(context.tr, text), keyboard([home_row(context.tr)]), edit=True
        )
        return
    page, rows = results_page(context, text, items, corrected, offset)
    await respond(update, page, keyboard(rows), edit=True)


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
                ],
                *keyboard([home_row(tr)]).inline_keyboard,
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
    await respond(
        update,
        render_item(context.tr, content, kind, item),
        keyboard([*rating, home_row(context.tr)]),
    )


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
    callbacks=(SHOW, FOUND),
    handlers=(
        InlineQueryHandler(inline_query),
        CallbackQueryHandler(show_item, pattern=SHOW.pattern),
        CallbackQueryHandler(more_results, pattern=FOUND.pattern),
        # Not a result the user just shared from inline mode ("via @bot"): no search for it.
        MessageHandler(
            filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND & ~filters.VIA_BOT,
            free_text,
        ),
        MessageHandler(
            filters.ChatType.GROUPS & filters.REPLY & filters.TEXT & ~filters.COMMAND,
            reply_in_group,
        ),
    ),
)
