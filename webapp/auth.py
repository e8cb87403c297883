"""Who is calling: the Mini App's launch data (`initData`, header X-Telegram-Init-Data),
validated as Telegram specifies with the bot's token (aiogram's
`safe_parse_webapp_init_data`). Refused (401) when missing, forged, older than an hour or
dated in the future; no cookies or tokens of our own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiogram.utils.i18n import gettext as _
from aiogram.utils.web_app import safe_parse_webapp_init_data

from webapp.errors import ApiError

INIT_DATA_HEADER = "X-Telegram-Init-Data"
# Telegram's own advice: launch data is a credential; an hour is what the page needs.
MAX_AGE = timedelta(hours=1)
# A client's clock a little ahead of ours is tolerated, not a launch "from the future".
FUTURE_SKEW = timedelta(seconds=60)
# Far more than any real launch data (a few hundred bytes): refused before any hashing.
LONGEST_INIT_DATA = 8192


@dataclass(frozen=True, slots=True)
class Launcher:
    """The Telegram user the launch data was signed for."""

    user_id: int
    full_name: str
    language_code: str | None


def authenticate(
    token: str, init_data: str | None, now: Callable[[], datetime] | None = None
) -> Launcher:
    """The signed user, or ApiError 401 (`unauthorized`, `expired`); call it within an i18n
    locale (the message is translated)."""
    if not init_data or len(init_data) > LONGEST_INIT_DATA:
        raise _unauthorized()
    try:
        data = safe_parse_webapp_init_data(token, init_data)
    except ValueError:  # a bad signature, or fields that are not what Telegram sends
        raise _unauthorized() from None
    user = data.user
    if user is None:
        raise _unauthorized()
    moment = (now or _utcnow)()
    signed_at = data.auth_date
    if signed_at.tzinfo is None:
        signed_at = signed_at.replace(tzinfo=UTC)
    if signed_at > moment + FUTURE_SKEW:
        raise _unauthorized()
    if moment - signed_at > MAX_AGE:
        raise ApiError(
            401,
            "expired",
            _(
                "This page was opened more than an hour ago. Please close it and open it "
                "again from the chat."
            ),
        )
    name = " ".join(part for part in (user.first_name, user.last_name) if part)
    return Launcher(user.id, name, user.language_code)


def _unauthorized() -> ApiError:
    return ApiError(
        401, "unauthorized", _("Please open this page from the bot's button in Telegram.")
    )


def _utcnow() -> datetime:
    return datetime.now(UTC)
