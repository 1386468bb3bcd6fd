"""Every feature of the bot, in the order its handlers are registered (fallbacks last)."""

from bot.features import Feature
from handlers import (
    about,
    agencies,
    anniversaries,
    broadcasts,
    channels,
    downloads,
    facts,
    fallback,
    feedback,
    help,
    history,
    language,
    membership,
    post,
    privacy,
    search,
    smalltalk,
    staff_tools,
    start,
    subscriptions,
)

FEATURES: tuple[Feature, ...] = (
    start.FEATURE,
    post.FEATURE,  # before search: its conversation takes the staff's news text
    broadcasts.FEATURE,
    staff_tools.FEATURE,
    channels.FEATURE,
    facts.FEATURE,
    history.FEATURE,
    anniversaries.FEATURE,
    downloads.FEATURE,
    agencies.FEATURE,
    subscriptions.FEATURE,
    smalltalk.FEATURE,  # before search: «Привет» is a greeting, not a query
    search.FEATURE,
    language.FEATURE,
    help.FEATURE,
    about.FEATURE,
    privacy.FEATURE,
    feedback.FEATURE,
    membership.FEATURE,
    fallback.FEATURE,  # must stay last: it answers whatever no other feature took
)
