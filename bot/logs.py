"""The process's log: text for a terminal, or one JSON object per line (LOG_FORMAT=json) for a
log collector, with the update id of the update being handled and whose it is: the Telegram
user id at DEBUG, a keyed hash of it above (a log is kept and shared; ids name people).

What people type never reaches the log: the bot logs ids, not texts, and the libraries that
would at DEBUG (aiosqlite prints every statement with its parameters, so a comment or an
invitation code's hash) are held at INFO. Known secrets (the bot token, the webhook secret, the
database and Redis passwords) are masked in every line, as is anything shaped like a bot token
or a `/start` payload (an invitation code), in case a library's error message repeats one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from secrets import token_bytes
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User

from bot.config import Settings

MASK = "***"
# Shorter values are not masked: they would mask ordinary words (a test token's "sandbox").
MIN_SECRET = 8
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries whose DEBUG lines carry what people typed (statement parameters): INFO at most.
CHATTY_LOGGERS = ("aiosqlite", "asyncpg")

_update_id: ContextVar[int | None] = ContextVar("log_update_id", default=None)
_user_id: ContextVar[int | None] = ContextVar("log_user_id", default=None)

# 123456789:AA... as @BotFather issues them (also inside a Bot API URL, /bot<token>/).
_TOKEN_SHAPE = re.compile(r"\b[0-9]{5,}:[A-Za-z0-9_-]{30,}")
# `/start CODE` (a deep link's payload is an invitation code), and `start=CODE` in a t.me link.
_START_PAYLOAD = re.compile(r"(/start(?:@\w+)?\s+|[?&]start=)[^\s\"'&]+")


@contextmanager
def update_context(update_id: int | None, user_id: int | None) -> Iterator[None]:
    """While an update is handled, every log line says whose and which it is."""
    update_token = _update_id.set(update_id)
    user_token = _user_id.set(user_id)
    try:
        yield
    finally:
        _user_id.reset(user_token)
        _update_id.reset(update_token)


class UpdateLogContext(BaseMiddleware):
    """Outer middleware on `dispatcher.update`: names the update (its id, the user's id) in
    every log line written while it is handled."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        user: User | None = data.get("event_from_user")
        with update_context(event.update_id, user.id if user else None):
            return await handler(event, data)


def pseudonymous_id(user_id: int, key: bytes) -> str:
    """What stands for a Telegram user id above DEBUG: the same person gives the same value
    within a deployment, so their lines can be followed, but the id cannot be read back (a
    plain hash of a number this small can: hence the key)."""
    return "u-" + hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:12]


class ContextFilter(logging.Filter):
    """Puts the current update's ids on the record (`update_id`, `user_id`; None outside).
    The user id is itself only at DEBUG; above, its keyed hash (`pseudonymous_id`)."""

    def __init__(self, key: bytes | None = None) -> None:
        super().__init__()
        # Without a bot token (tests, the command line) the hashes hold for this process only.
        self.key = key or token_bytes(32)

    def filter(self, record: logging.LogRecord) -> bool:
        record.update_id = _update_id.get()
        user_id = _user_id.get()
        if user_id is not None and record.levelno > logging.DEBUG:
            record.user_id = pseudonymous_id(user_id, self.key)
        else:
            record.user_id = user_id
        return True


class RedactingFilter(logging.Filter):
    """Masks secrets in the final message (and the exception text) of every record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so that a secret containing another is masked whole.
        self.secrets = sorted({s for s in secrets if len(s) >= MIN_SECRET}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        text = _TOKEN_SHAPE.sub(MASK, text)
        return _START_PAYLOAD.sub(lambda found: found.group(1) + MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and user_id,
    update_id when an update is being handled, exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in ("user_id", "update_id"):
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def known_secrets(settings: Settings) -> list[str]:
    """The secret values among the settings, as they could appear in a message."""
    secrets = []
    if settings.bot_token is not None:
        token = settings.bot_token.get_secret_value()
        secrets += [token, token.partition(":")[2]]
    if settings.webhook_secret is not None:
        secrets.append(settings.webhook_secret.get_secret_value())
    for url in (settings.database_url, settings.redis_url):
        password = urlsplit(url).password if url else None
        if password:
            secrets += [password, unquote(password)]
    return secrets


def build_handler(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing to `stream` (stderr) in the chosen format, through the filters above."""
    handler = logging.StreamHandler(stream)
    key = settings.bot_token.get_secret_value().encode() if settings.bot_token else None
    handler.addFilter(ContextFilter(key))
    handler.addFilter(RedactingFilter(known_secrets(settings)))
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(settings: Settings) -> None:
    """As `logging.basicConfig`: the root logger gets the handler unless it has one already (a
    host that set up logging, such as a test runner, keeps its own)."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(build_handler(settings))
        root.setLevel(settings.log_level)
        logging.captureWarnings(True)  # Python's warnings too, in the same format
    quiet_chatty_loggers()


def quiet_chatty_loggers() -> None:
    floor = max(logging.INFO, logging.getLogger().getEffectiveLevel())
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(floor)
