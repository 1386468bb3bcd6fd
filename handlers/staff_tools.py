"""Staff: /stats (who uses the bot, what was delivered) and /reload (the content, checked)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from telegram import Update

from bot import stats as figures
from bot.broadcasts import stats_text
from bot.content.checks import ContentError
from bot.context import BotContext
from bot.features import Command, Feature
from bot.i18n import Translator, lazy_pgettext
from bot.render.html import escape
from bot.ui import home_row, keyboard, respond

MAX_RELOAD_ERRORS = 15

# Each content kind's count as /reload says it, by the kind's registry name.
KIND_COUNTS: dict[str, Callable[[Translator, int], str]] = {
    "source": lambda tr, n: tr.npgettext("reload", "{count} source", "{count} sources", n),
    "period": lambda tr, n: tr.npgettext("reload", "{count} period", "{count} periods", n),
    "event": lambda tr, n: tr.npgettext("reload", "{count} event", "{count} events", n),
    "fact": lambda tr, n: tr.npgettext("reload", "{count} fact", "{count} facts", n),
    "agency": lambda tr, n: tr.npgettext("reload", "{count} agency", "{count} agencies", n),
    "contact": lambda tr, n: tr.npgettext("reload", "{count} contact", "{count} contacts", n),
    "term": lambda tr, n: tr.npgettext(
        "reload", "{count} glossary term", "{count} glossary terms", n
    ),
}


async def stats(update: Update, context: BotContext) -> None:
    """/stats: headline figures and the 30-day picture; /stats items | searches | export."""
    from bot.stats_image import render_stats

    services = context.services
    tr = context.tr
    chat = update.effective_chat
    if chat is None:
        return
    await services.analytics.snapshot_subscribers()
    await services.analytics.flush()  # what was counted a moment ago is in the figures
    today = services.today()
    what = (context.args or [""])[0].lower()
    if what == "items":
        text = await figures.items_text(tr, services.db, services.content.current, today)
        await respond(update, text, keyboard([home_row(tr)]))
        return
    if what == "searches":
        text = await figures.searches_text(tr, services.db, today)
        await respond(update, text, keyboard([home_row(tr)]))
        return
    daily = await figures.daily(services.db, today)
    if what == "export":
        await chat.send_document(
            figures.export_csv(daily),
            filename=f"bot-figures-{today.isoformat()}.csv",
            caption=tr.pgettext("stats", "The figures of the last 30 days, one line a day."),
        )
        return
    # The picture first: the figures under it are what a staff member reads last.
    png = await asyncio.to_thread(render_stats, tr, daily)
    await chat.send_photo(png, filename=f"stats-{tr.lang}.png")
    text = await stats_text(tr, services.db, services.now())
    usage = await figures.usage_text(tr, services.db, daily, services.now())
    await respond(update, f"{text}\n\n{usage}", keyboard([home_row(tr)]))


async def reload_content(update: Update, context: BotContext) -> None:
    tr = context.tr
    services = context.services
    try:
        content = await services.content.reload(services.content_dir)
    except ContentError as exc:
        shown = exc.problems[:MAX_RELOAD_ERRORS]
        lines = [
            tr.npgettext(
                "reload",
                "❌ <b>Content not reloaded</b>: {count} problem. The bot keeps serving the previous content.",
                "❌ <b>Content not reloaded</b>: {count} problems. The bot keeps serving the previous content.",
                len(exc.problems),
            ).format(count=tr.number(len(exc.problems))),
            "",
            *(f"• {escape(str(p))}" for p in shown),
        ]
        await respond(update, "\n".join(lines))
        return
    counts = ", ".join(
        KIND_COUNTS[kind](tr, n).format(count=tr.number(n))
        if kind in KIND_COUNTS
        else f"{kind} {n}"
        for kind, n in content.counts().items()
    )
    await respond(
        update,
        tr.pgettext("reload", "✅ Content reloaded: {counts}.").format(counts=escape(counts)),
    )


FEATURE = Feature(
    name="staff_tools",
    commands=(
        Command("stats", lazy_pgettext("command menu", "Staff: statistics"), stats, staff=True),
        Command(
            "reload",
            lazy_pgettext("command menu", "Staff: reload the content"),
            reload_content,
            staff=True,
        ),
    ),
)
