"""/history: the timeline from 1942 to the decades ahead, one period per page."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.browse import events_in_period, paginate
from bot.callbacks import CallbackData, parse_int
from bot.context import BotContext
from bot.features import Command, Feature
from bot.i18n import lazy_pgettext
from bot.render.common import event_when, source_footer
from bot.render.html import escape
from bot.ui import answer_stale, home_row, keyboard, respond

HISTORY = CallbackData("hist")


def period_pages(context: BotContext, index: int) -> list[str]:
    tr = context.tr
    content = context.services.content.current
    period = content.periods[index]
    events = events_in_period(content, period)
    chunks = [
        f"📅 <b>{escape(event_when(tr, e))}</b> — <b>{escape(e.title[tr.lang])}</b>\n"
        f"{escape(e.text[tr.lang])}"
        for e in events
    ]
    # Each page cites exactly the sources of the events it shows, one line each.
    pages: list[str] = []
    start = 0
    for page in paginate(chunks):
        count = page.count("📅 <b>")
        shown = events[start : start + count]
        start += count
        pages.append(f"{page}\n\n{source_footer(tr, content, (e.source for e in shown))}")
    return pages or [""]


def render_page(
    context: BotContext, index: int, sub: int
) -> tuple[str, list[list[tuple[str, str]]]] | None:
    tr = context.tr
    periods = context.services.content.current.periods
    if not 0 <= index < len(periods):
        return None
    pages = period_pages(context, index)
    if not 0 <= sub < len(pages):
        return None
    period = periods[index]
    span = (
        f"{period.start}–{period.end}"
        if period.end
        else tr.pgettext("history", "{start} and beyond").format(start=period.start)
    )
    header = tr.pgettext("history", "<b>{title}</b> ({span})\nPeriod {n} of {total}").format(
        title=escape(period.title[tr.lang]), span=span, n=index + 1, total=len(periods)
    )
    if len(pages) > 1:
        header += " · " + tr.pgettext("history", "page {page} of {pages}").format(
            page=sub + 1, pages=len(pages)
        )
    rows: list[list[tuple[str, str]]] = []
    if len(pages) > 1:
        inner = []
        if sub > 0:
            inner.append(
                (tr.pgettext("history", "⬆️ Earlier in this period"), HISTORY.pack(index, sub - 1))
            )
        if sub + 1 < len(pages):
            inner.append(
                (tr.pgettext("history", "⬇️ Later in this period"), HISTORY.pack(index, sub + 1))
            )
        rows.append(inner)
    nav = []
    if index > 0:
        nav.append(("◀️ " + periods[index - 1].title[tr.lang], HISTORY.pack(index - 1, "0")))
    if index + 1 < len(periods):
        nav.append((periods[index + 1].title[tr.lang] + " ▶️", HISTORY.pack(index + 1, "0")))
    rows += [[button] for button in nav]
    rows.append(home_row(tr))
    return f"{header}\n\n{pages[sub]}", rows


async def history(update: Update, context: BotContext) -> None:
    page = render_page(context, 0, 0)
    if page is None:
        tr = context.tr
        text = tr.pgettext("history", "The timeline is empty for now.")
        await respond(update, text, keyboard([home_row(tr)]))
        return
    await respond(update, page[0], keyboard(page[1]))


async def history_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    fields = HISTORY.unpack(query.data, 2)
    page = None
    numbers = [parse_int(f, 0, 2**31) for f in fields] if fields else []
    if len(numbers) == 2 and numbers[0] is not None and numbers[1] is not None:
        page = render_page(context, numbers[0], numbers[1])
    if page is None:
        await answer_stale(query, context.tr)
        return
    await query.answer()
    await respond(update, page[0], keyboard(page[1]), edit=True)


FEATURE = Feature(
    name="history",
    commands=(
        Command(
            "history",
            lazy_pgettext("command menu", "The history of the partnership, period by period"),
            history,
            button=lazy_pgettext("main menu", "📜 History"),
        ),
    ),
    callbacks=(HISTORY,),
    handlers=(CallbackQueryHandler(history_button, pattern=HISTORY.pattern),),
)
