"""What the dialogs take from the dispatcher's data (bot/bootstrap.py puts it there).

Getters receive these as keyword arguments (aiogram-dialog calls
``getter(**manager.middleware_data)``); handlers, whose signatures aiogram-dialog fixes, read
them from ``manager.middleware_data`` under the same names:

- ``enrolment``: survey.enrolment.Enrolment
- ``answering``: survey.answering.Answering
- ``settings``: bot.config.Settings (``contact_email``)
- ``notifier``: `Notifier` below; ``i18n_middleware``: `LocaleMemory` below
- ``survey_events``: `SurveyEvents` below (optional: `survey_events(data)` falls back to one
  that does nothing), told of answers stored and submissions (bot.metrics.Metrics counts them)
- ``i18n``, ``event_from_user``, ``bot``: aiogram's own
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiogram import Bot

# Progress just read or written in this update, handed to the window's getter in the same
# update (never kept across updates): saves reading back what was just committed.
FRESH_PROGRESS = "survey_fresh_progress"


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a round of messages achieved."""

    sent: int = 0
    blocked: int = 0  # the person blocked the bot or deleted their account
    failed: int = 0  # anything else, or a flood wait longer than the notifier waits


class Notifier(Protocol):
    """Sends messages to people other than the one who pressed (bot.notify.Notifier), in the
    background, at Telegram's pace; `then` gets the delivery report at the end."""

    def post(
        self,
        bot: Bot,
        messages: Sequence[tuple[int, str]],
        *,
        then: Callable[[Delivery], Awaitable[None]] | None = None,
    ) -> None: ...


class LocaleMemory(Protocol):
    """The i18n middleware's cache of chosen languages (bot.i18n.LocaleMiddleware)."""

    def remember(self, user_id: int, language: str) -> None: ...


SURVEY_EVENTS = "survey_events"


class SurveyEvents(Protocol):
    """Told what the dialogs stored, once it is committed (bot.metrics.Metrics counts it)."""

    def answer_stored(self, kind: str) -> None:
        """`kind`: "level" (a level chosen) or "comment" (a comment set or cleared)."""

    def submitted(self) -> None: ...


class _NoEvents:
    def answer_stored(self, kind: str) -> None:
        pass

    def submitted(self) -> None:
        pass


def survey_events(data: Mapping[str, Any]) -> SurveyEvents:
    """The observer in the dispatcher's data, or one that does nothing (tests, benchmarks)."""
    events: SurveyEvents | None = data.get(SURVEY_EVENTS)
    return events if events is not None else _NoEvents()
