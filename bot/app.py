"""Builds the telegram.ext.Application: services at start, every feature's handlers, menus."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from telegram import Bot, BotCommand, BotCommandScopeChat, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    TypeHandler,
)
from telegram.request import HTTPXRequest

from bot import __version__
from bot.config import Config
from bot.content import CONTENT_DIR, ContentStore
from bot.context import SERVICES_KEY, BotContext, Services
from bot.delivery import RateLimiter, Sender
from bot.features import STAFF, Feature, all_commands, public_commands, staff_commands
from bot.i18n import DEFAULT_LANGUAGE, I18n
from bot.storage import Database
from bot.users import Users

log = logging.getLogger(__name__)

BotApp = Application[Any, BotContext, Any, Any, Any, Any]


def build_application(
    config: Config,
    *,
    features: tuple[Feature, ...] | None = None,
    content_dir: Path = CONTENT_DIR,
    rate_limit: bool = True,
) -> BotApp:
    """The real application; tests and the sandbox only change config.api_root and paths."""
    if features is None:
        from handlers import FEATURES

        features = FEATURES
    builder = (
        ApplicationBuilder()
        .token(config.require_token())
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
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    if rate_limit:
        # Replies to users go through PTB's limiter; pushes have their own sender.
        # Replies: 20 a minute per group and automatic 429 retries; no overall cap, which
        # the outbox sender applies to pushes (bot/delivery.py).
        builder = builder.rate_limiter(AIORateLimiter(overall_max_rate=0, max_retries=3))
    app: BotApp = builder.build()
    app.bot_data["_setup"] = (config, features, content_dir)
    register(app, features, config.admin_ids)
    return app


def register(app: BotApp, features: tuple[Feature, ...], admin_ids: frozenset[int]) -> None:
    """The one place where handlers are added, in this order:

    group -1: remember the user and resolve their language (runs for every update);
    group 0:  every feature's commands, the main-menu buttons, then each feature's own
              handlers in the order of handlers.FEATURES (the fallbacks come last).
    """
    from handlers.errors import on_error

    STAFF.user_ids = admin_ids
    app.add_handler(TypeHandler(Update, _remember_user), group=-1)
    commands = all_commands(features)
    for command in commands:
        if not command.conversation:
            only = STAFF if command.staff else None
            app.add_handler(CommandHandler(command.name, command.callback, filters=only))
    by_name = {c.name: c for c in commands if not c.staff}

    async def open_from_menu(update: Update, context: BotContext) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        command = by_name.get(query.data.removeprefix("cmd:"))
        await query.answer()
        if command is None:  # a button from an older release
            from handlers.fallback import stale_button

            await stale_button(update, context)
            return
        await command.callback(update, context)

    app.add_handler(CallbackQueryHandler(open_from_menu, pattern=r"^cmd:"))
    for feature in features:
        for handler in feature.handlers:
            app.add_handler(handler)
    app.add_error_handler(on_error)


async def _remember_user(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None or user.is_bot:
        context.lang = DEFAULT_LANGUAGE
        return
    context.lang = await context.services.users.seen(user.id, user.language_code)


async def _post_init(app: BotApp) -> None:
    config, features, content_dir = app.bot_data.pop("_setup")
    db = await Database.open(config.database_path)
    try:
        content = ContentStore(db)
        await content.load(content_dir)
        services = Services(
            config=config,
            db=db,
            i18n=I18n(),
            users=Users(db),
            content=content,
            features=features,
            version=__version__,
            content_dir=content_dir,
        )
    except BaseException:
        await db.close()
        raise
    app.bot_data[SERVICES_KEY] = services
    await publish_command_menus(app, services)
    await start_delivery(app, services)
    log.info("bot started: version=%s content=%s", __version__, content.counts())


async def publish_command_menus(app: BotApp, services: Services) -> None:
    """The "/" menu in each language, Russian for everyone else (the default language), and
    a larger one in each staff member's private chat."""
    public = public_commands(services.features)
    staff = staff_commands(services.features)
    for tr in services.i18n.all():
        commands = [BotCommand(c.name, tr.lazy(c.description)) for c in public]
        extended = commands + [BotCommand(c.name, tr.lazy(c.description)) for c in staff]
        await app.bot.set_my_commands(commands, language_code=tr.lang)
        if tr.lang == DEFAULT_LANGUAGE:
            await app.bot.set_my_commands(commands)
        for admin in sorted(services.config.admin_ids):
            scope = BotCommandScopeChat(admin)
            await app.bot.set_my_commands(extended, scope=scope, language_code=tr.lang)
            if tr.lang == DEFAULT_LANGUAGE:
                await app.bot.set_my_commands(extended, scope=scope)


async def start_delivery(app: BotApp, services: Services) -> None:
    """The outbox sender (its own Bot: no reply limiter in its way) and the daily schedule."""
    config = services.config
    sender_bot = Bot(
        config.require_token(),
        base_url=config.base_url,
        base_file_url=config.base_file_url,
        request=HTTPXRequest(connection_pool_size=80, read_timeout=15, connect_timeout=10),
    )
    await sender_bot.initialize()
    services.sender = Sender(
        services.db,
        sender_bot,
        limiter=RateLimiter(config.push_rate or None),
        clock=lambda: services.clock().timestamp(),
    )
    await services.sender.start()
    if app.job_queue is not None:
        # Shortly after local midnight, and once now to catch up on what downtime missed.
        app.job_queue.run_daily(
            _queue_reminders, dt.time(0, 0, 5, tzinfo=config.timezone), name="reminders"
        )
        app.job_queue.run_once(_queue_reminders, 0.5, name="reminders-catch-up")


async def _queue_reminders(context: BotContext) -> None:
    queued = await context.services.queue_reminders()
    if queued:
        log.info("reminders queued: %s", ", ".join(f"{q.key}={q.rows}" for q in queued))


async def _post_stop(app: BotApp) -> None:
    """Graceful stop: no new pushes, in-flight sends finish or go back to pending."""
    services: Services | None = app.bot_data.get(SERVICES_KEY)
    if services is not None and services.sender is not None:
        await services.sender.stop()
        await services.sender.bot.shutdown()


async def _post_shutdown(app: BotApp) -> None:
    services: Services | None = app.bot_data.get(SERVICES_KEY)
    if services is not None:
        await services.db.close()
        log.info("bot stopped cleanly: database closed")
