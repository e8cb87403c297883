"""The job runner: makes the files people asked for (dialogs/jobs.py) beside the dispatcher, a
few at a time, and sends them. Started and stopped with the dispatcher (polling, webhook and
the sandbox alike). Each job is claimed in the database, so that with several replicas one
of them runs it, and renewed while it runs; a job whose process died is taken up by the next
look of any process (survey/jobs.py). Nobody's update waits for a job: a file that takes
seconds to make, or a sendDocument Telegram leaves hanging, holds only its own job."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import secrets
import socket
from collections.abc import Callable, Mapping
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramServerError,
)
from aiogram.utils.i18n import I18n
from aiogram_dialog.api.protocols import BgManagerFactory
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.upload_checker import UploadChecker
from dialogs.jobs import JobContext, Maker, ResultsFiles, not_made
from dialogs.messages import refusal_text
from survey.answering import Answering
from survey.errors import Refused
from survey.jobs import Job, JobKind, Jobs, JobState
from survey.questionnaire_versions import QuestionnaireVersions
from survey.secretariat import Secretariat

log = logging.getLogger(__name__)

# Tried again (while attempts remain): what a moment later may well not meet again. Any
# other error would meet the same file again.
PASSING = (TelegramNetworkError, TelegramServerError, OSError, OperationalError, DBAPIError)
INTERVAL = 2.0  # seconds between two looks at the queue when nothing woke the runner
STOP_GRACE = 5.0  # seconds a stopping process gives the jobs it runs before handing them on


def _refused(refusal: Refused, _kind: JobKind) -> str:
    return refusal_text(refusal)


def worker_name() -> str:
    """This process, as its claims name it: the host, the pid, and a nonce for a pid reused."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class JobRunner:
    """What handlers call `jobs` (dialogs.jobs.JobPoster): `post` records a job and wakes the
    runner; the runner runs up to `workers` jobs at once."""

    def __init__(
        self,
        jobs: Jobs,
        makers: Mapping[JobKind, Maker],
        i18n: I18n,
        *,
        answering: Answering,
        secretariat: Secretariat,
        upload_checker: UploadChecker,
        results_files: ResultsFiles,
        workers: int = 2,
        interval: float = INTERVAL,
        questionnaires: QuestionnaireVersions | None = None,
    ) -> None:
        self._jobs = jobs
        self._questionnaires = questionnaires
        self._makers = dict(makers)
        self._i18n = i18n
        self._answering = answering
        self._secretariat = secretariat
        self._upload_checker = upload_checker
        self._results_files = results_files
        self._workers = workers
        self._interval = min(interval, jobs.rules.lease.total_seconds() / 3)
        self.dialogs: BgManagerFactory | None = None  # set once aiogram-dialog is set up
        self.worker = worker_name()
        self._running: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._posted = False
        self._task: asyncio.Task[None] | None = None

    async def post(
        self,
        kind: JobKind,
        *,
        user_id: int,
        chat_id: int,
        language: str,
        parameters: dict[str, Any] | None = None,
    ) -> Job:
        """Recorded and committed; run soon by this process or another one."""
        job = await self._jobs.record(
            kind, user_id=user_id, chat_id=chat_id, language=language, parameters=parameters
        )
        self._posted = True
        self._wake.set()
        return job

    async def start(self, bot: Bot) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(bot), name="jobs")

    async def stop(self) -> None:
        """No job is taken any more; those running get a moment to finish, then go back to the
        queue for the next process, without counting as a try."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        running = set(self._running.values())
        if running:
            _done, late = await asyncio.wait(running, timeout=STOP_GRACE)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)

    async def drain(self, bot: Bot, *, posted_only: bool = False) -> None:
        """Run every job there is until none is left (tests). `posted_only`: only if this
        runner was given a job since the last drain (no look at the database otherwise)."""
        if posted_only and not self._posted:
            return
        self._posted = False
        while True:
            await self._sweep(bot)
            await self._fill(bot)
            if not self._running:
                return
            await asyncio.wait(set(self._running.values()), return_when=asyncio.FIRST_COMPLETED)

    @property
    def running(self) -> int:
        return len(self._running)

    async def _loop(self, bot: Bot) -> None:
        looks = 0
        unreachable = False
        while True:
            try:
                if looks % 10 == 0:  # at the start, then now and then: what nobody will run
                    await self._sweep(bot)
                looks += 1
                await self._fill(bot)
                if unreachable:
                    log.info("Jobs: the queue can be read again")
                    unreachable = False
            except (OperationalError, DBAPIError, OSError) as exc:
                # The database is down (bot/holds.py tells the people); said once, not at
                # every look.
                if not unreachable:
                    log.warning(
                        "Jobs: the queue cannot be read (%s); looking again", type(exc).__name__
                    )
                    unreachable = True
            except Exception:
                log.exception("Jobs: the look at the queue failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)

    async def _fill(self, bot: Bot) -> None:
        while len(self._running) < self._workers:
            job = await self._jobs.claim_next(self.worker)
            if job is None:
                return
            if job.attempts > 1:
                log.info("Job %d (%s) was not finished: running it again", job.id, job.kind)
            task = asyncio.create_task(self._run(bot, job), name=f"job-{job.id}")
            self._running[job.id] = task
            task.add_done_callback(functools.partial(self._finished, job.id))

    def _finished(self, job_id: int, _task: asyncio.Task[None]) -> None:
        self._running.pop(job_id, None)
        self._wake.set()  # a slot is free

    async def _sweep(self, bot: Bot) -> None:
        for job in await self._jobs.give_up():
            log.warning("Job %d (%s) abandoned after %d tries", job.id, job.kind, job.attempts)
            await self._tell(bot, job, not_made)

    async def _run(self, bot: Bot, job: Job) -> None:
        renewing = asyncio.create_task(self._renew(job), name=f"job-{job.id}-lease")
        try:
            outcome = await self._make(bot, job)
        except asyncio.CancelledError:
            # Stopping: the next process runs it, this try not counted.
            await asyncio.shield(self._jobs.release(job.id, self.worker, count_attempt=False))
            raise
        finally:
            renewing.cancel()
        if outcome is None:  # tried again, here or elsewhere
            self._wake.set()
            return
        await self._jobs.finish(job.id, self.worker, outcome)

    async def _make(self, bot: Bot, job: Job) -> JobState | None:
        dialogs = self.dialogs
        assert dialogs is not None, "the runner is given aiogram-dialog's background manager"
        context = JobContext(
            bot,
            job,
            self._answering,
            self._secretariat,
            dialogs,
            self._results_files,
            self._upload_checker,
            self._questionnaires,
        )
        try:
            if self._questionnaires is not None:  # a job uses the version in force now
                await self._questionnaires.refresh()
            with self._i18n.context(), self._i18n.use_locale(job.language):
                await self._makers[job.kind](context)
            return JobState.DONE
        except Refused as refusal:  # e.g. submitted meanwhile by a colleague: said, not failed
            await self._tell(bot, job, functools.partial(_refused, refusal))
            return JobState.DONE
        except TelegramEntityTooLarge:  # past what Telegram takes: no use trying again
            log.exception("Job %d (%s): a file too large for Telegram", job.id, job.kind)
        except PASSING:
            if not self._jobs.is_last_attempt(job):
                log.warning("Job %d (%s) failed; trying again", job.id, job.kind, exc_info=True)
                await self._jobs.release(job.id, self.worker, count_attempt=True)
                return None
            log.exception("Job %d (%s) failed for the last time", job.id, job.kind)
        except Exception:
            log.exception("Job %d (%s) failed", job.id, job.kind)
        await self._tell(bot, job, not_made)
        return JobState.FAILED

    async def _renew(self, job: Job) -> None:
        every = self._jobs.rules.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            try:
                if not await self._jobs.renew(job.id, self.worker):
                    log.warning("Job %d: its lease was taken over by another process", job.id)
                    return
            except Exception:  # the next renewal may work; the lease has time left
                log.exception("Job %d: its lease could not be renewed", job.id)

    async def _tell(self, bot: Bot, job: Job, text: Callable[[JobKind], str]) -> None:
        """Say `text(kind)` to whoever asked, in their language; a failure is only logged."""
        try:
            with self._i18n.context(), self._i18n.use_locale(job.language):
                message = text(job.kind)
            await bot.send_message(job.chat_id, message)
        except TelegramAPIError:
            log.warning("Job %d: could not tell whoever asked", job.id, exc_info=True)
