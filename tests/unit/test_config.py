"""Settings: sensible defaults, and one clear line for every bad value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_URL, ConfigError, load_settings
from survey.questionnaire import SHIPPED_QUESTIONNAIRE

VARIABLES = [
    "BOT_TOKEN",
    "BOT_USERNAME",
    "DATABASE_URL",
    "TELEGRAM_API_URL",
    "ADMIN_IDS",
    "SURVEY_DEADLINE",
    "REMINDER_OFFSETS",
    "CONTACT_EMAIL",
    "QUESTIONNAIRE_PATH",
    "REDIS_URL",
    "LOG_LEVEL",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "WEBHOOK_LISTEN_HOST",
    "WEBHOOK_LISTEN_PORT",
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no developer's .env leaks in


def test_defaults() -> None:
    settings = load_settings()
    assert settings.bot_token is None
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.contact_email == "cws.surveys@wipo.int"
    assert settings.questionnaire_path == SHIPPED_QUESTIONNAIRE
    assert settings.admin_ids == frozenset()
    assert settings.survey_deadline is None
    assert settings.reminder_offsets == ()  # no automatic reminders unless asked for
    assert settings.redis_url is None


def test_values_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    monkeypatch.setenv("ADMIN_IDS", "11, 22;33")
    monkeypatch.setenv("SURVEY_DEADLINE", "2026-12-31T23:59:00+01:00")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db/survey")
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081/")
    monkeypatch.setenv("BOT_USERNAME", "@cws_survey_bot")
    settings = load_settings()
    assert settings.bot_token is not None
    assert settings.bot_token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(settings)
    assert settings.admin_ids == {11, 22, 33}
    assert settings.survey_deadline == datetime(2026, 12, 31, 22, 59, tzinfo=UTC)
    assert settings.database_url == "postgresql+asyncpg://u:p@db/survey"
    assert settings.telegram_api_url == "http://127.0.0.1:8081"
    assert settings.bot_username == "cws_survey_bot"


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("CONTACT_EMAIL=survey@example.org\n")
    assert load_settings().contact_email == "survey@example.org"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DATABASE_URL", "mysql://u@h/db", "DATABASE_URL: unsupported database 'mysql'"),
        ("DATABASE_URL", "survey.db", "DATABASE_URL: expected a URL like"),
        ("ADMIN_IDS", "alice,bob", "ADMIN_IDS: expected Telegram user ids"),
        ("SURVEY_DEADLINE", "2026-12-31T23:59", "SURVEY_DEADLINE: the deadline needs a timezone"),
        ("SURVEY_DEADLINE", "next friday", "SURVEY_DEADLINE:"),
        ("TELEGRAM_API_URL", "api.telegram.org", "TELEGRAM_API_URL: expected an http"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL: expected DEBUG"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL: expected a URL like redis://"),
        ("REMINDER_OFFSETS", "7d,1w", "REMINDER_OFFSETS: '1w' is not a time before the deadline"),
        ("REMINDER_OFFSETS", "0h", "REMINDER_OFFSETS: '0h' is not a time before the deadline"),
        ("REMINDER_OFFSETS", "-1d", "REMINDER_OFFSETS: '-1d' is not a time before"),
        # Past timedelta's range (an OverflowError, once a traceback) or past a year: a typo.
        ("REMINDER_OFFSETS", "99999999999d", "REMINDER_OFFSETS: '99999999999d' is too long"),
        ("REMINDER_OFFSETS", "7d,366d", "REMINDER_OFFSETS: '366d' is too long before"),
        # Converting them to UTC, extending or counting back from them overflows the calendar.
        (
            "SURVEY_DEADLINE",
            "9999-12-31T23:00:00-05:00",
            "SURVEY_DEADLINE: the deadline must be before 9999-01-01 (UTC)",
        ),
        (
            "SURVEY_DEADLINE",
            "0001-01-01T00:00:00+05:00",
            "SURVEY_DEADLINE: the deadline must be a date after 0001-01-01 (UTC)",
        ),
    ],
)
def test_a_bad_value_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    message = str(error.value)
    assert expected in message
    assert "\n" not in message
    assert message.startswith("bad configuration: ")


def test_reminder_offsets_are_times_before_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMINDER_OFFSETS", " 1d, 7D ,36h,90m,24h, ")
    assert load_settings().reminder_offsets == (
        timedelta(days=7),
        timedelta(hours=36),
        timedelta(days=1),  # 24h is the same moment as 1d: one reminder, not two
        timedelta(minutes=90),
    )


def test_webhook_needs_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "https://survey.example.org/telegram")
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert "WEBHOOK_SECRET is required with WEBHOOK_URL" in str(error.value)

    monkeypatch.setenv("WEBHOOK_SECRET", "not allowed!")
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert "WEBHOOK_SECRET: use 1 to 256 characters" in str(error.value)

    monkeypatch.setenv("WEBHOOK_SECRET", "s3cret_token-1")
    settings = load_settings()
    assert settings.webhook_url == "https://survey.example.org/telegram"
    assert settings.webhook_secret is not None
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    "token",
    [
        "s3cretTokenWithoutColon",
        "bot123:s3cret",
        "123456:",
        ":s3cret",
        "123456:s3cret token",
        "123456:s3cret/token",
        "123456：s3cret",
    ],
)
def test_a_malformed_token_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    monkeypatch.setenv("BOT_TOKEN", token)
    with pytest.raises(ConfigError) as error:
        load_settings()
    message = str(error.value)
    assert message.startswith("bad configuration: BOT_TOKEN: ")
    assert "s3cret" not in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "token",
    ["123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "123:abc", "123456:sandbox", " 1:a-b_c\n"],
)
def test_well_formed_tokens_are_accepted(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.setenv("BOT_TOKEN", token)
    settings = load_settings()
    assert settings.bot_token is not None
    assert settings.bot_token.get_secret_value() == token.strip()
