"""Broadcasts on SQLite and PostgreSQL: recorded with every recipient before anything is
sent, taken up by a restarted process (or another replica) with exactly those not yet
reached, each recipient claimed by one sender only, and reported once with each person
counted once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from storage.db import SqlStoreFactory
from storage.models import BroadcastRecipientRow
from survey.broadcasts import LEASE, BroadcastKind, Broadcasts, Status
from survey.model import Actor
from survey.secretariat import ReminderAudience
from survey.service import SurveyService
from survey.views import Submission
from tests.support import ADMIN_ID, Clock, answer_all, audit_events, stored_rows, verify


def restarted(service: SurveyService, engine: AsyncEngine, clock: Clock) -> Broadcasts:
    """The broadcasts as another process on the same database sees them."""
    return SurveyService(
        SqlStoreFactory(engine),
        service.questionnaire,
        deadline=service.setup.deadline,
        admin_ids={ADMIN_ID},
        clock=clock,
    ).broadcasts


async def send_some(broadcasts: Broadcasts, broadcast: int, count: int) -> list[int]:
    """What a sender does for `count` recipients: claim, send (here: nothing), settle."""
    chats = []
    for _ in range(count):
        outgoing = await broadcasts.next_pending(broadcast)
        assert outgoing is not None
        assert await broadcasts.claim(outgoing.id)
        chats.append(outgoing.chat_id)
        await broadcasts.settle(outgoing.id, Status.SENT)
    return chats


async def test_a_broadcast_cut_short_goes_on_with_exactly_those_not_reached(
    service: SurveyService, engine: AsyncEngine, clock: Clock, admin: Actor
) -> None:
    messages = [(chat, f"to {chat}") for chat in range(1000, 1010)]
    broadcasts = service.broadcasts
    broadcast = await broadcasts.record(
        BroadcastKind.REMIND, admin, [*messages, messages[0]], report_chat=ADMIN_ID
    )
    # Stored before anything was sent, each person once.
    rows = await stored_rows(
        engine, select(col(BroadcastRecipientRow.chat_id), col(BroadcastRecipientRow.status))
    )
    assert sorted(rows) == [(chat, "pending") for chat, _ in messages]

    reached = await send_some(broadcasts, broadcast, 3)
    doomed = await broadcasts.next_pending(broadcast)
    assert doomed is not None
    assert await broadcasts.claim(doomed.id)  # killed with this one on its way
    assert await broadcasts.finish(broadcast) is None

    clock.advance(seconds=5)
    later = restarted(service, engine, clock)
    assert await later.unfinished() == [broadcast]
    assert await later.unfinished(idle_for=timedelta(minutes=1)) == []  # the sender is fresh
    rest = []
    while (outgoing := await later.next_pending(broadcast)) is not None:
        assert outgoing.chat_id not in reached
        assert outgoing.chat_id != doomed.chat_id  # on its way when it died: not sent again
        assert await later.claim(outgoing.id)
        assert not await broadcasts.claim(outgoing.id)  # nobody else gets it
        await later.settle(outgoing.id, Status.BLOCKED if outgoing.chat_id == 1009 else Status.SENT)
        rest.append(outgoing.chat_id)
    assert sorted([*reached, doomed.chat_id, *rest]) == [chat for chat, _ in messages]

    assert await later.finish(broadcast) is None  # the claim of the dead one is still young
    clock.advance(seconds=LEASE.total_seconds())
    report = await later.finish(broadcast)
    assert report is not None
    assert (report.delivered, report.blocked, report.failed, report.unconfirmed) == (9, 1, 0, 1)
    assert (report.kind, report.report_chat) == (BroadcastKind.REMIND, ADMIN_ID)
    assert await broadcasts.finish(broadcast) is None  # reported once
    assert await later.unfinished() == []
    [audited] = await audit_events(engine, "reminder.send")
    assert audited.details["sent"] == 9
    assert audited.details["broadcast"] == broadcast


async def test_two_senders_at_once_reach_each_person_once(
    service: SurveyService, engine: AsyncEngine, clock: Clock, admin: Actor
) -> None:
    chats = list(range(2000, 2060))
    broadcast = await service.broadcasts.record(
        BroadcastKind.REMIND, admin, [(chat, "hello") for chat in chats]
    )
    senders = [service.broadcasts, restarted(service, engine, clock)]

    async def send_all(broadcasts: Broadcasts) -> list[int]:
        won = []
        while (outgoing := await broadcasts.next_pending(broadcast)) is not None:
            if await broadcasts.claim(outgoing.id):
                won.append(outgoing.chat_id)
                await broadcasts.settle(outgoing.id, Status.SENT)
        return won

    first, second = await asyncio.gather(*(send_all(sender) for sender in senders))
    assert sorted(first + second) == chats
    reports = [await sender.finish(broadcast) for sender in senders]
    assert [r.delivered if r else None for r in reports] == [60, None]


async def test_a_reminder_rearmed_by_a_new_deadline_skips_who_had_it_lately(
    service: SurveyService, engine: AsyncEngine, clock: Clock, cli: Actor
) -> None:
    for user, office in ((1, "EP"), (2, "FR"), (3, "DE")):
        await verify(service, user, office)
    offsets = (timedelta(days=1),)
    secretariat = service.secretariat

    def render(audience: ReminderAudience) -> list[tuple[int, str]]:
        return [(r.telegram_user_id, f"closes {audience.deadline}") for r in audience.recipients]

    start = clock.now
    sent_to = []
    # Four corrections of the deadline within 15 minutes, each re-arming the 1-day reminder.
    for minutes, hours in ((0, 12), (5, 13), (10, 11), (15, 12.5)):
        clock.now = start + timedelta(minutes=minutes)
        await secretariat.set_deadline(clock.now + timedelta(hours=hours), cli)
        if minutes == 10:
            await verify(service, 4, "JP")  # came in between: reminded the first time
        due = await secretariat.claim_due_reminder(offsets, render)
        assert due is not None
        assert due.broadcast is not None
        chats = []
        while (outgoing := await service.broadcasts.next_pending(due.broadcast)) is not None:
            assert await service.broadcasts.claim(outgoing.id)
            await service.broadcasts.settle(outgoing.id, Status.SENT)
            chats.append(outgoing.chat_id)
        sent_to.append(sorted(chats))
    assert sent_to == [[1, 2, 3], [], [4], []]
    claims = await audit_events(engine, "reminder.claim")
    assert sorted(event.details["reminded_lately"] for event in claims) == [0, 3, 3, 4]

    # A day later the same offset, re-armed again, reaches them again.
    clock.now = start + timedelta(hours=24, minutes=20)
    await secretariat.set_deadline(clock.now + timedelta(hours=20), cli)
    due = await secretariat.claim_due_reminder(offsets, render)
    assert due is not None
    assert due.recipients == 4


async def test_a_submission_is_stored_with_its_notices(
    service: SurveyService, engine: AsyncEngine
) -> None:
    await verify(service, 1, "EP")
    await verify(service, 2, "EP")
    await answer_all(service, 1)

    def notices(submission: Submission) -> list[tuple[int, str]]:
        reference = submission.response.receipt.reference if submission.response.receipt else ""
        return [(p.telegram_user_id, f"submitted {reference}") for p in submission.colleagues]

    submission = await service.answering.submit(1, notices)
    assert submission.broadcast is not None
    assert submission.response.receipt is not None
    rows = await stored_rows(
        engine, select(col(BroadcastRecipientRow.chat_id), col(BroadcastRecipientRow.text))
    )
    assert [tuple(row) for row in rows] == [
        (2, f"submitted {submission.response.receipt.reference}")
    ]
    assert await service.broadcasts.unfinished() == [submission.broadcast]
