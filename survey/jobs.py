"""Long work asked for in the chat (checking an uploaded workbook, making a file or a chart),
kept in the database as a job from the moment it is asked for until its result is sent. The
update that asked is confirmed as soon as the job is recorded; whichever process claims the
job makes the result, so a process that dies with it is followed by one that runs it again or
tells the person it could not be done.

A claim is a lease: its holder renews it while it works. A lease that ran out belonged to a
process that died (or hung): the job is run again while attempts remain, else abandoned.
A job asked for long ago is abandoned rather than run: its file would be stale, and the
person has long since moved on."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from survey.setup import SurveySetup


class JobKind(StrEnum):
    UPLOAD = "upload"  # an Office's workbook sent back: checked, then its changes shown
    WORKBOOK = "workbook"  # the Office's workbook to fill in offline
    PDF = "pdf"  # the Office's answers as a PDF
    EXPORT = "export"  # the Secretariat's files: CSV, workbook, collated document
    CHART = "chart"  # the Secretariat's results chart
    QUESTIONNAIRE_TEMPLATE = "q_template"  # the questionnaire in force as a workbook to fill
    QUESTIONNAIRE_UPLOAD = "q_upload"  # a questionnaire sent: checked, then previewed
    QUESTIONNAIRE_APPLY = "q_apply"  # the previewed questionnaire put in force


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"  # claimed by a process, whose lease says whether it is alive
    DONE = "done"
    FAILED = "failed"  # it ran and could not be made; the person was told
    ABANDONED = "abandoned"  # its processes died or it waited too long; the person was told


FINISHED = frozenset({JobState.DONE, JobState.FAILED, JobState.ABANDONED})


@dataclass(frozen=True, slots=True)
class JobRules:
    # A live runner renews its lease every third of it, so this only bounds how long a dead
    # process's job waits before another takes it up.
    lease: timedelta = timedelta(seconds=60)
    # A job that killed the process it ran in (or whose process died) runs at most this often.
    max_attempts: int = 3
    # Older than this, a job not yet done is abandoned rather than sent late.
    stale: timedelta = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: JobKind
    user_id: int  # who asked
    chat_id: int  # where the result goes
    language: str
    parameters: dict[str, Any] = field(default_factory=dict)
    state: JobState = JobState.QUEUED
    attempts: int = 0
    created_at: datetime | None = None


class Jobs:
    def __init__(self, setup: SurveySetup, rules: JobRules | None = None) -> None:
        self._setup = setup
        self._stores = setup.stores
        self.rules = rules or JobRules()

    def with_rules(self, rules: JobRules) -> Jobs:
        return Jobs(self._setup, rules)

    def now(self) -> datetime:
        return self._setup.now()

    def is_last_attempt(self, job: Job) -> bool:
        return job.attempts >= self.rules.max_attempts

    async def record(
        self,
        kind: JobKind,
        *,
        user_id: int,
        chat_id: int,
        language: str,
        parameters: dict[str, Any] | None = None,
    ) -> Job:
        """Stored and committed: from now on the job is done (or the person told) whatever
        happens to this process."""
        now = self._setup.now()
        params = dict(parameters or {})
        async with self._stores() as store:
            job_id = await store.add_job(
                kind=kind.value,
                user_id=user_id,
                chat_id=chat_id,
                language=language,
                parameters=params,
                now=now,
            )
            await store.commit()
        return Job(job_id, kind, user_id, chat_id, language, params, created_at=now)

    async def claim_next(self, worker: str) -> Job | None:
        """The oldest job to run (queued, or left by a process whose lease ran out, with
        attempts left and not stale), claimed for `worker`: each job is claimed by exactly
        one caller at a time, whichever process asks."""
        now = self._setup.now()
        rules = self.rules
        async with self._stores() as store:
            candidates = await store.claimable_jobs(
                lease_before=now - rules.lease,
                created_since=now - rules.stale,
                max_attempts=rules.max_attempts,
                limit=8,
            )
            for job in candidates:
                claimed = await store.claim_job(
                    job.id,
                    attempts=job.attempts,
                    worker=worker,
                    now=now,
                    lease_before=now - rules.lease,
                )
                if claimed:
                    await store.commit()
                    return replace(job, state=JobState.RUNNING, attempts=job.attempts + 1)
            await store.commit()
        return None

    async def renew(self, job_id: int, worker: str) -> bool:
        """The lease renewed; False when `worker` no longer holds it (another process took
        the job over after a lease this one let lapse)."""
        async with self._stores() as store:
            held = await store.renew_job(job_id, worker=worker, now=self._setup.now())
            await store.commit()
        return held

    async def finish(self, job_id: int, worker: str, state: JobState) -> bool:
        if state not in FINISHED:
            raise ValueError(f"not an outcome: {state}")
        async with self._stores() as store:
            held = await store.finish_job(
                job_id, worker=worker, state=state.value, now=self._setup.now()
            )
            await store.commit()
        return held

    async def release(self, job_id: int, worker: str, *, count_attempt: bool) -> bool:
        """Back in the queue, for this or another process to run. `count_attempt`: the try
        counts against its attempts (it failed), else not (this process is stopping)."""
        async with self._stores() as store:
            held = await store.release_job(job_id, worker=worker, count_attempt=count_attempt)
            await store.commit()
        return held

    async def give_up(self) -> list[Job]:
        """Abandon the jobs that will not be run: stale ones, and those whose every attempt
        died with its process. Each is returned to exactly one caller, who tells the
        person."""
        now = self._setup.now()
        rules = self.rules
        async with self._stores() as store:
            abandoned = await store.abandon_jobs(
                lease_before=now - rules.lease,
                created_before=now - rules.stale,
                max_attempts=rules.max_attempts,
                now=now,
            )
            await store.commit()
        return abandoned

    async def state(self, job_id: int) -> JobState | None:
        async with self._stores() as store:
            found = await store.job_state(job_id)
        return None if found is None else JobState(found)
