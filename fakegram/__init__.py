"""A fake Telegram for the bot: a Bot API server on 127.0.0.1, a harness that runs the real
bot against it with a user's view of the chat, and the terminal sandbox built on both.

Not part of the bot: the tests, the benchmarks and `python -m bot sandbox` use it.
"""
