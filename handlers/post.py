"""Staff: /post news in three languages, with previews exactly as subscribers get them."""

from __future__ import annotations

import asyncio
import time
import uuid
import warnings
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.broadcasts import Progress, news_texts, progress_text, queue_news
from bot.callbacks import CallbackData
from bot.context import BotContext
from bot.features import STAFF, Command, Feature
from bot.i18n import LANGUAGE_NAMES, Translator, lazy_pgettext
from bot.languages import LANGUAGES
from bot.render.html import escape
from bot.ui import answer_stale, keyboard, respond

POST = CallbackData("post")

WRITING, FALLBACK, PREVIEW = range(3)
PROGRESS_EVERY = 1.0  # seconds between edits of the progress message


def _user_data(context: BotContext) -> dict[Any, Any]:
    """The staff member's own data (staff commands come only from users, so it exists)."""
    data = context.user_data
    assert data is not None
    return data


def _draft(context: BotContext) -> dict[str, Any]:
    return _user_data(context).setdefault("post", {})


def _next_language(draft: dict[str, Any]) -> str | None:
    return next((lang for lang in LANGUAGES if lang not in draft["texts"]), None)


async def _ask_text(update: Update, context: BotContext, lang: str) -> int:
    tr = context.tr
    text = tr.pgettext(
        "post",
        "Send the news text in <b>{language}</b>. Formatting and links are kept.\n"
        "Or skip this language: its readers then get the news in a language you choose.",
    ).format(language=LANGUAGE_NAMES[lang])
    rows = [
        [
            (
                tr.pgettext("post", "Skip {language}").format(language=LANGUAGE_NAMES[lang]),
                POST.pack("skip"),
            )
        ],
        [(tr.pgettext("post", "✖️ Cancel"), POST.pack("cancel"))],
    ]
    await respond(update, text, keyboard(rows))
    return WRITING


async def post_start(update: Update, context: BotContext) -> int:
    _user_data(context)["post"] = {
        "key": f"news:{uuid.uuid4().hex}",
        "texts": {},
        "fallback": None,
        "link_preview": False,
        "paid": False,
    }
    return await _ask_text(update, context, LANGUAGES[0])


async def _after_text(update: Update, context: BotContext) -> int:
    draft = _draft(context)
    lang = _next_language(draft)
    if lang is not None:
        return await _ask_text(update, context, lang)
    given = [lang for lang, text in draft["texts"].items() if text]
    tr = context.tr
    if not given:
        await respond(update, tr.pgettext("post", "All languages were skipped: nothing to send."))
        return ConversationHandler.END
    if len(given) == 1:
        draft["fallback"] = given[0]  # the only text there is: nothing to choose
    elif len(given) < len(LANGUAGES):
        rows = [[(LANGUAGE_NAMES[lang], POST.pack("fallback", lang)) for lang in given]]
        rows.append([(tr.pgettext("post", "✖️ Cancel"), POST.pack("cancel"))])
        await respond(
            update,
            tr.pgettext("post", "Readers of the skipped languages get the news in:"),
            keyboard(rows),
        )
        return FALLBACK
    return await _preview(update, context)


async def got_text(update: Update, context: BotContext) -> int:
    message = update.effective_message
    draft = _draft(context)
    lang = _next_language(draft)
    if message is None or lang is None or not message.text:
        return WRITING
    draft["texts"][lang] = message.text_html
    return await _after_text(update, context)


async def skip_language(update: Update, context: BotContext) -> int:
    assert update.callback_query is not None
    await update.callback_query.answer()
    draft = _draft(context)
    lang = _next_language(draft)
    if lang is not None:
        draft["texts"][lang] = None
    return await _after_text(update, context)


async def choose_fallback(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    fields = POST.unpack(query.data, 2)
    lang = fields[1] if fields else ""
    draft = _draft(context)
    if not draft["texts"].get(lang):
        await answer_stale(query, context.tr)
        return FALLBACK
    await query.answer()
    draft["fallback"] = lang
    return await _preview(update, context)


async def _preview(update: Update, context: BotContext) -> int:
    """Each language exactly as its subscribers will get it, then the confirmation."""
    tr = context.tr
    draft = _draft(context)
    texts = news_texts(draft["texts"], draft["fallback"])
    chat = update.effective_chat
    assert chat is not None
    for lang in LANGUAGES:
        origin = lang if draft["texts"].get(lang) else draft["fallback"]
        note = tr.pgettext("post", "Preview for readers in {language}:").format(
            language=LANGUAGE_NAMES[lang]
        )
        if origin != lang:
            note += " " + tr.pgettext("post", "(they get the {language} text)").format(
                language=LANGUAGE_NAMES[origin]
            )
        await chat.send_message(f"<i>{escape(note)}</i>")
        await chat.send_message(
            texts[lang],
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=not draft["link_preview"]),
        )
    counts = await context.services.db.chats.subscribers_by_language("news")
    total = sum(counts.values())
    summary = tr.pgettext(
        "post",
        "<b>Ready to send</b> to {total} news subscribers ({by_language}).\nLink previews: {preview}.\n"
        "Paid broadcast (up to 1000 messages a second, paid in Telegram Stars): {paid}.",
    ).format(
        paid=tr.pgettext("post", "on") if draft["paid"] else tr.pgettext("post", "off"),
        total=tr.number(total),
        by_language=escape(
            ", ".join(f"{LANGUAGE_NAMES[lang]} {tr.number(counts[lang])}" for lang in LANGUAGES)
        ),
        preview=tr.pgettext("post", "on") if draft["link_preview"] else tr.pgettext("post", "off"),
    )
    rows = [
        [(tr.pgettext("post", "✅ Send to {total}").format(total=tr.number(total)), POST.pack("send"))],
        [(tr.pgettext("post", "🔗 Switch link previews"), POST.pack("preview"))],
        [(tr.pgettext("post", "⚡ Switch paid broadcast"), POST.pack("paid"))],
        [(tr.pgettext("post", "✖️ Cancel"), POST.pack("cancel"))],
    ]
    await chat.send_message(summary, reply_markup=keyboard(rows))
    return PREVIEW


# The preview's switches: link previews, and Telegram's paid broadcast for urgent news
# (this broadcast only, off by default).
SWITCHES = {"preview": "link_preview", "paid": "paid"}


async def toggle(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    fields = POST.unpack(query.data, 1)
    await query.answer()
    draft = _draft(context)
    if fields and fields[0] in SWITCHES:
        draft[SWITCHES[fields[0]]] = not draft[SWITCHES[fields[0]]]
    return await _preview(update, context)


async def send(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None and query.from_user is not None
    tr = context.tr
    draft = _draft(context)
    services = context.services
    texts = news_texts(draft["texts"], draft["fallback"])
    push_id, queued = await queue_news(
        services.db, draft["key"], texts, query.from_user.id, draft["link_preview"], draft["paid"]
    )
    await query.answer()
    if services.sender is not None:
        services.sender.wake()
    await respond(
        update,
        tr.pgettext("post", "Queued for {count} subscribers.").format(count=tr.number(queued)),
        edit=True,
    )
    message = await respond(
        update, progress_text(tr, Progress.of(await services.db.outbox.counts(push_id), 0.0))
    )
    if message is not None and not isinstance(message, bool):
        context.application.create_task(
            follow_progress(context, tr, message.chat_id, message.message_id, push_id),
            name=f"progress-{push_id}",
        )
    _user_data(context).pop("post", None)
    return ConversationHandler.END


async def follow_progress(
    context: BotContext, tr: Translator, chat_id: int, message_id: int, push_id: int
) -> None:
    """Edit the progress message as delivery goes on, until the final report."""
    started = time.monotonic()
    shown = ""
    db = context.services.db
    while True:
        await asyncio.sleep(PROGRESS_EVERY)
        progress = Progress.of(await db.outbox.counts(push_id), time.monotonic() - started)
        text = progress_text(tr, progress)
        if text != shown:
            try:
                await context.bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)
                shown = text
            except BadRequest:
                pass  # deleted by the user, or unchanged: keep following
        if progress.done:
            return


async def cancel(update: Update, context: BotContext) -> int:
    if update.callback_query is not None:
        await update.callback_query.answer()
    _user_data(context).pop("post", None)
    await respond(
        update,
        context.tr.pgettext("post", "Cancelled: nothing was sent."),
        edit=update.callback_query is not None,
    )
    return ConversationHandler.END


async def text_expected(update: Update, context: BotContext) -> int:
    await respond(
        update,
        context.tr.pgettext("post", "Please send the text, press a button, or /cancel."),
    )
    return WRITING


with warnings.catch_warnings():
    # Callback buttons here belong to the staff member's own conversation (per user), which
    # is what PTB's per_message=False warning is about.
    warnings.simplefilter("ignore")
    POST_CONVERSATION = ConversationHandler(
        entry_points=[CommandHandler("post", post_start, filters=STAFF)],
        states={
            WRITING: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, got_text),
                CallbackQueryHandler(skip_language, pattern=POST.pattern_for("skip")),
                MessageHandler(~filters.COMMAND, text_expected),
            ],
            FALLBACK: [CallbackQueryHandler(choose_fallback, pattern=POST.pattern_for("fallback"))],
            PREVIEW: [
                CallbackQueryHandler(send, pattern=POST.pattern_for("send")),
                CallbackQueryHandler(toggle, pattern=POST.pattern_for("preview")),
                CallbackQueryHandler(toggle, pattern=POST.pattern_for("paid")),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CallbackQueryHandler(cancel, pattern=POST.pattern_for("cancel")),
        ],
        name="post",
        allow_reentry=True,
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
    handlers=(POST_CONVERSATION,),
)
