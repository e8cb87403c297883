"""Reminders, on SQLite and PostgreSQL: who gets one, whom to chase by e-mail, and the automatic
reminders before the deadline, each claimed exactly once across restarts and replicas."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import SqlStoreFactory, create_engine
from storage.models import ReminderClaimRow
from survey.errors import Reason, Refused
from survey.model import Actor
from survey.service import SurveyService
from tests.support import ADMIN_ID, Clock, answer_all, audit_events, stored_rows, verify

OFFSETS = (timedelta(days=7), timedelta(days=1))


def by_id(row: Row[Any]) -> int:
    return int(row.id)


def replica_of(service: SurveyService, engine: AsyncEngine, clock: Clock) -> SurveyService:
    """Another process on the same database (or this one after a restart)."""
    return SurveyService(
        SqlStoreFactory(engine),
        service.questionnaire,
        deadline=service.setup.deadline,
        admin_ids={ADMIN_ID},
        clock=clock,
    )


async def test_the_audience_is_everyone_whose_office_has_not_submitted(
    service: SurveyService, admin: Actor, cli: Actor
) -> None:
    secretariat = service.secretariat
    await verify(service, 1, "EP", "Anna")
    await verify(service, 2, "EP", "Bruno")
    await service.enrolment.set_language(2, "fr")
    await verify(service, 3, "EP", "Carla")
    await secretariat.remove_representative("EP", 3, cli)
    await verify(service, 4, "JP", "Chiyo")  # JP submits: no reminder
    await answer_all(service, 4)
    await service.answering.submit(4)
    await verify(service, 5, "ES", "Diego")
    await service.enrolment.set_language(5, "es")
    await secretariat.create_invitation("FR", cli)  # invited, nobody came yet
    await verify(service, 6, "BR", "Eva")  # came, then removed: nobody verified now
    await secretariat.remove_representative("BR", 6, cli)
    await secretariat.create_invitation("DE", cli)  # revoked unused: not invited any more
    await secretariat.revoke("DE", cli)

    audience = await secretariat.reminder_audience(admin)

    assert [
        (r.telegram_user_id, r.full_name, r.language, r.office.code) for r in audience.recipients
    ] == [(1, "Anna", None, "EP"), (2, "Bruno", "fr", "EP"), (5, "Diego", "es", "ES")]
    assert audience.offices == 2
    assert [office.code for office in audience.unverified] == ["BR", "FR"]
    assert audience.deadline == service.setup.deadline

    with pytest.raises(Refused) as refused:
        await secretariat.reminder_audience(Actor.telegram(1))
    assert refused.value.reason is Reason.NOT_SECRETARIAT


async def test_a_reminder_round_is_audited(
    service: SurveyService, engine: AsyncEngine, admin: Actor
) -> None:
    await service.secretariat.record_reminder(admin, sent=12, blocked=1, failed=2, automatic=False)
    await service.secretariat.record_reminder(
        Actor.system("reminders"), sent=3, blocked=0, failed=0, automatic=True
    )
    manual, automatic = sorted(await audit_events(engine, "reminder.send"), key=by_id)
    assert manual.actor == admin.label
    assert (manual.details["sent"], manual.details["blocked"], manual.details["failed"]) == (
        12,
        1,
        2,
    )
    assert manual.details["automatic"] is False
    assert automatic.actor == "system:reminders"
    assert automatic.details["automatic"] is True
    with pytest.raises(Refused):
        await service.secretariat.record_reminder(
            Actor.telegram(1), sent=0, blocked=0, failed=0, automatic=False
        )


async def test_each_offset_is_claimed_once_when_due(
    service: SurveyService, engine: AsyncEngine, clock: Clock
) -> None:
    deadline = service.setup.deadline
    assert deadline is not None
    claim = service.secretariat.claim_due_reminder

    assert await claim(OFFSETS) is None  # 30 days ahead: nothing due
    clock.now = deadline - timedelta(days=7, seconds=1)
    assert await claim(OFFSETS) is None

    clock.now = deadline - timedelta(days=7)
    due = await claim(OFFSETS)
    assert due is not None
    assert (due.offset, due.deadline, due.skipped) == (timedelta(days=7), deadline, ())
    clock.advance(hours=1)
    assert await claim(OFFSETS) is None  # sent once

    clock.now = deadline - timedelta(hours=23)
    due = await claim(OFFSETS)
    assert due is not None
    assert due.offset == timedelta(days=1)
    assert await claim(OFFSETS) is None

    clock.now = deadline
    assert await claim((timedelta(minutes=30),)) is None  # closed: nothing is due any more

    rows = await stored_rows(engine, select(ReminderClaimRow.offset_seconds, ReminderClaimRow.sent))
    assert sorted(rows) == [(86_400, True), (604_800, True)]
    claims = sorted(await audit_events(engine, "reminder.claim"), key=by_id)
    assert [event.details["offset_seconds"] for event in claims] == [604_800, 86_400]
    assert {event.actor for event in claims} == {"system:reminders"}


async def test_after_downtime_only_the_latest_due_reminder_is_sent(
    service: SurveyService, engine: AsyncEngine, clock: Clock
) -> None:
    deadline = service.setup.deadline
    assert deadline is not None
    clock.now = deadline - timedelta(hours=12)  # the bot was down over both moments

    due = await service.secretariat.claim_due_reminder(OFFSETS)

    assert due is not None
    assert (due.offset, due.skipped) == (timedelta(days=1), (timedelta(days=7),))
    assert await service.secretariat.claim_due_reminder(OFFSETS) is None
    rows = await stored_rows(engine, select(ReminderClaimRow.offset_seconds, ReminderClaimRow.sent))
    assert sorted(rows) == [(86_400, True), (604_800, False)]


async def test_a_restarted_process_or_a_second_replica_does_not_send_again(
    service: SurveyService, engine: AsyncEngine, clock: Clock
) -> None:
    deadline = service.setup.deadline
    assert deadline is not None
    clock.now = deadline - timedelta(days=6)
    assert await service.secretariat.claim_due_reminder(OFFSETS) is not None

    restarted = replica_of(service, engine, clock)
    assert await restarted.secretariat.claim_due_reminder(OFFSETS) is None


async def test_two_replicas_claiming_at_the_same_moment_give_one_winner(
    service: SurveyService, database_url: str, clock: Clock
) -> None:
    deadline = service.setup.deadline
    assert deadline is not None
    clock.now = deadline - timedelta(days=1)
    # Separate engines: separate connection pools, as two processes have.
    engines = [create_engine(database_url) for _ in range(3)]
    try:
        replicas = [replica_of(service, engine, clock) for engine in engines]
        outcomes = await asyncio.gather(
            *(replica.secretariat.claim_due_reminder(OFFSETS) for replica in replicas),
            service.secretariat.claim_due_reminder(OFFSETS),
        )
    finally:
        for engine in engines:
            await engine.dispose()
    winners = [due for due in outcomes if due is not None]
    assert len(winners) == 1
    assert winners[0].offset == timedelta(days=1)


async def test_a_new_deadline_rearms_the_reminders(
    service: SurveyService, clock: Clock, admin: Actor
) -> None:
    deadline = service.setup.deadline
    assert deadline is not None
    clock.now = deadline - timedelta(hours=20)
    first = await service.secretariat.claim_due_reminder(OFFSETS)
    assert first is not None
    assert first.offset == timedelta(days=1)

    extended = deadline + timedelta(days=10)
    await service.secretariat.set_deadline(extended, admin)
    assert await service.secretariat.claim_due_reminder(OFFSETS) is None  # 10 days ahead

    clock.now = extended - timedelta(days=7)
    again = await service.secretariat.claim_due_reminder(OFFSETS)
    assert again is not None
    assert (again.offset, again.deadline) == (timedelta(days=7), extended)
    clock.now = extended - timedelta(days=1)
    last = await service.secretariat.claim_due_reminder(OFFSETS)
    assert last is not None
    assert last.offset == timedelta(days=1)


async def test_no_deadline_no_automatic_reminders(
    service: SurveyService, clock: Clock, admin: Actor
) -> None:
    await service.secretariat.set_deadline(None, admin)
    clock.advance(days=100)
    assert await service.secretariat.claim_due_reminder(OFFSETS) is None
    assert await service.secretariat.claim_due_reminder(()) is None
    with pytest.raises(ValueError, match="positive"):
        await service.secretariat.claim_due_reminder((timedelta(0),))
