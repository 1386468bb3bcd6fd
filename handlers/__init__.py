"""Every feature of the bot, in the order its handlers are registered (fallbacks last)."""

from bot.features import Feature
from handlers import (
    about,
    agencies,
    anniversaries,
    channels,
    downloads,
    facts,
    fallback,
    help,
    history,
    language,
    membership,
    search,
    staff,
    start,
    subscriptions,
)

FEATURES: tuple[Feature, ...] = (
    start.FEATURE,
    staff.FEATURE,  # before search: its conversation takes the staff's news text
    channels.FEATURE,
    facts.FEATURE,
    history.FEATURE,
    anniversaries.FEATURE,
    downloads.FEATURE,
    agencies.FEATURE,
    subscriptions.FEATURE,
    search.FEATURE,
    language.FEATURE,
    help.FEATURE,
    about.FEATURE,
    membership.FEATURE,
    fallback.FEATURE,  # must stay last: it answers whatever no other feature took
)
