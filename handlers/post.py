"""Staff: /post news in three languages, with previews exactly as subscribers get them, to
an audience (languages, kinds of chat), now or at a chosen day and hour.

The draft lives in the database (bot.drafts), not only in this conversation: a restart,
a timeout or a second instance never turns a pressed "Send" into a lost or double post."""

from __future__ import annotations

import datetime as dt
import warnings

from telegram import LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import drafts
from bot.broadcasts import Progress, progress_text
from bot.browse import chat_zone
from bot.context import BotContext
from bot.conversation_state import timed_out
from bot.conversations import run_command
from bot.dates import PartialDate
from bot.drafts import POST, NewsDraft
from bot.features import STAFF, Command, Feature
from bot.i18n import Translator, lazy_pgettext, lower_first
from bot.languages import LANGUAGES
from bot.render.html import escape
from bot.scheduled import confirmed_prompt
from bot.storage.outbox import CHAT_KINDS, Audience
from bot.ui import Button, answer_stale, home_row, keyboard, respond

WRITING, FALLBACK, PREVIEW = range(3)
DRAFT_TIMEOUT = 30 * 60.0  # seconds a draft waits for its author before it is dropped
SCHEDULE_DAYS = 7  # today and the six days after it

CHATS_LABELS = {
    "all": lazy_pgettext("post", "All chats"),
    "private": lazy_pgettext("post", "Private chats"),
    "groups": lazy_pgettext("post", "Groups and channels"),
}


def _user_id(update: Update) -> int:
    user = update.effective_user
    assert user is not None  # staff handlers take only messages and buttons from users
    return user.id


async def _load(update: Update, context: BotContext) -> NewsDraft | None:
    return await drafts.load(context.services.db, _user_id(update))


async def _save(update: Update, context: BotContext, draft: NewsDraft) -> None:
    chat = update.effective_chat
    assert chat is not None
    await drafts.save(context.services.db, _user_id(update), chat.id, draft)


def _next_language(draft: NewsDraft) -> str | None:
    return next((lang for lang in LANGUAGES if lang not in draft.texts), None)


async def _ask_text(update: Update, context: BotContext, lang: str) -> int:
    tr = context.tr
    text = tr.pgettext(
        "post",
        "Send the news text <b>{in_language}</b>. Formatting and links are kept.\n"
        "Or skip this language: its readers then get the news in a language you choose.",
    ).format(in_language=tr.in_language(lang))
    rows = [
        [
            (
                tr.pgettext("post", "Skip {language}").format(language=tr.language(lang)),
                POST.pack("skip"),
            )
        ],
        [(tr.pgettext("post", "✖️ Cancel"), POST.pack("cancel"))],
    ]
    await respond(update, text, keyboard(rows))
    return WRITING


async def post_start(update: Update, context: BotContext) -> int:
    db = context.services.db
    pending = await db.drafts.of_user(_user_id(update))
    if pending is not None and pending.confirmed:
        # A Send that a restart interrupted comes first: a new draft must not erase it.
        text, markup = await confirmed_prompt(db, context.tr, pending)
        await respond(update, text, markup)
        return ConversationHandler.END
    await _save(update, context, NewsDraft())
    return await _ask_text(update, context, LANGUAGES[0])


async def _after_text(update: Update, context: BotContext, draft: NewsDraft) -> int:
    lang = _next_language(draft)
    if lang is not None:
        await _save(update, context, draft)
        return await _ask_text(update, context, lang)
    given = [lang for lang, text in draft.texts.items() if text]
    tr = context.tr
    if not given:
        await context.services.db.drafts.delete(draft.key)
        await respond(update, tr.pgettext("post", "All languages were skipped: nothing to send."))
        return ConversationHandler.END
    if len(given) == 1:
        draft.fallback = given[0]  # the only text there is: nothing to choose
    elif len(given) < len(LANGUAGES):
        draft.step = "fallback"
        await _save(update, context, draft)
        rows = [[(tr.language(lang, capital=True), POST.pack("fallback", lang)) for lang in given]]
        rows.append([(tr.pgettext("post", "✖️ Cancel"), POST.pack("cancel"))])
        await respond(
            update,
            tr.pgettext("post", "Readers of the skipped languages get the news in:"),
            keyboard(rows),
        )
        return FALLBACK
    return await _preview(update, context, draft)


async def got_text(update: Update, context: BotContext) -> int:
    message = update.effective_message
    draft = await _load(update, context)
    if draft is None:  # dropped meanwhile (another instance, a timeout)
        return ConversationHandler.END
    lang = _next_language(draft)
    if message is None or lang is None or not message.text:
        return WRITING
    draft.texts[lang] = message.text_html
    return await _after_text(update, context, draft)


async def skip_language(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    draft = await _load(update, context)
    lang = _next_language(draft) if draft is not None else None
    if draft is None or lang is None:
        await answer_stale(query, context.tr)
        return WRITING if draft is not None else ConversationHandler.END
    await query.answer()
    draft.texts[lang] = None
    return await _after_text(update, context, draft)


async def choose_fallback(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    fields = POST.unpack(query.data, 2)
    lang = fields[1] if fields else ""
    draft = await _load(update, context)
    if draft is None or draft.step != "fallback" or not draft.texts.get(lang):
        await answer_stale(query, context.tr)
        return FALLBACK
    await query.answer()
    draft.fallback = lang
    return await _preview(update, context, draft)


# -- the preview and its confirmation ---------------------------------------------------------


async def _preview(update: Update, context: BotContext, draft: NewsDraft) -> int:
    """Each language exactly as its subscribers will get it, then the confirmation."""
    tr = context.tr
    draft.step = "preview"
    await _save(update, context, draft)
    texts = draft.final_texts()
    chat = update.effective_chat
    assert chat is not None
    for lang in LANGUAGES:
        origin = lang if draft.texts.get(lang) else draft.fallback
        assert origin is not None
        if origin == lang:
            note = tr.pgettext("post", "Preview for readers {in_language}:").format(
                in_language=tr.in_language(lang)
            )
        else:
            note = tr.pgettext(
                "post", "Preview for readers {in_language} (they get the {language} text):"
            ).format(in_language=tr.in_language(lang), language=tr.language(origin))
        await chat.send_message(f"<i>{escape(note)}</i>")
        await chat.send_message(
            texts[lang],
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=not draft.link_preview),
        )
    text, rows = await summary(context, update, draft)
    await chat.send_message(text, reply_markup=keyboard(rows))
    return PREVIEW


def _when_text(tr: Translator, at: dt.datetime) -> str:
    """«9 декабря 2026 г., 09:00, Душанбе (UTC+5)»: the zone as people name it."""
    return tr.pgettext("post", "{date}, {time}, {zone}").format(
        date=tr.date(PartialDate(at.year, at.month, at.day)),
        time=f"{at.hour:02d}:{at.minute:02d}",
        zone=tr.zone_name(str(at.tzinfo), at),
    )


async def summary(
    context: BotContext, update: Update, draft: NewsDraft
) -> tuple[str, list[list[Button]]]:
    tr = context.tr
    outbox = context.services.db.outbox
    audience = draft.audience
    total = await outbox.recipients("news", audience)
    chosen = set(audience.languages or LANGUAGES)
    per_language = {
        lang: await outbox.recipients("news", Audience((lang,), audience.chats))
        for lang in LANGUAGES
    }
    per_chats = {
        kind: await outbox.recipients("news", Audience(audience.languages, kind))
        for kind in CHAT_KINDS
    }
    summary_text = tr.npgettext(
        "post",
        "<b>Ready to send</b> to {total} news subscriber ({by_language}).\nLink previews: {preview}.\n"
        "Paid broadcast (up to 1000 messages a second, paid in Telegram Stars): {paid}.",
        "<b>Ready to send</b> to {total} news subscribers ({by_language}).\nLink previews: {preview}.\n"
        "Paid broadcast (up to 1000 messages a second, paid in Telegram Stars): {paid}.",
        total,
    ).format(
        paid=tr.pgettext("post", "on") if draft.paid else tr.pgettext("post", "off"),
        total=tr.number(total),
        by_language=escape(
            ", ".join(
                f"{tr.language(lang)} {tr.number(per_language[lang])}"
                for lang in LANGUAGES
                if lang in chosen
            )
        ),
        preview=tr.pgettext("post", "on") if draft.link_preview else tr.pgettext("post", "off"),
    )
    lines = [
        summary_text,
        tr.pgettext("post", "Audience: {chats}.").format(
            chats=escape(lower_first(tr.lazy(CHATS_LABELS[audience.chats])))
        ),
    ]
    if draft.send_at is None:
        lines.append(tr.pgettext("post", "When: now."))
        send_label = tr.pgettext("post", "✅ Send to {total}").format(total=tr.number(total))
        when_row: list[Button] = [(tr.pgettext("post", "🕘 Schedule for later"), POST.pack("when"))]
    else:
        at = dt.datetime.fromtimestamp(
            draft.send_at, await chat_zone(context.services, _user_id(update))
        )
        lines.append(tr.pgettext("post", "When: {when}.").format(when=escape(_when_text(tr, at))))
        send_label = tr.pgettext("post", "✅ Schedule for {total}").format(total=tr.number(total))
        when_row = [
            (tr.pgettext("post", "🕘 Change the time"), POST.pack("when")),
            (tr.pgettext("post", "▶️ Send now instead"), POST.pack("now")),
        ]
    rows: list[list[Button]] = [
        [(send_label, POST.pack("send", draft.short_key))],
        when_row,
        [
            (
                ("✅ " if lang in chosen else "⬜ ")
                + f"{tr.language(lang, capital=True)} · {tr.number(per_language[lang])}",
                POST.pack("lang", lang),
            )
            for lang in LANGUAGES
        ],
        [
            (
                ("🔘 " if kind == audience.chats else "")
                + f"{tr.lazy(CHATS_LABELS[kind])} · {tr.number(per_chats[kind])}",
                POST.pack("chats", kind),
            )
            for kind in CHAT_KINDS
        ],
        [(tr.pgettext("post", "🔗 Switch link previews"), POST.pack("preview"))],
        [(tr.pgettext("post", "⚡ Switch paid broadcast"), POST.pack("paid"))],
        [(tr.pgettext("post", "✖️ Cancel"), POST.pack("cancel"))],
    ]
    return "\n".join(lines), rows


async def _draft_in_preview(update: Update, context: BotContext) -> NewsDraft | None:
    """The author's draft at the confirmation step; else the button is stale (answered)."""
    query = update.callback_query
    assert query is not None
    draft = await _load(update, context)
    if draft is None or draft.step not in ("preview", "day", "hour"):
        await answer_stale(query, context.tr)
        return None
    return draft


async def _show_summary(update: Update, context: BotContext, draft: NewsDraft) -> int:
    """The confirmation edited in place: the seven preview messages are not sent again."""
    draft.step = "preview"
    await _save(update, context, draft)
    text, rows = await summary(context, update, draft)
    await respond(update, text, keyboard(rows), edit=True)
    return PREVIEW


# The preview's switches: link previews, and Telegram's paid broadcast for urgent news
# (this broadcast only, off by default).
SWITCHES = ("preview", "paid")


async def toggle(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    fields = POST.unpack(query.data, 1)
    draft = await _draft_in_preview(update, context)
    if draft is None:
        return PREVIEW
    await query.answer()
    if fields == ["preview"]:
        draft.link_preview = not draft.link_preview
    elif fields == ["paid"]:
        draft.paid = not draft.paid
    return await _show_summary(update, context, draft)


async def choose_audience(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    fields = POST.unpack(query.data, 2) or ["", ""]
    draft = await _draft_in_preview(update, context)
    if draft is None:
        return PREVIEW
    what, value = fields
    if what == "lang" and value in LANGUAGES:
        chosen = set(draft.languages or LANGUAGES) ^ {value}
        if not chosen:  # an audience of nobody: keep the last language
            await query.answer(
                context.tr.pgettext("post", "At least one language must stay chosen."),
                show_alert=True,
            )
            return PREVIEW
        draft.languages = [] if chosen == set(LANGUAGES) else [x for x in LANGUAGES if x in chosen]
    elif what == "chats" and value in CHAT_KINDS:
        draft.chats = value
    else:
        await answer_stale(query, context.tr)
        return PREVIEW
    await query.answer()
    return await _show_summary(update, context, draft)


async def choose_time(update: Update, context: BotContext) -> int:
    """🕘: a day (today and the next six, in the staff member's zone), then an hour."""
    query = update.callback_query
    assert query is not None and query.data is not None
    draft = await _draft_in_preview(update, context)
    if draft is None:
        return PREVIEW
    tr = context.tr
    zone = await chat_zone(context.services, _user_id(update))
    local_now = context.services.clock().astimezone(zone)
    fields = query.data.split(":")[1:]
    if fields == ["now"]:
        await query.answer()
        draft.send_at = None
        return await _show_summary(update, context, draft)
    back = [(tr.pgettext("navigation", "◀️ Back"), POST.pack("back"))]
    if fields == ["back"]:
        await query.answer()
        return await _show_summary(update, context, draft)
    if fields == ["when"]:
        await query.answer()
        draft.step = "day"
        await _save(update, context, draft)
        days = [local_now.date() + dt.timedelta(days=n) for n in range(SCHEDULE_DAYS)]
        if local_now.hour == 23:
            days = days[1:]  # nothing is left of today
        rows = [
            [
                (tr.day_month(d.month, d.day), POST.pack("day", d.strftime("%Y%m%d")))
                for d in days[i : i + 4]
            ]
            for i in range(0, len(days), 4)
        ]
        text = tr.pgettext("post", "On which day? Times are in {zone}.").format(
            zone=escape(tr.zone_name(zone.key, local_now))
        )
        await respond(update, text, keyboard([*rows, back]), edit=True)
        return PREVIEW
    if len(fields) == 2 and fields[0] == "day" and fields[1].isascii() and fields[1].isdigit():
        try:
            day = dt.datetime.strptime(fields[1], "%Y%m%d").date()
        except ValueError:
            day = None
        first = local_now.hour + 1 if day == local_now.date() else 0
        if (
            day is None
            or not local_now.date() <= day < local_now.date() + dt.timedelta(SCHEDULE_DAYS)
            or first > 23
        ):
            await answer_stale(query, tr)
            return PREVIEW
        await query.answer()
        draft.step = "hour"
        await _save(update, context, draft)
        hours = [(f"{h:02d}:00", POST.pack("at", fields[1], h)) for h in range(first, 24)]
        rows = [hours[i : i + 6] for i in range(0, len(hours), 6)]
        text = tr.pgettext("post", "{day}: at what hour? Times are in {zone}.").format(
            day=tr.date(PartialDate(day.year, day.month, day.day)),
            zone=escape(  # the chosen day's offset (a clock change may come before it)
                tr.zone_name(zone.key, dt.datetime(day.year, day.month, day.day, 12, tzinfo=zone))
            ),
        )
        await respond(update, text, keyboard([*rows, back]), edit=True)
        return PREVIEW
    if len(fields) == 3 and fields[0] == "at" and fields[1].isascii() and fields[1].isdigit():
        try:
            day = dt.datetime.strptime(fields[1], "%Y%m%d").date()
            hour = int(fields[2]) if fields[2].isascii() and fields[2].isdigit() else -1
            at = dt.datetime(day.year, day.month, day.day, hour, tzinfo=zone)
        except ValueError:
            at = None
        if at is None or at <= local_now or at > local_now + dt.timedelta(SCHEDULE_DAYS):
            await answer_stale(query, tr)
            return PREVIEW
        await query.answer()
        draft.send_at = int(at.timestamp())
        return await _show_summary(update, context, draft)
    await answer_stale(query, tr)
    return PREVIEW


# -- sending ------------------------------------------------------------------------------


async def send(update: Update, context: BotContext) -> int:
    """Confirm (stored first), then queue or schedule, once per draft whatever happens."""
    query = update.callback_query
    assert query is not None and query.data is not None
    tr = context.tr
    services = context.services
    db = services.db
    fields = POST.unpack(query.data, 2)
    key = f"news:{fields[1]}" if fields and fields[1] else ""
    stored = await db.drafts.by_key(key) if key else None
    if stored is None or stored.user_id != query.from_user.id:
        if key and await drafts.already_queued(db, key):
            await query.answer(
                tr.pgettext("post", "This news was already sent: nothing new was queued."),
                show_alert=True,
            )
        else:
            await answer_stale(query, tr)
        return ConversationHandler.END
    draft = NewsDraft.of(stored.key, stored.body)
    await db.drafts.confirm(draft.key)
    await query.answer()
    result = await drafts.submit(db, draft, query.from_user.id, int(services.clock().timestamp()))
    if result.scheduled_id is not None:
        assert draft.send_at is not None
        at = dt.datetime.fromtimestamp(
            draft.send_at, await chat_zone(context.services, query.from_user.id)
        )
        await respond(
            update,
            tr.pgettext(
                "post",
                "🕘 Scheduled #{id} for {when}. /broadcasts lists it; it can be cancelled there.",
            ).format(id=result.scheduled_id, when=escape(_when_text(tr, at))),
            edit=True,
        )
        return ConversationHandler.END
    assert result.push_id is not None
    if services.sender is not None:
        services.sender.wake()
    await respond(
        update,
        tr.npgettext(
            "post", "Queued for {count} subscriber.", "Queued for {count} subscribers.", result.rows
        ).format(count=tr.number(result.rows)),
        edit=True,
    )
    message = await respond(
        update, progress_text(tr, Progress.of(await db.outbox.counts(result.push_id), 0.0))
    )
    if isinstance(message, Message) and services.progress is not None:
        await services.progress.show(
            result.push_id, message.chat_id, message.message_id, context.lang
        )
    return ConversationHandler.END


async def drop_confirmed(update: Update, context: BotContext) -> None:
    """The draft shown back after a restart: its author does not want it sent."""
    query = update.callback_query
    assert query is not None
    fields = POST.unpack(query.data, 2)
    db = context.services.db
    stored = await db.drafts.by_key(f"news:{fields[1]}") if fields else None
    if stored is None or stored.user_id != query.from_user.id:
        await answer_stale(query, context.tr)
        return
    await db.drafts.delete(stored.key)
    await query.answer()
    await respond(
        update, context.tr.pgettext("post", "Dropped: this news will not be sent."), edit=True
    )


# -- leaving the conversation -------------------------------------------------------------


async def cancel(update: Update, context: BotContext) -> int:
    if update.callback_query is not None:
        await update.callback_query.answer()
    await context.services.db.drafts.delete_of_user(_user_id(update))
    await respond(
        update,
        context.tr.pgettext("post", "Cancelled: the news draft was dropped, nothing was sent."),
        keyboard([home_row(context.tr)]),
        edit=update.callback_query is not None,
    )
    return ConversationHandler.END


async def nothing_to_cancel(update: Update, context: BotContext) -> None:
    await respond(update, context.tr.pgettext("post", "There is nothing to cancel."))


async def leave(update: Update, context: BotContext) -> int:
    """Any other command ends the draft, says so, and then does what it says."""
    await context.services.db.drafts.delete_of_user(_user_id(update))
    await respond(update, context.tr.pgettext("post", "The news draft was dropped."))
    await run_command(update, context, POST_CONVERSATION)
    return ConversationHandler.END


async def expired(update: Update, context: BotContext) -> None:
    """Left alone too long: drop the draft and tell its author (not silently)."""
    if update.effective_user is None or not await timed_out(update, context, "post"):
        return
    if await context.services.db.drafts.delete_of_user(update.effective_user.id) is None:
        return
    await respond(
        update,
        context.tr.pgettext(
            "post",
            "The news draft waited {minutes} minutes and was dropped: nothing was sent. "
            "Send /post to start again.",
        ).format(minutes=round(DRAFT_TIMEOUT / 60)),
    )


async def text_expected(update: Update, context: BotContext) -> int:
    await respond(
        update,
        context.tr.pgettext("post", "Please send the text, press a button, or /cancel."),
    )
    return WRITING


NEW_MESSAGE = filters.UpdateType.MESSAGE  # an edit of an earlier message changes nothing


def _preview_buttons() -> list[BaseHandler[Update, BotContext, object]]:
    """Every button of the confirmation works from the stored draft, in or out of the
    conversation (after a restart or a timeout, the stored draft decides)."""
    timing: list[BaseHandler[Update, BotContext, object]] = [
        CallbackQueryHandler(choose_time, pattern=POST.pattern_for(step))
        for step in ("when", "day", "at", "now", "back")
    ]
    return [
        CallbackQueryHandler(send, pattern=POST.pattern_for("send")),
        CallbackQueryHandler(toggle, pattern=POST.pattern_for("preview")),
        CallbackQueryHandler(toggle, pattern=POST.pattern_for("paid")),
        CallbackQueryHandler(choose_audience, pattern=POST.pattern_for("lang")),
        CallbackQueryHandler(choose_audience, pattern=POST.pattern_for("chats")),
        *timing,
    ]


with warnings.catch_warnings():
    # Callback buttons here belong to the staff member's own conversation (per user), which
    # is what PTB's per_message=False warning is about.
    warnings.simplefilter("ignore")
    POST_CONVERSATION = ConversationHandler(
        entry_points=[CommandHandler("post", post_start, filters=STAFF)],
        states={
            WRITING: [
                MessageHandler(NEW_MESSAGE & filters.TEXT & ~filters.COMMAND, got_text),
                CallbackQueryHandler(skip_language, pattern=POST.pattern_for("skip")),
                MessageHandler(NEW_MESSAGE & ~filters.COMMAND, text_expected),
            ],
            FALLBACK: [CallbackQueryHandler(choose_fallback, pattern=POST.pattern_for("fallback"))],
            PREVIEW: _preview_buttons(),
            ConversationHandler.TIMEOUT: [TypeHandler(Update, expired)],
        },
        fallbacks=[
            CommandHandler("cancel", cancel, filters=NEW_MESSAGE),
            CallbackQueryHandler(cancel, pattern=POST.pattern_for("cancel")),
            MessageHandler(NEW_MESSAGE & filters.COMMAND, leave),
        ],
        name="post",
        allow_reentry=True,
        conversation_timeout=DRAFT_TIMEOUT,
    )


FEATURE = Feature(
    name="post",
    commands=(
        Command(
            "post",
            lazy_pgettext("command menu", "Staff: send news to subscribers"),
            post_start,
            staff=True,
            conversation=True,
        ),
        Command(
            "cancel",
            lazy_pgettext("command menu", "Staff: cancel the current step"),
            cancel,
            staff=True,
            conversation=True,
        ),
    ),
    callbacks=(POST,),
    handlers=(
        POST_CONVERSATION,
        # Out of the conversation (a restart, a timeout): the stored draft still decides.
        *_preview_buttons(),
        CallbackQueryHandler(drop_confirmed, pattern=POST.pattern_for("drop")),
        CommandHandler("cancel", nothing_to_cancel, filters=STAFF),
    ),
)
