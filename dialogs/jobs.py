"""Files asked for in the chat are made as jobs (survey/jobs.py): the handler records one, says
the file is on its way and returns, so that its update is confirmed at once; the job runner
(bot/jobs.py) makes the file beside the dispatcher and sends it. What a job of each kind does
is written next to its handler (dialogs/paperwork.py, dialogs/secretariat/results.py,
dialogs/secretariat/questionnaire.py) against
this module's `JobContext`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from aiogram import Bot
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.api.protocols import BgManagerFactory

from reports.files import ResultsFile
from survey.answering import Answering
from survey.jobs import Job, JobKind

if TYPE_CHECKING:
    from bot.upload_checker import UploadChecker
    from survey.questionnaire_versions import QuestionnaireVersions
from survey.model import Actor
from survey.secretariat import Secretariat

JOBS = "jobs"  # the runner, in the dispatcher's data
WINDOW = "window"  # parameter: how to show the window again below the file (a ShowMode)


class JobPoster(Protocol):
    async def post(
        self,
        kind: JobKind,
        *,
        user_id: int,
        chat_id: int,
        language: str,
        parameters: dict[str, Any] | None = None,
    ) -> Job: ...


class ResultsFiles(Protocol):
    """Makes the Secretariat's files, each given as soon as it is made."""

    def __call__(
        self, secretariat: Secretariat, who: Actor, lang: str, *, drafts: bool
    ) -> AsyncIterator[ResultsFile]: ...


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a job has to work with: it runs outside any update, in the asker's language."""

    bot: Bot
    job: Job
    answering: Answering
    secretariat: Secretariat
    dialogs: BgManagerFactory
    results_files: ResultsFiles
    upload_checker: UploadChecker  # a person's file is read only in its bounded workers
    questionnaires: QuestionnaireVersions | None  # the version in force (the Secretariat's)

    async def show_window_again(self) -> None:
        """The window the person asked from, again below the file (as the handler did when
        the file was made in the update), if they are still in a dialog."""
        mode = self.job.parameters.get(WINDOW)
        if mode is None:
            return
        job = self.job
        async with self.dialogs.bg(self.bot, job.user_id, job.chat_id).fg() as manager:
            if manager.has_context():
                await manager.show(ShowMode(mode))


Maker = Callable[[JobContext], Awaitable[None]]


def jobs_of(manager: DialogManager) -> JobPoster:
    poster: JobPoster = manager.middleware_data[JOBS]
    return poster


def file_coming() -> str:
    return _("⏳ Your file is being prepared: it will arrive in this chat in a moment.")


def upload_coming() -> str:
    return _("⏳ Checking the workbook you sent: the result will follow in a moment.")


def chart_coming() -> str:
    return _("⏳ Drawing the chart: it will follow in a moment.")


def not_made(kind: JobKind) -> str:
    """A job that failed, or that could not be run (its process stopped, or too late)."""
    if kind is JobKind.UPLOAD:
        return _("Sorry, the workbook you sent could not be checked. Please send it again.")
    if kind is JobKind.CHART:
        return _("Sorry, the chart could not be drawn. Please ask for it again.")
    return _("Sorry, the file you asked for could not be made. Please ask for it again.")
