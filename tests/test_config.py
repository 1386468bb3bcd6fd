from pathlib import Path

import pytest

from bot.config import TELEGRAM_API, ConfigError, load_config

TOKEN = "123456789:" + "A" * 35


def problems(env: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(env)
    return str(info.value)


def test_defaults() -> None:
    config = load_config({})
    assert config.token is None
    assert config.api_root == TELEGRAM_API
    assert config.base_url == TELEGRAM_API + "/bot"
    assert config.database_path == Path("data/bot.sqlite3")
    assert str(config.timezone) == "Asia/Dushanbe"
    assert config.admin_ids == frozenset()
    assert config.log_level == "INFO"


def test_good_values() -> None:
    config = load_config(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "BOT_API_BASE_URL": "http://127.0.0.1:8081/",
            "DATABASE_PATH": "/tmp/x/bot.db",
            "ADMIN_IDS": " 12345, 67890 ,",
            "TIMEZONE": "Europe/Moscow",
            "LOG_LEVEL": "debug",
        }
    )
    assert config.token == TOKEN
    assert config.api_root == "http://127.0.0.1:8081"
    assert config.admin_ids == {12345, 67890}
    assert config.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"TELEGRAM_BOT_TOKEN": "not-a-token"},
            "TELEGRAM_BOT_TOKEN does not look like a bot token",
        ),
        ({"BOT_API_BASE_URL": "ftp://x"}, "BOT_API_BASE_URL='ftp://x' is not an http(s) URL"),
        ({"BOT_API_BASE_URL": "http://example.org"}, "plain http to a remote host"),
        ({"BOT_API_BASE_URL": "https://api.telegram.org/bot"}, "without '/bot'"),
        ({"ADMIN_IDS": "12,abc"}, "ADMIN_IDS contains 'abc'"),
        ({"ADMIN_IDS": "-5"}, "ADMIN_IDS contains '-5'"),
        ({"TIMEZONE": "Mars/Olympus"}, "TIMEZONE='Mars/Olympus' is not a known time zone"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL='LOUD' is not one of DEBUG, INFO"),
    ],
)
def test_each_bad_value_has_a_clear_message(env: dict[str, str], expected: str) -> None:
    assert expected in problems(env)


def test_all_problems_reported_at_once_and_token_never_echoed() -> None:
    bad_token = "999:secret-but-wrong"
    text = problems({"TELEGRAM_BOT_TOKEN": bad_token, "LOG_LEVEL": "x", "TIMEZONE": "y"})
    assert len(text.splitlines()) == 3
    assert bad_token not in text and "secret" not in text


def test_database_path_must_not_be_a_directory(tmp_path: Path) -> None:
    assert "is a directory" in problems({"DATABASE_PATH": str(tmp_path)})
