"""The questionnaire in force, read again at the start of every update: a version the
Secretariat put in force on any replica (or from the command line) shows at the next click,
without a restart (survey/questionnaire_versions.py)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy.exc import DBAPIError

from survey.questionnaire_versions import QuestionnaireVersions

log = logging.getLogger(__name__)


class QuestionnaireRefresh(BaseMiddleware):
    """Outer middleware on `dispatcher.update`: one indexed read of the newest version number,
    the content read only when it changed."""

    def __init__(self, questionnaires: QuestionnaireVersions) -> None:
        self._questionnaires = questionnaires

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            await self._questionnaires.refresh()
        except (DBAPIError, OSError):
            # The database is out: the update goes on with the version held, and meets the
            # outage where it needs the database (bot/holds.py says what happens then).
            log.debug("The questionnaire in force could not be read again", exc_info=True)
        return await handler(event, data)
