import io
import logging

from bot.logs import REDACTED, setup_logging

TOKEN = ":".join(("123456789", "ABCdefGHIjklMNOpqrSTUvwxYZ0123456789"))  # fake


def test_token_redacted_in_messages_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    setup_logging(logging.DEBUG, secrets=(TOKEN,), stream=stream)
    log = logging.getLogger("httpx")
    log.warning("HTTP Request: POST https://api.telegram.org/bot%s/getMe", TOKEN)
    try:
        raise RuntimeError(f"failed for https://api.telegram.org/bot{TOKEN}/sendMessage")
    except RuntimeError:
        logging.getLogger("bot").exception("boom")
    # a token we were never told about is still caught by its shape
    other = ":".join(("987654321", "ZYXwvuTSRqpoNMLkjiHGFedcBA9876543210"))  # fake
    logging.getLogger("bot").error("other %s", other)
    text = stream.getvalue()
    assert TOKEN not in text
    assert "ZYXwvu" not in text
    assert text.count(REDACTED) == 3  # request log, traceback, unknown token
