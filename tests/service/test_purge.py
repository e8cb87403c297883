"""The purge after the report, on SQLite and PostgreSQL: a dry run changes nothing and counts
what would change; applied, no table holds a representative's Telegram id or name, nor any
invitation code's hash, while the answers and submissions stay; refused before the deadline
unless forced; the automatic purge happens once across two processes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import InvitationRow, UserPreferenceRow
from survey.errors import Reason, Refused
from survey.model import Actor
from survey.questionnaire import Questionnaire
from survey.service import SurveyService
from tests.service.test_privacy import (
    ANNA,
    BRUNO,
    CHIYO,
    _office_with_a_submission,
    database_dump,
)
from tests.support import ADMIN_ID, Clock, audit_events, count_stored, survey_service

STRANGER = 731_005_449  # chose a language, never verified
TRACES = (
    str(ANNA),
    "Anna Lindqvist",
    "Lindqvist",
    str(BRUNO),
    "Bruno Ém",
    "Bruno \\u00c9m",
    str(CHIYO),
    "Chiyo",
    str(STRANGER),
)


async def _surveyed(service: SurveyService, admin: Actor, clock: Clock) -> None:
    await _office_with_a_submission(service, admin)
    await service.secretariat.create_invitation("DE", Actor.cli())  # never used
    await service.enrolment.set_language(STRANGER, "es")
    await service.enrolment.set_language(ADMIN_ID, "fr")
    with pytest.raises(Refused):  # kept in the audit to slow down guessing
        await service.enrolment.redeem(STRANGER, "NOT-A-CODE", full_name="Mallory")


async def _past_the_deadline(service: SurveyService, clock: Clock) -> None:
    deadline = await service.secretariat.deadline(Actor.cli())
    assert deadline is not None
    clock.now = deadline + timedelta(minutes=1)


async def test_a_dry_run_changes_nothing_and_counts_what_would_change(
    service: SurveyService, engine: AsyncEngine, admin: Actor, clock: Clock
) -> None:
    await _surveyed(service, admin, clock)
    before = await database_dump(engine)

    plan = await service.purge.plan(Actor.cli())

    assert await database_dump(engine) == before
    assert not plan.applied
    assert plan.representatives == 3  # Anna and Bruno of EP, Chiyo of JP
    assert plan.invitations == 4  # one per verification, one never used
    assert plan.preferences == 2  # Anna's French, the stranger's Spanish; not the member's
    assert plan.changed["representative"] == 3


async def test_the_purge_leaves_no_identity_and_keeps_answers_and_submissions(
    service: SurveyService, engine: AsyncEngine, admin: Actor, clock: Clock
) -> None:
    await _surveyed(service, admin, clock)
    before = await service.secretariat.office_answers("EP", admin)
    traced = await database_dump(engine)
    assert all(trace in traced for trace in TRACES)
    await _past_the_deadline(service, clock)
    plan = await service.purge.plan(Actor.cli())

    done = await service.purge.apply(Actor.cli())

    assert done.applied
    assert (done.representatives, done.invitations, done.preferences) == (
        plan.representatives,
        plan.invitations,
        plan.preferences,
    )
    dump = await database_dump(engine)
    for trace in TRACES:
        assert trace not in dump
    assert await count_stored(engine, InvitationRow) == 0
    assert await count_stored(engine, UserPreferenceRow) == 1  # the Secretariat member's
    after = await service.secretariat.office_answers("EP", admin)
    assert after.response is not None
    assert after.response.submitted
    assert after.response.receipt is not None
    assert after.response.receipt.submitted_by == "Representative 1 of EP"
    assert {n: (a.level, a.comment) for n, a in after.answers.items()} == {
        n: (a.level, a.comment) for n, a in before.answers.items()
    }
    # exports made after a purge carry pseudonyms only
    exported = {row.changed_by_name for row in await service.secretariat.export_rows(admin)}
    assert exported == {
        "Representative 1 of EP",
        "Representative 2 of EP",
        "Representative 1 of JP",
    }
    # a second purge has nothing left to do
    again = await service.purge.apply(Actor.cli())
    assert (again.representatives, again.invitations, again.preferences) == (0, 0, 0)


async def test_the_purge_is_refused_before_the_deadline_unless_forced(
    service: SurveyService, engine: AsyncEngine, admin: Actor, clock: Clock
) -> None:
    await _surveyed(service, admin, clock)
    before = await database_dump(engine)

    with pytest.raises(Refused) as refused:
        await service.purge.apply(Actor.cli())

    assert refused.value.reason is Reason.PURGE_BEFORE_DEADLINE
    assert await database_dump(engine) == before
    await service.secretariat.set_deadline(None, Actor.cli())
    with pytest.raises(Refused):  # no closing time: never "after the deadline"
        await service.purge.apply(Actor.cli())
    forced = await service.purge.apply(Actor.cli(), force=True)
    assert forced.representatives == 3
    assert str(ANNA) not in await database_dump(engine)


async def test_only_the_secretariat_may_purge(
    service: SurveyService, admin: Actor, clock: Clock
) -> None:
    await _surveyed(service, admin, clock)
    await _past_the_deadline(service, clock)
    with pytest.raises(Refused) as refused:
        await service.purge.apply(Actor.telegram(ANNA, "Anna"))
    assert refused.value.reason is Reason.NOT_SECRETARIAT
    assert (await service.purge.plan(admin)).representatives == 3


async def test_the_automatic_purge_happens_once_across_two_processes(
    service: SurveyService,
    engine: AsyncEngine,
    admin: Actor,
    clock: Clock,
    questionnaire: Questionnaire,
) -> None:
    await _surveyed(service, admin, clock)
    other = await survey_service(engine, questionnaire, clock)  # a second replica
    retention = timedelta(days=30)
    deadline = await service.secretariat.deadline(Actor.cli())
    assert deadline is not None

    clock.now = deadline + retention - timedelta(minutes=1)
    assert await service.purge.claim_due(retention) is None  # not due yet
    assert str(ANNA) in await database_dump(engine)

    clock.now = deadline + retention
    outcomes = [await process.purge.claim_due(retention) for process in (other, service, other)]

    done = [outcome for outcome in outcomes if outcome is not None]
    assert len(done) == 1
    assert done[0].representatives == 3
    dump = await database_dump(engine)
    for trace in TRACES:
        assert trace not in dump
    # claimed: not done again at the next look, by either process
    assert await service.purge.claim_due(retention) is None


async def test_two_processes_looking_at_the_same_moment_purge_once(
    service: SurveyService,
    engine: AsyncEngine,
    admin: Actor,
    clock: Clock,
    questionnaire: Questionnaire,
) -> None:
    await _surveyed(service, admin, clock)
    other = await survey_service(engine, questionnaire, clock)
    deadline = await service.secretariat.deadline(Actor.cli())
    assert deadline is not None
    clock.now = deadline + timedelta(days=1)

    outcomes = await asyncio.gather(
        service.purge.claim_due(timedelta(days=1)), other.purge.claim_due(timedelta(days=1))
    )

    assert sorted(outcome is None for outcome in outcomes) == [False, True]
    assert len(await audit_events(engine, "privacy.purge")) == 1
