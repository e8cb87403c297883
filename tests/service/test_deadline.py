"""The closing time lives in the database, on SQLite and PostgreSQL: the Secretariat extends it
and answering reopens at once, for this process and every other one, without a restart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import SqlStoreFactory
from survey.errors import Reason, Refused
from survey.model import Actor
from survey.service import SurveyService
from tests.support import ADMIN_ID, Clock, answer_all, audit_events, verify


async def test_an_extension_reopens_answering_without_a_restart(
    service: SurveyService, engine: AsyncEngine, clock: Clock, admin: Actor
) -> None:
    configured = service.setup.deadline
    assert configured is not None
    await verify(service, 1)
    await answer_all(service, 1, skip=(40,))
    assert await service.secretariat.deadline(admin) == configured

    clock.now = configured + timedelta(minutes=1)
    with pytest.raises(Refused) as refused:
        await service.answering.record_answer(1, 40, "high")
    assert refused.value.reason is Reason.DEADLINE_PASSED
    progress = await service.answering.progress(1)
    assert progress.read_only
    assert progress.deadline == configured
    assert (await service.enrolment.deadline()).closed

    later = clock.now + timedelta(days=7)
    assert await service.secretariat.set_deadline(later, admin) == later

    # The same objects, no restart: open again, and every screen shows the new date.
    await service.answering.record_answer(1, 40, "high")
    progress = await service.answering.progress(1)
    assert (progress.answered, progress.read_only, progress.deadline) == (40, False, later)
    review = await service.answering.review(1)
    assert (review.deadline, review.read_only, review.can_submit) == (later, False, True)
    whereabouts = await service.enrolment.whereabouts(1)
    assert whereabouts is not None
    assert whereabouts.deadline == later
    shown = await service.enrolment.deadline()
    assert (shown.at, shown.closed) == (later, False)
    assert (await service.answering.submit(1)).response.submitted

    [event] = await audit_events(engine, "deadline.set")
    assert event.actor == admin.label
    assert event.details["old"] == configured.isoformat()
    assert event.details["new"] == later.isoformat()


async def test_every_replica_sees_the_new_deadline_at_once(
    service: SurveyService, engine: AsyncEngine, clock: Clock, admin: Actor
) -> None:
    # Another process on the same database, started with an older SURVEY_DEADLINE.
    replica = SurveyService(
        SqlStoreFactory(engine),
        service.questionnaire,
        deadline=clock.now + timedelta(hours=1),
        admin_ids={ADMIN_ID},
        clock=clock,
    )
    await verify(service, 1)
    later = clock.now + timedelta(days=60)
    await service.secretariat.set_deadline(later, admin)

    clock.advance(days=10)  # past the replica's configured deadline, before the stored one
    await replica.answering.record_answer(1, 1, "high")
    assert (await replica.answering.progress(1)).deadline == later
    assert await replica.secretariat.deadline(admin) == later


async def test_a_deadline_must_lie_ahead(
    service: SurveyService, engine: AsyncEngine, clock: Clock, admin: Actor
) -> None:
    configured = service.setup.deadline
    for moment in (clock.now, clock.now - timedelta(days=1)):
        with pytest.raises(Refused) as refused:
            await service.secretariat.set_deadline(moment, admin)
        assert refused.value.reason is Reason.DEADLINE_NOT_FUTURE
        assert refused.value.details["deadline"] == moment
    with pytest.raises(Refused) as refused:
        await service.secretariat.set_deadline(clock.now + timedelta(days=1), Actor.telegram(5))
    assert refused.value.reason is Reason.NOT_SECRETARIAT

    assert await service.secretariat.deadline(admin) == configured
    assert await audit_events(engine, "deadline.set") == []


async def test_clearing_the_deadline_keeps_answering_open(
    service: SurveyService, engine: AsyncEngine, clock: Clock, cli: Actor
) -> None:
    await verify(service, 1)
    assert await service.secretariat.set_deadline(None, cli) is None
    clock.advance(days=365)  # long after SURVEY_DEADLINE, which no longer applies
    progress = await service.answering.record_answer(1, 1, "high")
    assert (progress.deadline, progress.read_only) == (None, False)
    assert await service.secretariat.deadline(cli) is None
    shown = await service.enrolment.deadline()
    assert (shown.at, shown.closed) == (None, False)
    [event] = await audit_events(engine, "deadline.set")
    assert event.details["new"] is None


async def test_the_deadline_cannot_be_read_by_a_stranger(service: SurveyService) -> None:
    with pytest.raises(Refused) as refused:
        await service.secretariat.deadline(Actor.telegram(5))
    assert refused.value.reason is Reason.NOT_SECRETARIAT
