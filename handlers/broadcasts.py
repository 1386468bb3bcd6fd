"""Staff: /broadcasts, the recent news with their delivery figures, and stopping one."""

from __future__ import annotations

import datetime as dt
import re

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot import drafts
from bot.browse import chat_zone
from bot.callbacks import CallbackData
from bot.context import BotContext
from bot.dates import PartialDate
from bot.features import Command, Feature
from bot.i18n import lazy_pgettext
from bot.render.html import escape, plain_text
from bot.ui import answer_stale, keyboard, respond, with_home

BROADCAST = CallbackData("bc")
ROW_ID = re.compile(r"^[0-9]{1,18}$")  # an id as the database gives it (fits 64 bits)


async def scheduled_lines(
    context: BotContext, user_id: int | None
) -> tuple[list[str], list[list[tuple[str, str]]]]:
    """The posts waiting for their hour, each with "send now" and "cancel"."""
    tr = context.tr
    waiting = await context.services.db.scheduled.waiting()
    if not waiting:
        return [], []
    zone = await chat_zone(context.services, user_id)
    lines = ["<b>{}</b>".format(escape(tr.pgettext("broadcasts", "Scheduled broadcasts"))), ""]
    rows = []
    for post in waiting:
        at = dt.datetime.fromtimestamp(post.due_at, zone)
        first = next(iter(post.texts.values()), "")
        lines.append(
            tr.pgettext("broadcasts", "#{id} · {date}, {time}, {zone}").format(
                id=post.id,
                date=tr.date(PartialDate(at.year, at.month, at.day)),
                time=f"{at.hour:02d}:{at.minute:02d}",
                zone=escape(tr.zone_name(zone.key, at)),
            )
        )
        lines.append(f"<i>{escape(plain_text(first)[:80])}</i>")
        rows.append(
            [
                (
                    tr.pgettext("broadcasts", "▶️ Send #{id} now").format(id=post.id),
                    BROADCAST.pack("now", post.id),
                ),
                (
                    tr.pgettext("broadcasts", "✖️ Cancel #{id}").format(id=post.id),
                    BROADCAST.pack("drop", post.id),
                ),
            ]
        )
    lines.append("")
    return lines, rows


async def broadcasts_screen(
    context: BotContext, user_id: int | None = None
) -> tuple[str, list[list[tuple[str, str]]]]:
    tr = context.tr
    db = context.services.db
    pushes = await db.outbox.recent_pushes("news", 10)
    lines, rows = await scheduled_lines(context, user_id)
    if not pushes and not lines:
        return tr.pgettext("broadcasts", "No broadcasts yet. Send /post to write one."), []
    if pushes:
        lines += ["<b>{}</b>".format(escape(tr.pgettext("broadcasts", "Recent broadcasts"))), ""]
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
    user = update.effective_user
    text, rows = await broadcasts_screen(context, user.id if user else None)
    await respond(update, text, keyboard(with_home(context.tr, rows)))


async def broadcast_button(update: Update, context: BotContext) -> None:
    """Stop a running broadcast; send a scheduled one now, or cancel it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    user = query.from_user
    tr = context.tr
    fields = BROADCAST.unpack(query.data, 2)
    what, given = fields if fields else ("", "")
    if (
        user is None
        or user.id not in context.services.config.admin_ids
        or what not in ("stop", "now", "drop")
        or not ROW_ID.match(given)
    ):
        await answer_stale(query, tr)
        return
    services = context.services
    db = services.db
    row_id = int(given)
    if what == "stop":
        counts = await db.outbox.counts(row_id)
        if counts["pending"] + counts["inflight"] == 0:  # a button of an older screen
            answer = tr.pgettext(
                "broadcasts", "This broadcast had already finished: there was nothing to stop."
            )
        else:
            if services.sender is not None:
                cancelled = await services.sender.stop_push(row_id)
            else:
                cancelled = await db.outbox.stop_push(row_id)
            answer = tr.npgettext(
                "broadcasts",
                "Stopped: {count} pending message cancelled.",
                "Stopped: {count} pending messages cancelled.",
                cancelled,
            ).format(count=tr.number(cancelled))
    elif what == "drop":
        if not await db.scheduled.cancel(row_id):
            await answer_stale(query, tr)
            return
        answer = tr.pgettext(
            "broadcasts", "Scheduled post #{id} cancelled: it will not be sent."
        ).format(id=row_id)
    else:
        post = await db.scheduled.claim(row_id)
        if post is None:
            await answer_stale(query, tr)
            return
        _, queued = await drafts.queue_scheduled(db, post)
        if services.sender is not None:
            services.sender.wake()
        answer = tr.npgettext(
            "broadcasts",
            "Scheduled post #{id} queued now for {count} subscriber.",
            "Scheduled post #{id} queued now for {count} subscribers.",
            queued,
        ).format(id=row_id, count=tr.number(queued))
    await query.answer(answer, show_alert=True)
    text, rows = await broadcasts_screen(context, user.id)
    await respond(update, text, keyboard(with_home(tr, rows)), edit=True)


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
    handlers=(CallbackQueryHandler(broadcast_button, pattern=BROADCAST.pattern),),
)
