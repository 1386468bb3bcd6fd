"""Builds the telegram.ext.Application: services at start, every feature's handlers, menus."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
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

from bot import __version__
from bot.config import Config
from bot.content import CONTENT_DIR, ContentStore
from bot.context import SERVICES_KEY, BotContext, Services
from bot.features import Feature, all_commands
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
        .post_shutdown(_post_shutdown)
    )
    if rate_limit:
        # Replies to users go through PTB's limiter; pushes have their own sender.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    app: BotApp = builder.build()
    app.bot_data["_setup"] = (config, features, content_dir)
    register(app, features)
    return app


def register(app: BotApp, features: tuple[Feature, ...]) -> None:
    """The one place where handlers are added, in this order:

    group -1: remember the user and resolve their language (runs for every update);
    group 0:  every feature's commands, the main-menu buttons, then each feature's own
              handlers in the order of handlers.FEATURES (the fallbacks come last).
    """
    from handlers.errors import on_error

    app.add_handler(TypeHandler(Update, _remember_user), group=-1)
    commands = all_commands(features)
    for command in commands:
        app.add_handler(CommandHandler(command.name, command.callback))
    by_name = {c.name: c for c in commands}

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
        )
    except BaseException:
        await db.close()
        raise
    app.bot_data[SERVICES_KEY] = services
    await publish_command_menus(app, services)
    log.info("bot started: version=%s content=%s", __version__, content.counts())


async def publish_command_menus(app: BotApp, services: Services) -> None:
    """The "/" menu in each language, and Russian for everyone else (the default language)."""
    for tr in services.i18n.all():
        commands = [
            BotCommand(c.name, tr.lazy(c.description))
            for c in all_commands(services.features)
            if c.in_menu
        ]
        await app.bot.set_my_commands(commands, language_code=tr.lang)
        if tr.lang == DEFAULT_LANGUAGE:
            await app.bot.set_my_commands(commands)


async def _post_shutdown(app: BotApp) -> None:
    services: Services | None = app.bot_data.get(SERVICES_KEY)
    if services is not None:
        await services.db.close()
