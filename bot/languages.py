"""The languages the bot speaks: one definition for storage, content and the catalogs."""

LANGUAGES = ("ru", "tg", "en")
DEFAULT_LANGUAGE = "ru"  # for a user whose Telegram language is none of ours
