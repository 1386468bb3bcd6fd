"""UN–Tajikistan partnership bot: core (config, storage, content, i18n, delivery)."""

__version__ = "0.1.0"
