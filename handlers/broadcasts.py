"""Staff: /broadcasts, the recent news with their delivery figures, and stopping one."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.callbacks import CallbackData, parse_int
from bot.context import BotContext
from bot.features import Command, Feature
from bot.i18n import lazy_pgettext
from bot.render.html import escape, plain_text
from bot.ui import answer_stale, keyboard, respond

BROADCAST = CallbackData("bc")


async def broadcasts_screen(context: BotContext) -> tuple[str, list[list[tuple[str, str]]]]:
    tr = context.tr
    db = context.services.db
    pushes = await db.outbox.recent_pushes("news", 10)
    if not pushes:
        return tr.pgettext("broadcasts", "No broadcasts yet. Send /post to write one."), []
    lines = ["<b>{}</b>".format(escape(tr.pgettext("broadcasts", "Recent broadcasts"))), ""]
    rows = []
    for push in pushes:
        counts = await db.outbox.counts(push.id)
        running = counts["pending"] + counts["inflight"] > 0 and push.stopped_at is None
        first = next(iter(push.texts.values()), "")
        status = (
            tr.pgettext("broadcasts", "sending")
            if running
            else tr.pgettext("broadcasts", "stopped")
            if push.stopped_at
            else tr.pgettext("broadcasts", "finished")
        )
        lines.append(
            tr.pgettext(
                "broadcasts",
                "#{id} · {status} · sent {sent}, failed {failed}, pending {pending}, cancelled {cancelled}",
            ).format(
                id=push.id,
                status=status,
                sent=counts["sent"],
                failed=counts["failed"],
                pending=counts["pending"] + counts["inflight"],
                cancelled=counts["cancelled"],
            )
        )
        lines.append(f"<i>{escape(plain_text(first)[:80])}</i>")
        if running:
            rows.append(
                [
                    (
                        tr.pgettext("broadcasts", "⏹ Stop #{id}").format(id=push.id),
                        BROADCAST.pack("stop", push.id),
                    )
                ]
            )
    return "\n".join(lines), rows


async def broadcasts(update: Update, context: BotContext) -> None:
    text, rows = await broadcasts_screen(context)
    await respond(update, text, keyboard(rows) if rows else None)


async def stop_broadcast(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    user = query.from_user
    fields = BROADCAST.unpack(query.data, 2)
    push_id = parse_int(fields[1], 1) if fields and fields[0] == "stop" else None
    if user is None or user.id not in context.services.config.admin_ids or push_id is None:
        await answer_stale(query, context.tr)
        return
    services = context.services
    if services.sender is not None:
        cancelled = await services.sender.stop_push(push_id)
    else:
        cancelled = await services.db.outbox.stop_push(push_id)
    await query.answer(
        context.tr.pgettext("broadcasts", "Stopped: {count} pending messages cancelled.").format(
            count=cancelled
        ),
        show_alert=True,
    )
    text, rows = await broadcasts_screen(context)
    await respond(update, text, keyboard(rows) if rows else None, edit=True)


FEATURE = Feature(
    name="broadcasts",
    commands=(
        Command(
            "broadcasts",
            lazy_pgettext("command menu", "Staff: recent broadcasts"),
            broadcasts,
            staff=True,
        ),
    ),
    callbacks=(BROADCAST,),
    handlers=(CallbackQueryHandler(stop_broadcast, pattern=BROADCAST.pattern),),
)
