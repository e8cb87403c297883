"""What the dialogs take from the dispatcher's data (bot/bootstrap.py puts it there).

Getters receive these as keyword arguments (aiogram-dialog calls
``getter(**manager.middleware_data)``); handlers, whose signatures aiogram-dialog fixes, read
them from ``manager.middleware_data`` under the same names:

- ``enrolment``: survey.enrolment.Enrolment
- ``answering``: survey.answering.Answering
- ``questionnaires``: survey.questionnaire_versions.QuestionnaireVersions (the version in
  force, and the Secretariat's preview and put in force)
- ``privacy``: survey.privacy.Privacy (/mydata, /forgetme)
- ``settings``: bot.config.Settings (``contact_email``)
- ``notifier``: `Notifier` below (bot.broadcast.Broadcaster)
- ``i18n_middleware``: `LocaleMemory` below
- ``survey_events``: `SurveyEvents` below (optional: `survey_events(data)` falls back to one
  that does nothing), told of answers stored and submissions (bot.metrics.Metrics counts them)
- ``i18n``, ``event_from_user``, ``bot``: aiogram's own
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiogram import Bot

from survey.broadcasts import BroadcastKind
from survey.model import Actor

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
    """Sends messages to people other than the one who pressed (bot.broadcast.Broadcaster):
    recorded in the database before `post` returns, then sent in the background at Telegram's
    pace, and finished by another process if this one stops halfway."""

    async def post(
        self,
        bot: Bot,
        kind: BroadcastKind,
        messages: Sequence[tuple[int, str]],
        *,
        actor: Actor,
        report_chat: int | None = None,
        report_language: str | None = None,
    ) -> int: ...

    def start(self, bot: Bot, broadcast_id: int) -> None:
        """Send one recorded already (with the change it tells of) in the background."""


class LocaleMemory(Protocol):
    """The i18n middleware's cache of chosen languages (bot.i18n.LocaleMiddleware)."""

    def remember(self, user_id: int, language: str) -> None: ...
    def forget(self, user_id: int) -> None:
        """Drop what is kept of this user's choice (they asked to be forgotten)."""


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
