"""Builds the telegram.ext.Application: services at start, every feature's handlers, menus."""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from pathlib import Path
from typing import Any

from telegram import Bot, CallbackQuery, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    Defaults,
    TypeHandler,
)

from bot import __version__
from bot.analytics import FLUSH_EVERY, Analytics
from bot.broadcasts import ADOPT_EVERY, ProgressFollowers
from bot.callbacks import MENU
from bot.config import Config
from bot.content.checks import ContentError
from bot.content.kinds import SHOWN
from bot.content.model import CONTENT_DIR
from bot.content.store import RELOAD_CHECK_EVERY, ContentStore
from bot.context import SERVICES_KEY, BotContext, Services
from bot.conversation_state import SharedConversations
from bot.delivery import RateLimiter, Sender
from bot.errors import on_error
from bot.features import STAFF, STAFF_USERS, Feature, all_commands, check_callbacks
from bot.groups import is_group
from bot.health import HEARTBEAT_EVERY, ApiStatus, TrackingRequest
from bot.i18n import I18n
from bot.languages import DEFAULT_LANGUAGE
from bot.logs import handler_var, update_id_var, user_id_var
from bot.menus import publish_command_menus, publish_descriptions
from bot.reminders import queue_reminders
from bot.scheduled import QUEUE_EVERY, queue_due_posts, resume_confirmed
from bot.storage import Database
from bot.ui import answer_stale
from bot.updates import ChatOrderedProcessor, valid_text
from bot.users import Users

log = logging.getLogger(__name__)

BotApp = Application[Any, BotContext, Any, Any, Any, Any]


class BotApplication(Application[Any, BotContext, Any, Any, Any, Any]):
    """The Application, with text from users made valid UTF-8 before any handler sees it."""

    async def process_update(self, update: object) -> None:
        await super().process_update(valid_text(update))


def build_application(
    config: Config,
    *,
    features: tuple[Feature, ...],
    content_dir: Path = CONTENT_DIR,
    rate_limit: bool = True,
) -> BotApp:
    """The real application with these features (the entry point passes handlers.FEATURES);
    tests and the sandbox only change config.api_root and paths."""
    api_status = ApiStatus()
    builder = (
        ApplicationBuilder()
        .token(config.require_token())
        .request(TrackingRequest(api_status, connection_pool_size=64))
        # Long polling holds one request at a time (two while one is being torn down).
        .get_updates_request(TrackingRequest(api_status, connection_pool_size=2, read_timeout=30))
        .base_url(config.base_url)
        .base_file_url(config.base_file_url)
        .context_types(ContextTypes(context=BotContext))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                tzinfo=config.timezone,
            )
        )
        .application_class(BotApplication)
        .concurrent_updates(ChatOrderedProcessor())
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    if rate_limit:
        # Replies to users go through PTB's limiter; pushes have their own sender.
        # Replies: 20 a minute per group and automatic 429 retries; no overall cap, which
        # the outbox sender applies to pushes (bot/delivery.py).
        limited = builder.rate_limiter(AIORateLimiter(overall_max_rate=0, max_retries=3))
        app: BotApp = limited.build()
    else:
        app = builder.build()
    app.bot_data["_setup"] = (config, features, content_dir)
    app.bot_data["api_status"] = api_status
    register(app, features, config.admin_ids)
    return app


def register(app: BotApp, features: tuple[Feature, ...], admin_ids: frozenset[int]) -> None:
    """The one place where handlers are added, in this order:

    group -2: the state of the user's open conversations, from a shared database (and
              written back in the group before the last);
    group -1: remember the user and resolve their language, and count what the update asks
              for (bot.analytics: in memory, no user id kept); runs for every update;
    group 0:  every feature's commands, the main-menu buttons, then each feature's own
              handlers in the order of handlers.FEATURES (the fallbacks come last).
    """
    check_callbacks(features)
    STAFF_USERS.user_ids = admin_ids
    app.add_handler(TypeHandler(Update, _remember_user), group=-1)
    # Conversations first: an open one sees the other commands, to end itself and run them.
    conversations = [
        (f, h) for f in features for h in f.handlers if isinstance(h, ConversationHandler)
    ]
    for feature, handler in conversations:
        # The handlers are module objects: a new Application (a restart in the same process,
        # the tests) starts with no conversations and no timeout jobs of an older JobQueue.
        handler.timeout_jobs.clear()
        handler._conversations.clear()
        app.add_handler(_named(handler, feature.name))
    # Their state, shared with other instances through the database (a no-op on SQLite).
    shared = SharedConversations([(f.name, h) for f, h in conversations])
    app.bot_data[CONVERSATIONS_KEY] = shared
    app.add_handler(TypeHandler(Update, shared.load), group=-2)
    app.add_handler(TypeHandler(Update, shared.save), group=LOG_GROUP - 1)
    commands = all_commands(features)
    for command in commands:
        if not command.conversation:
            only = STAFF if command.staff else None
            app.add_handler(
                _named(CommandHandler(command.name, command.callback, filters=only), command.name)
            )
    by_name = {c.name: c for c in commands if not c.staff}

    async def open_from_menu(update: Update, context: BotContext) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        fields = MENU.unpack(query.data, 1)
        command = by_name.get(fields[0]) if fields else None
        if command is None:  # a button from an older release
            await answer_stale(query, context.tr)
            return
        # Telegram takes one answer per query: the command may answer it itself (a refusal
        # with an alert); only if it did not, answer it here, after.
        tracked = _TrackedQuery.de_json(query.to_dict(), query.get_bot())
        assert isinstance(tracked, _TrackedQuery)
        await command.callback(Update(update.update_id, callback_query=tracked), context)
        if not tracked.answered:
            await query.answer()

    app.add_handler(_named(CallbackQueryHandler(open_from_menu, pattern=MENU.pattern), "menu"))
    for feature in features:
        for other in feature.handlers:
            if not isinstance(other, ConversationHandler):
                app.add_handler(_named(other, feature.name))
    app.add_handler(TypeHandler(Update, _log_update), group=LOG_GROUP)
    app.add_error_handler(on_error)


class _TrackedQuery(CallbackQuery):
    """A callback query that knows whether it was answered (for the menu dispatcher)."""

    answered = False

    async def answer(self, *args: Any, **kwargs: Any) -> bool:
        with self._unfrozen():
            self.answered = True
        return await super().answer(*args, **kwargs)


LOG_GROUP = 999_999
CONVERSATIONS_KEY = "_conversations"  # after every feature: one log line per update


def _named(handler: Any, name: str) -> Any:
    """Make log lines written while `handler` runs say which handler it was."""
    if isinstance(handler, ConversationHandler):
        for inner in (*handler.entry_points, *handler.fallbacks):
            _named(inner, name)
        for state_handlers in handler.states.values():
            for inner in state_handlers:
                _named(inner, name)
        return handler
    # The conversations' inner handlers are module objects, named again by every
    # Application built in the process: wrap the original, not the last wrapper (the
    # chain grew by one a build until a long test run hit the recursion limit).
    callback = getattr(handler.callback, _ORIGINAL, handler.callback)
    label = f"{name}.{getattr(callback, '__name__', 'handler')}"

    async def with_name(update: object, context: Any) -> Any:
        handler_var.set(label)
        return await callback(update, context)

    setattr(with_name, _ORIGINAL, callback)
    handler.callback = with_name
    return handler


_ORIGINAL = "_unnamed_callback"


async def _log_update(update: Update, context: BotContext) -> None:
    started = context.bot_data.get("_update_started", {}).pop(update.update_id, None)
    elapsed = f" ms={(time.perf_counter() - started) * 1000:.1f}" if started else ""
    log.info("update handled kind=%s%s", _kind(update), elapsed)
    update_id_var.set(None)
    user_id_var.set(None)
    handler_var.set(None)


# The update types the bot asks Telegram for (polling and webhook alike).
ALLOWED_UPDATES = (
    "message",
    "edited_message",
    "callback_query",
    "inline_query",
    "my_chat_member",
    "channel_post",
    "chosen_inline_result",
)


def _kind(update: Update) -> str:
    return next((k for k in ALLOWED_UPDATES if getattr(update, k, None) is not None), "other")


def _count_update(update: Update, context: BotContext) -> None:
    """Commands (typed or from the main menu) and inline results chosen; the rest is
    counted where it is shown (opens, searches that found nothing)."""
    analytics = context.services.analytics
    user = update.effective_user
    chat = update.effective_chat
    if user is not None and not user.is_bot and chat is not None and chat.type == "private":
        analytics.user_seen(user.id)
    message = update.message
    if message is not None and message.text and message.text.startswith("/"):
        name = message.text.split(maxsplit=1)[0][1:].split("@", 1)[0].lower()
        if name in _command_names(context):
            analytics.command(name)
    elif update.callback_query is not None:
        fields = MENU.unpack(update.callback_query.data, 1)
        if fields and fields[0] in _command_names(context):
            analytics.command(fields[0])
    chosen = update.chosen_inline_result
    if chosen is not None:
        kind, _, item_id = chosen.result_id.partition(":")
        if kind in SHOWN and item_id:
            analytics.opened(kind, item_id)
        elif chosen.result_id == "nothing":
            analytics.search_missed(chosen.query)


def _command_names(context: BotContext) -> frozenset[str]:
    names: frozenset[str] | None = context.bot_data.get("_command_names")
    if names is None:
        names = frozenset(c.name for c in all_commands(context.services.features))
        context.bot_data["_command_names"] = names
    return names


async def _remember_user(update: Update, context: BotContext) -> None:
    context.bot_data.setdefault("_update_started", {})[update.update_id] = time.perf_counter()
    update_id_var.set(update.update_id)
    user = update.effective_user
    user_id_var.set(user.id if user else None)
    handler_var.set(None)
    _count_update(update, context)
    if user is None or user.is_bot:
        context.lang = DEFAULT_LANGUAGE
        return
    users = context.services.users
    try:
        context.lang = await users.seen(user.id, user.language_code)
    except Exception:  # the database refuses writes (disk full, read-only): still answer
        log.exception("could not record the visit of user_id=%s", user.id)
        context.lang = await users.language(user.id, user.language_code)
    chat = update.effective_chat
    if is_group(chat):
        assert chat is not None
        context.lang = await users.group_language(chat.id, chat.type, chat.title) or context.lang


async def _post_init(app: BotApp) -> None:
    config, features, content_dir = app.bot_data.pop("_setup")
    db = await Database.open(config.database, instance=config.instance_name)
    try:
        content = ContentStore(db)
        await content.load(content_dir)
        await content.follow_reloads(content_dir)  # notes the last /reload of any instance
        users = Users(db)
        analytics = Analytics(db, lambda: app.bot_data[SERVICES_KEY].today())
        users.on_new = analytics.new_user
        db.changes.on_subscription = analytics.subscription
        services = Services(
            config=config,
            db=db,
            i18n=I18n(),
            users=users,
            content=content,
            features=features,
            version=__version__,
            content_dir=content_dir,
            analytics=analytics,
            conversations=app.bot_data.get(CONVERSATIONS_KEY),
        )
    except BaseException:
        await db.close()
        raise
    app.bot_data[SERVICES_KEY] = services
    if not config.database_url:  # a file that could be deleted under us (SQLite)
        app.bot_data["_database_file"] = _file_id(Path(config.database_path))
    await publish_command_menus(app.bot, services)
    await publish_descriptions(app.bot, services)
    await start_delivery(app, services)
    log.info("bot started: version=%s content=%s", __version__, content.counts())


async def start_delivery(app: BotApp, services: Services) -> None:
    """The outbox sender (its own Bot: no reply limiter in its way) and the daily schedule."""
    config = services.config
    sender_bot = Bot(
        config.require_token(),
        base_url=config.base_url,
        base_file_url=config.base_file_url,
        request=TrackingRequest(
            app.bot_data["api_status"], connection_pool_size=80, read_timeout=15, connect_timeout=10
        ),
    )
    await sender_bot.initialize()
    services.progress = ProgressFollowers(services.db, app.bot, services.i18n, services.process_id)
    services.sender = Sender(
        services.db,
        sender_bot,
        limiter=RateLimiter(config.push_rate or None),
        clock=lambda: services.clock().timestamp(),
    )
    services.sender.on_blocked = services.users.forget
    services.analytics.watch(services.sender)
    await services.sender.start()
    if app.job_queue is not None:
        # Shortly after local midnight, and once now to catch up on what downtime missed.
        app.job_queue.run_daily(
            _queue_reminders, dt.time(0, 0, 5, tzinfo=config.timezone), name="reminders"
        )
        app.job_queue.run_once(_queue_reminders, 0.5, name="reminders-catch-up")
        app.job_queue.run_repeating(_heartbeat, HEARTBEAT_EVERY, first=0.1, name="heartbeat")
        app.job_queue.run_repeating(queue_due_posts, QUEUE_EVERY, first=1.0, name="scheduled-posts")
        app.job_queue.run_once(resume_confirmed, 0.5, name="resume-drafts")
        app.job_queue.run_repeating(
            _adopt_progress, ADOPT_EVERY, first=1.0, name="progress-messages"
        )
        app.job_queue.run_repeating(
            _flush_figures, FLUSH_EVERY, first=FLUSH_EVERY, name="usage-figures"
        )
        app.job_queue.run_daily(
            _roll_up_figures, dt.time(0, 10, tzinfo=config.timezone), name="usage-roll-up"
        )
        app.job_queue.run_once(_roll_up_figures, 1.0, name="usage-roll-up-catch-up")
        if services.db.shared:  # other instances' /reload reach this one
            app.job_queue.run_repeating(
                _follow_reloads, RELOAD_CHECK_EVERY, first=RELOAD_CHECK_EVERY, name="reloads"
            )


async def _follow_reloads(context: BotContext) -> None:
    services = context.services
    try:
        if await services.content.follow_reloads(services.content_dir):
            log.info("content reloaded after a /reload elsewhere: %s", services.content.counts())
    except ContentError as exc:
        log.error("another instance reloaded the content, but here it is invalid: %s", exc)


async def _adopt_progress(context: BotContext) -> None:
    """A broadcast's progress message whose follower died (here, before a restart, or on
    another instance) is followed from here."""
    if context.services.progress is not None:
        await context.services.progress.adopt()


async def _flush_figures(context: BotContext) -> None:
    await context.services.analytics.flush()


async def _roll_up_figures(context: BotContext) -> None:
    """Once a day: subscribers per topic noted, per-day figures beyond 400 days by month."""
    services = context.services
    await services.analytics.snapshot_subscribers()
    rolled = await services.db.analytics.roll_up(services.today())
    if rolled:
        log.info("usage figures rolled up into months: rows=%s", rolled)


async def _heartbeat(context: BotContext) -> None:
    """Write what the health probe reads: alive now, last good Bot API answer, the sender's
    state; and check that the database file is still the one the bot opened."""
    services = context.services
    if not await _database_file_intact(context):
        return
    status: ApiStatus = context.bot_data["api_status"]
    values = {"heartbeat": f"{time.time():.0f}", "version": __version__}
    if services.db.shared:  # the probe, in another process, cannot count our content
        values["content_items"] = str(sum(services.content.counts().values()))
    if status.last_ok is not None:
        values["last_api_ok"] = f"{status.last_ok:.0f}"
    sender = services.sender
    if sender is not None:
        sender.ensure_running()
        values.update(sender.health())
        due = await services.db.outbox.next_due()
        values["outbox_oldest_due"] = "" if due is None else str(due)
    await services.db.status.set(values)


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


async def _database_file_intact(context: BotContext) -> bool:
    """A database file deleted (or replaced) under the running bot: every write would go to
    a file nobody will read again. Say so loudly, and stop writing (reads still answer)."""
    services = context.services
    path = Path(services.config.database_path)
    opened = context.bot_data.get("_database_file")
    if opened is None or _file_id(path) == opened:
        return True
    if not context.bot_data.get("_database_lost"):
        context.bot_data["_database_lost"] = True
        await services.db.conn.execute("PRAGMA query_only = ON")
        if services.sender is not None:
            await services.sender.stop(grace=1.0)
    log.critical(
        "the database file %s was deleted or replaced while the bot runs: writes refused, "
        "restart the bot (with the file restored) to accept them again",
        path,
    )
    return False


async def _queue_reminders(context: BotContext) -> None:
    queued = await queue_reminders(context.services)
    if queued:
        log.info("reminders queued: %s", ", ".join(f"{q.key}={q.rows}" for q in queued))


async def _post_stop(app: BotApp) -> None:
    """Graceful stop: no new pushes, in-flight sends finish or go back to pending."""
    services: Services | None = app.bot_data.get(SERVICES_KEY)
    if services is not None and services.progress is not None:
        await services.progress.stop()  # they never hold the stop
    if services is not None and services.sender is not None:
        await services.sender.stop()
        await services.sender.bot.shutdown()
    if services is not None:
        await services.analytics.flush()


async def _post_shutdown(app: BotApp) -> None:
    services: Services | None = app.bot_data.get(SERVICES_KEY)
    if services is not None:
        await services.db.close()
        log.info("bot stopped cleanly: database closed")
