"""What the API's handlers work with, passed explicitly: the survey's use cases, the bot (to
send notices and reminders), the catalogs, the settings; taken from the dispatcher that
bot/bootstrap.py builds, so that the page and the chat share one wiring."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiogram import Bot, Dispatcher
from aiogram.utils.i18n import I18n
from aiohttp import web

from bot.config import Settings
from bot.privacy_notice import NoticeText
from dialogs.deps import LocaleMemory, Notifier, SurveyEvents, survey_events
from dialogs.jobs import JobPoster
from dialogs.privacy import ACKNOWLEDGEMENTS, PRIVACY_NOTICE
from survey.answering import Answering
from survey.enrolment import Enrolment
from survey.privacy import Privacy
from survey.questionnaire_versions import QuestionnaireVersions
from survey.secretariat import Secretariat

# Where bot/bootstrap.py leaves the i18n middleware (its catalogs and its memory of chosen
# languages) in the dispatcher's data.
LOCALE_MIDDLEWARE = "webapp_locales"


@dataclass(frozen=True)
class WebAppContext:
    settings: Settings
    bot: Bot
    i18n: I18n
    enrolment: Enrolment
    answering: Answering
    secretariat: Secretariat
    privacy: Privacy
    notifier: Notifier
    jobs: JobPoster
    # The questionnaire in force, read again before each request as before each update.
    questionnaires: QuestionnaireVersions | None = None
    privacy_notice: NoticeText | None = None
    # The chat's memory of chosen languages, told when the page changes one.
    locales: LocaleMemory | None = None
    # What the metrics count (answers stored, submissions), as from the chat.
    events: SurveyEvents = field(default_factory=lambda: survey_events({}))
    # When launch data is checked against (tests move it).
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @property
    def token(self) -> str:
        """What the launch data is signed with: the bot's token."""
        assert self.settings.bot_token is not None
        return self.settings.bot_token.get_secret_value()

    @classmethod
    def from_dispatcher(cls, dispatcher: Dispatcher, bot: Bot) -> WebAppContext:
        locales = dispatcher[LOCALE_MIDDLEWARE]
        return cls(
            settings=dispatcher["settings"],
            bot=bot,
            i18n=locales.i18n,
            enrolment=dispatcher["enrolment"],
            answering=dispatcher["answering"],
            secretariat=dispatcher["secretariat"],
            privacy=dispatcher[ACKNOWLEDGEMENTS],
            notifier=dispatcher["notifier"],
            jobs=dispatcher["jobs"],
            questionnaires=dispatcher["questionnaires"],
            privacy_notice=dispatcher.get(PRIVACY_NOTICE),
            locales=locales,
            events=survey_events(dispatcher.workflow_data),
        )


CONTEXT = web.AppKey("webapp_context", WebAppContext)
