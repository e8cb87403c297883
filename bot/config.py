"""Configuration, read from environment variables and an optional `.env` file.

Everything configurable lives here; nothing else reads the environment.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from survey.questionnaire import SHIPPED_QUESTIONNAIRE
from survey.rules import LATEST_MOMENT

_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")
# @BotFather's tokens: the bot's numeric id, a colon, then the secret part (35 characters of
# A-Z, a-z, 0-9, _ and - today; test servers use shorter ones).
_TOKEN_SHAPE = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")
# REMINDER_OFFSETS items: a whole number and a unit, days, hours or minutes (7d, 36h, 90m).
_OFFSET_SHAPE = re.compile(r"([0-9]+)\s*([dhm])")
_OFFSET_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
# A reminder a year before the closing is the most a survey of weeks could mean; beyond it
# a number is a typo (and past timedelta's range, an OverflowError, not a setting error).
_LONGEST_OFFSET = timedelta(days=365)
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/survey.db"
TELEGRAM_API_DEFAULT = "https://api.telegram.org"
TELEGRAM_WEB_APP_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# Friendly spellings people paste from other tools, mapped to the async drivers we ship.
_DRIVER_ALIASES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


class ConfigError(Exception):
    """A setting has a bad value; the message is one line meant for the operator."""


def normalize_database_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or not rest:
        raise ValueError(
            "expected a URL like sqlite+aiosqlite:///./data/survey.db "
            "or postgresql+asyncpg://user:password@host/dbname"
        )
    driver = _DRIVER_ALIASES.get(scheme.lower())
    if driver is None:
        raise ValueError(
            f"unsupported database {scheme!r}: use sqlite+aiosqlite:// or postgresql+asyncpg://"
        )
    return f"{driver}://{rest}"


class Settings(BaseSettings):
    # env_ignore_empty: `SURVEY_DEADLINE=` (in .env, or passed on empty by compose.yaml) means
    # "not set", the default, rather than an invalid empty value.
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    bot_token: SecretStr | None = None
    bot_username: str | None = Field(
        default=None, description="The bot's @username without @, for t.me invitation links."
    )
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_url: str = TELEGRAM_API_DEFAULT
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    survey_deadline: datetime | None = None
    # Automatic reminders this long before the deadline, latest first (REMINDER_OFFSETS=7d,1d).
    reminder_offsets: Annotated[tuple[timedelta, ...], NoDecode] = ()
    contact_email: str = "cws.surveys@wipo.int"
    # The privacy notice (bot/privacy_notice.py): a link to the full policy, shown as a button,
    # and a file with the notice in en, fr and es replacing the catalogs' text.
    privacy_url: str | None = None
    privacy_notice_path: Path | None = None
    # Days after the deadline when the scheduler purges personal data once (survey/purge.py);
    # unset: only `python -m bot privacy purge --apply` or /purge in the chat does it.
    retention_days: int | None = Field(default=None, ge=1, le=3650)
    questionnaire_path: Path = SHIPPED_QUESTIONNAIRE
    redis_url: str | None = None
    # Where each person is on screen, kept across restarts (bot/dialog_state.py).
    dialog_state_path: Path = Path("data/dialog-state.db")
    log_level: str = "INFO"
    # "json": one JSON object per line (time, level, logger, message, user_id, update_id).
    log_format: Literal["text", "json"] = "text"
    # Webhook mode: Telegram (or the sandbox) POSTs updates to WEBHOOK_URL, which a reverse
    # proxy forwards to WEBHOOK_LISTEN_HOST:WEBHOOK_LISTEN_PORT. Unset: long polling.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen_host: str = "127.0.0.1"
    webhook_listen_port: int = Field(default=8080, ge=1, le=65535)
    # The Mini App (webapp/): the public address the chat's buttons open, https as Telegram
    # requires (plain http only on this machine, for the sandbox and the tests). The page and
    # its API are served beside the webhook, or in polling mode on WEBAPP_LISTEN_HOST:PORT.
    # Unset: no Mini App, no buttons.
    webapp_url: str | None = None
    webapp_listen_host: str = "127.0.0.1"
    webapp_listen_port: int = Field(default=8081, ge=1, le=65535)
    # Telegram's script for Mini Apps; the sandbox and the tests point it at the stand-in's.
    webapp_script_url: str = TELEGRAM_WEB_APP_SCRIPT
    # Seconds an update is held while Redis or the database is unreachable before the person
    # is asked to repeat it (bot/holds.py).
    outage_hold_seconds: float = Field(default=120.0, gt=0, le=3600)
    # Uploaded workbooks are checked in separate processes (bot/upload_checker.py), each check
    # capped: CPU seconds, the worker's memory (its whole address space), and wall time.
    upload_check_cpu_seconds: int = Field(default=10, ge=1, le=600)
    upload_check_memory_mb: int = Field(default=256, ge=128, le=65536)
    upload_check_seconds: float = Field(default=15.0, gt=0, le=600)
    upload_check_workers: int = Field(default=1, ge=1, le=8)
    # Files asked for in the chat (exports, workbooks, PDFs, charts, an upload's check) made
    # at once by each process, beside the updates (bot/jobs.py).
    job_workers: int = Field(default=2, ge=1, le=16)
    # How long a job's claim outlives the process that stopped renewing it, before another
    # process runs the job again (survey/jobs.py).
    job_lease_seconds: float = Field(default=60.0, ge=1, le=3600)

    @field_validator(
        "bot_token",
        "redis_url",
        "webhook_url",
        "webhook_secret",
        "privacy_url",
        "webapp_url",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `BOT_TOKEN=` in a .env file means "not set", not "an empty token".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        # Never repeated in the message: it may hold a password.
        if value is not None and not value.strip().startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("expected a URL like redis://host:6379/0 (or rediss://, unix://)")
        return value.strip() if value is not None else None

    @field_validator("bot_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        # Checked here, not when aiogram builds the Bot: its error is a traceback. The message
        # never repeats the value, which is a secret.
        if value is None:
            return None
        token = value.get_secret_value().strip()
        if not _TOKEN_SHAPE.fullmatch(token):
            raise ValueError(
                "not a bot token: expected the one @BotFather gave, digits, a colon, then "
                "letters, digits, _ or - (e.g. 123456789:AAH...)"
            )
        return SecretStr(token)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalize_database_url(value.strip())

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// base URL")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: object) -> object:
        # "123, 456" is how people write lists in an environment variable.
        if isinstance(value, str):
            parts = [part.strip() for part in value.replace(";", ",").split(",")]
            try:
                return frozenset(int(part) for part in parts if part)
            except ValueError:
                raise ValueError(
                    "expected Telegram user ids separated by commas, e.g. 12345,67890"
                ) from None
        return value

    @field_validator("survey_deadline")
    @classmethod
    def _aware_deadline(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.utcoffset() is None:
            raise ValueError(
                "the deadline needs a timezone, e.g. 2026-12-31T23:59:00+01:00 or ...Z"
            )
        if value is None:
            return None
        if value >= LATEST_MOMENT:
            raise ValueError(f"the deadline must be before {LATEST_MOMENT:%Y-%m-%d} (UTC)")
        try:
            value.astimezone(UTC)
        except OverflowError:  # the calendar's first day, east of UTC
            raise ValueError("the deadline must be a date after 0001-01-01 (UTC)") from None
        return value

    @field_validator("reminder_offsets", mode="before")
    @classmethod
    def _reminder_offsets(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        offsets = set()
        for part in value.replace(";", ",").split(","):
            item = part.strip().lower()
            if not item:
                continue
            found = _OFFSET_SHAPE.fullmatch(item)
            try:
                offset = (
                    timedelta(**{_OFFSET_UNITS[found.group(2)]: int(found.group(1))})
                    if found
                    else timedelta(0)
                )
            except OverflowError:
                offset = _LONGEST_OFFSET * 2
            if offset <= timedelta(0):
                raise ValueError(
                    f"{part.strip()!r} is not a time before the deadline: use whole days, hours "
                    "or minutes above zero, separated by commas, e.g. 7d,1d or 48h,2h"
                )
            if offset > _LONGEST_OFFSET:
                raise ValueError(
                    f"{part.strip()!r} is too long before the deadline: at most 365d "
                    "(or 8760h), e.g. 7d,1d"
                )
            offsets.add(offset)
        return tuple(sorted(offsets, reverse=True))

    @field_validator("bot_username")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        return value.strip().lstrip("@") or None if value is not None else None

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().lower() or "text"
            if value not in {"text", "json"}:
                raise ValueError("expected text or json")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("expected the public https:// URL Telegram should post updates to")
        return value

    @field_validator("webapp_url")
    @classmethod
    def _webapp_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        parts = urlsplit(value)
        local = parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
        if not (parts.scheme == "https" or local) or not parts.hostname:
            raise ValueError(
                "expected the page's public https:// address, e.g. https://survey.example.org/app/ "
                "(Telegram opens only https; http only on 127.0.0.1 or localhost)"
            )
        # The page's API and the Secretariat's page are addressed relative to it.
        return value if value.endswith("/") else value + "/"

    @field_validator("webapp_script_url")
    @classmethod
    def _webapp_script_url(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected the http(s):// address of telegram-web-app.js")
        return value

    @field_validator("privacy_url")
    @classmethod
    def _privacy_url(cls, value: str | None) -> str | None:
        # Telegram refuses a URL button with anything else.
        if value is not None and not value.strip().startswith(("http://", "https://")):
            raise ValueError("expected an https:// address of the privacy policy")
        return value.strip() if value is not None else None

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's rule for secret_token: 1-256 characters of A-Z, a-z, 0-9, _ and -.
        if value is not None and not _SECRET_SHAPE.fullmatch(value.get_secret_value()):
            raise ValueError("use 1 to 256 characters among A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError(
                "WEBHOOK_SECRET is required with WEBHOOK_URL, so that only Telegram can post "
                "updates"
            )
        return self


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning validation errors into one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]).upper() or "settings"
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{name}: {message}")
        raise ConfigError("bad configuration: " + "; ".join(problems)) from None
