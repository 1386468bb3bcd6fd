"""/facts: facts by topic, a page at a time; buttons edit the message in place."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.browse import facts_by_topic, paginate
from bot.callbacks import CallbackData, parse_int
from bot.content.model import FACT_TOPICS
from bot.context import BotContext
from bot.features import Command, Feature
from bot.feedback import rating_rows
from bot.i18n import Translator, lazy_pgettext
from bot.render.html import escape
from bot.render.items import render_fact
from bot.ui import answer_stale, home_row, keyboard, nav_row, respond

FACTS = CallbackData("facts")

TOPIC_NAMES = {
    "peace": lazy_pgettext("topic", "🕊 Peace and reconciliation"),
    "water": lazy_pgettext("topic", "💧 Water and climate"),
    "development": lazy_pgettext("topic", "📈 Development and the SDGs"),
    "refugees": lazy_pgettext("topic", "🧒 Refugees and children"),
    "un": lazy_pgettext("topic", "🇺🇳 The UN and Tajikistan"),
}


def topic_menu(context: BotContext) -> tuple[str, list[list[tuple[str, str]]]]:
    tr = context.tr
    content = context.services.content.current
    rows = [
        [(f"{tr.lazy(TOPIC_NAMES[t])} ({len(facts_by_topic(content, t))})", FACTS.pack(t, "0"))]
        for t in FACT_TOPICS
        if facts_by_topic(content, t)
    ]
    rows.append(home_row(tr))
    return tr.pgettext("facts", "<b>Facts</b>\n\nChoose a topic:"), rows


def fact_pages(context: BotContext, tr: Translator, topic: str) -> list[str]:
    content = context.services.content.current
    return paginate([render_fact(tr, content, f) for f in facts_by_topic(content, topic)])


async def facts(update: Update, context: BotContext) -> None:
    text, rows = topic_menu(context)
    await respond(update, text, keyboard(rows))


async def facts_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    tr = context.tr
    if query.data == FACTS.pack("topics"):
        await query.answer()
        text, rows = topic_menu(context)
        await respond(update, text, keyboard(rows), edit=True)
        return
    topic, number = FACTS.unpack(query.data, 2) or ("", "")
    pages = fact_pages(context, tr, topic) if topic in FACT_TOPICS else []
    page = parse_int(number, 0, 10_000)
    page = -1 if page is None else page
    if not 0 <= page < len(pages):
        await answer_stale(query, context.tr)
        return
    await query.answer()
    header = tr.pgettext("facts", "<b>{topic}</b> · page {page} of {pages}").format(
        topic=escape(tr.lazy(TOPIC_NAMES[topic])), page=page + 1, pages=len(pages)
    )
    nav = nav_row(
        tr,
        FACTS.pack(topic, page - 1) if page > 0 else None,
        FACTS.pack(topic, page + 1) if page + 1 < len(pages) else None,
    )
    content = context.services.content.current
    shown = [
        ("fact", f.id)
        for f in facts_by_topic(content, topic)
        if render_fact(tr, content, f) in pages[page]
    ]
    rows = await rating_rows(context.services, query.from_user.id, shown)
    rows += [nav] if nav else []
    rows.append([(tr.pgettext("facts", "« All topics"), FACTS.pack("topics"))])
    rows.append(home_row(tr))
    await respond(update, f"{header}\n\n{pages[page]}", keyboard(rows), edit=True)


FEATURE = Feature(
    name="facts",
    commands=(
        Command(
            "facts",
            lazy_pgettext("command menu", "Facts about the UN in Tajikistan, by topic"),
            facts,
            button=lazy_pgettext("main menu", "💡 Facts"),
        ),
    ),
    callbacks=(FACTS,),
    handlers=(CallbackQueryHandler(facts_button, pattern=FACTS.pattern),),
)
