"""What every handler and getter needs: the service, the user, their language."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from aiogram import Bot
from aiogram.types import User
from aiogram.utils.i18n import I18n
from aiogram_dialog import DialogManager
from babel.dates import format_date, format_time

from survey.service import SurveyService

# Progress just read or written in this update, handed to the window's getter in the same
# update (never kept across updates): saves reading back what was just committed.
FRESH_PROGRESS = "survey_fresh_progress"


class Notifier(Protocol):
    """Sends messages to people other than the one who pressed (bot.notify.Notifier), in the
    background, at Telegram's pace."""

    def post(self, bot: Bot, messages: Sequence[tuple[int, str]]) -> None: ...


class LocaleMemory(Protocol):
    """The i18n middleware's cache of chosen languages (bot.i18n.LocaleMiddleware)."""

    def remember(self, user_id: int, language: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Ctx:
    service: SurveyService
    user: User
    i18n: I18n

    @property
    def user_id(self) -> int:
        return self.user.id

    @property
    def lang(self) -> str:
        return self.i18n.current_locale

    @property
    def full_name(self) -> str:
        return self.user.full_name

    def when(self, moment: datetime | None) -> str:
        """A date and time in the user's language, always in UTC so nobody has to guess."""
        if moment is None:
            return ""
        moment = moment.astimezone(UTC)
        day = format_date(moment, "long", locale=self.lang)
        return f"{day}, {format_time(moment, 'HH:mm', tzinfo=UTC, locale=self.lang)} UTC"


def ctx(manager: DialogManager) -> Ctx:
    data = manager.middleware_data
    return Ctx(data["service"], data["event_from_user"], data["i18n"])
