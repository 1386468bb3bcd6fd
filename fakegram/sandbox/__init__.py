"""`python -m bot sandbox`: the whole bot in a terminal, no Telegram token needed.

The fake Bot API, the bot and its outbox sender run in this process. `session` plays the
user (private chat, a group, inline mode, the clock), `render` shows what arrived as a
terminal can, `terminal` reads lines (readline on a terminal, a script from a pipe),
`commands` parses the sandbox's own commands, `run` is the main loop.
"""

from fakegram.sandbox.run import run_sandbox
from fakegram.sandbox.session import SANDBOX_USER_ID

__all__ = ["SANDBOX_USER_ID", "run_sandbox"]
