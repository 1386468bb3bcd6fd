"""UN–Tajikistan partnership bot: core (config, storage, content, i18n, delivery)."""

import os

# Opt in to PTB's future API now: durations (retry_after, timeouts) as timedelta.
os.environ.setdefault("PTB_TIMEDELTA", "1")

__version__ = "0.1.0"
