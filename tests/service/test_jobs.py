"""Jobs on SQLite and PostgreSQL: recorded before the update that asked is confirmed, each
run by one process at a time whatever the number of processes asking, taken up again when
the process running it died, and abandoned (to tell the person) when its attempts ran out
or it waited too long."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import SqlStoreFactory
from survey.jobs import JobKind, JobRules, Jobs, JobState
from survey.service import SurveyService
from tests.support import ADMIN_ID, Clock

RULES = JobRules(lease=timedelta(seconds=60), max_attempts=2, stale=timedelta(hours=1))


def process(service: SurveyService, engine: AsyncEngine, clock: Clock) -> Jobs:
    """The jobs as another process on the same database sees them (its own engine)."""
    return SurveyService(
        SqlStoreFactory(engine), service.questionnaire, admin_ids={ADMIN_ID}, clock=clock
    ).jobs.with_rules(RULES)


async def test_a_job_is_claimed_by_one_process_only(
    service: SurveyService, engine: AsyncEngine, clock: Clock
) -> None:
    jobs = service.jobs.with_rules(RULES)
    recorded = [
        await jobs.record(
            JobKind.EXPORT, user_id=ADMIN_ID, chat_id=ADMIN_ID, language="fr", parameters={"n": n}
        )
        for n in range(6)
    ]
    one, two = process(service, engine, clock), process(service, engine, clock)
    # Both processes ask at once, again and again, until nothing is left.
    claims = await asyncio.gather(
        *(one.claim_next("one") for _ in range(6)), *(two.claim_next("two") for _ in range(6))
    )
    taken = [job for job in claims if job is not None]
    assert sorted(job.id for job in taken) == [job.id for job in recorded]  # each exactly once
    assert all(job.state is JobState.RUNNING and job.attempts == 1 for job in taken)
    assert {job.language for job in taken} == {"fr"}
    assert sorted(job.parameters["n"] for job in taken) == list(range(6))
    assert await one.claim_next("one") is None
    # Nobody else can finish or renew what another process holds.
    first = taken[0]
    holder, other = ("one", "two") if first in claims[:6] else ("two", "one")
    assert not await jobs.finish(first.id, other, JobState.DONE)
    assert not await jobs.renew(first.id, other)
    assert await jobs.renew(first.id, holder)
    assert await jobs.finish(first.id, holder, JobState.DONE)
    assert await jobs.state(first.id) is JobState.DONE


async def test_a_job_whose_process_died_runs_again_then_is_abandoned(
    service: SurveyService, engine: AsyncEngine, clock: Clock
) -> None:
    jobs = service.jobs.with_rules(RULES)
    job = await jobs.record(JobKind.UPLOAD, user_id=7, chat_id=7, language="es")
    assert (await jobs.claim_next("died")) is not None  # then the process was killed

    later = process(service, engine, clock)
    clock.advance(seconds=30)
    assert await later.claim_next("later") is None  # its lease still runs: perhaps alive
    assert await later.give_up() == []
    clock.advance(seconds=31)
    resumed = await later.claim_next("later")  # the lease ran out: run again
    assert resumed is not None
    assert (resumed.id, resumed.attempts) == (job.id, 2)
    assert not await jobs.renew(job.id, "died")  # the first process lost it for good

    clock.advance(seconds=61)  # killed again: no attempt left
    third = process(service, engine, clock)
    assert await third.claim_next("third") is None
    abandoned = await asyncio.gather(third.give_up(), later.give_up())
    told = [found for found in abandoned if found]
    assert len(told) == 1  # one process tells the person
    assert [(found.id, found.chat_id, found.language) for found in told[0]] == [(job.id, 7, "es")]
    assert await third.state(job.id) is JobState.ABANDONED
    assert await third.give_up() == []


async def test_a_job_left_waiting_too_long_is_abandoned_not_run(
    service: SurveyService, engine: AsyncEngine, clock: Clock
) -> None:
    jobs = service.jobs.with_rules(RULES)
    running = await jobs.record(JobKind.CHART, user_id=8, chat_id=8, language="en")
    waiting = await jobs.record(JobKind.PDF, user_id=7, chat_id=7, language="en")
    claimed = await jobs.claim_next("alive")
    assert claimed is not None
    assert claimed.id == running.id
    clock.advance(minutes=61)
    # The one a live process holds (it renews its lease) is left to it.
    assert await jobs.renew(running.id, "alive")
    later = process(service, engine, clock)
    assert await later.claim_next("later") is None
    assert [job.id for job in await later.give_up()] == [waiting.id]
    assert await later.state(waiting.id) is JobState.ABANDONED
    assert await later.state(running.id) is JobState.RUNNING


async def test_a_job_released_by_a_stopping_process_runs_elsewhere_without_losing_a_try(
    service: SurveyService, engine: AsyncEngine, clock: Clock
) -> None:
    jobs = service.jobs.with_rules(RULES)
    job = await jobs.record(JobKind.WORKBOOK, user_id=7, chat_id=7, language="en")
    assert await jobs.claim_next("stopping") is not None
    assert await jobs.release(job.id, "stopping", count_attempt=False)
    again = await process(service, engine, clock).claim_next("next")
    assert again is not None
    assert (again.id, again.attempts) == (job.id, 1)
