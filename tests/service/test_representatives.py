"""Removing a verified representative, on SQLite and PostgreSQL: the Secretariat lists and
removes; the removed person's next action is refused and an old code does not let them back."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import AnswerRow, ResponseRow
from survey.errors import Reason, Refused
from survey.model import Actor, ResponseStatus
from survey.service import SurveyService
from tests.support import (
    Clock,
    answer_all,
    answer_of,
    audit_events,
    count_stored,
    stored_values,
    verify,
)


async def test_the_list_shows_active_and_removed_people_and_their_answers(
    service: SurveyService, cli: Actor, clock: Clock
) -> None:
    await verify(service, 11, "EP", "Anna")
    clock.advance(minutes=5)
    await verify(service, 12, "EP", "Bruno")
    await verify(service, 13, "JP", "Chiyo")
    for number in (1, 2, 3):
        await service.answering.record_answer(11, number, "high")
    await service.answering.record_answer(12, 3, "low")  # Bruno changed 3 last
    clock.advance(hours=1)
    await service.secretariat.remove_representative("EP", 12, cli, reason="left the Office")

    office, people = await service.secretariat.representatives("ep", cli)

    assert office.code == "EP"
    assert [
        (p.representative.telegram_user_id, p.representative.full_name, p.last_changed)
        for p in people
    ] == [(11, "Anna", 2), (12, "Bruno", 1)]
    anna, bruno = (p.representative for p in people)
    assert anna.active
    assert anna.verified_at == clock.now.replace(hour=9, minute=0)
    assert not bruno.active
    assert bruno.revoked_at == clock.now


async def test_removal_is_audited_and_the_next_action_is_refused(
    service: SurveyService, engine: AsyncEngine, cli: Actor, clock: Clock
) -> None:
    await verify(service, 1, "EP", "Anna")
    await verify(service, 2, "EP", "Bruno")
    await service.answering.record_answer(1, 1, "high")
    await service.answering.record_comment(1, 1, "ours")

    removed = await service.secretariat.remove_representative("EP", 1, cli, reason="code leaked")
    assert (removed.telegram_user_id, removed.revoked_at) == (1, clock.now)

    [event] = await audit_events(engine, "representative.remove")
    assert event.actor == cli.label
    assert event.office_id == (await service.secretariat.office("EP")).id
    assert event.details["reason"] == "code leaked"
    assert event.details["telegram_user_id"] == 1
    assert event.details["representative"] == "Anna"

    attempts = {
        "answer": service.answering.record_answer(1, 1, "low"),
        "comment": service.answering.record_comment(1, 1, "changed"),
        "progress": service.answering.progress(1),
        "review": service.answering.review(1),
        "submit": service.answering.submit(1),
        "whereabouts": service.enrolment.whereabouts(1),
    }
    for name, attempt in attempts.items():
        with pytest.raises(Refused) as refused:
            await attempt
        assert refused.value.reason is Reason.REPRESENTATIVE_REMOVED, name
        assert refused.value.details["office"].code == "EP", name

    # Nothing the removed person tried was kept; the colleague sees the answer as it was.
    view = await answer_of(service, 2, 1)
    assert (view.level, view.comment) == ("high", "ours")

    # Someone never verified is still told so, and is still "nobody" to the chat layer.
    assert await service.enrolment.whereabouts(99) is None
    with pytest.raises(Refused) as refused:
        await service.answering.record_answer(99, 1, "high")
    assert refused.value.reason is Reason.NOT_VERIFIED


async def test_a_removed_person_cannot_submit_and_the_office_still_can(
    service: SurveyService, engine: AsyncEngine, cli: Actor
) -> None:
    await verify(service, 1, "EP", "Anna")
    await verify(service, 2, "EP", "Bruno")
    await answer_all(service, 1, "medium")
    await service.secretariat.remove_representative("EP", 1, cli)

    with pytest.raises(Refused) as refused:
        await service.answering.submit(1)
    assert refused.value.reason is Reason.REPRESENTATIVE_REMOVED
    assert await stored_values(engine, select(ResponseRow.status)) == ["draft"]

    submitted = (await service.answering.submit(2)).response
    assert submitted.status is ResponseStatus.SUBMITTED
    assert submitted.submitted_by_name == "Bruno"


async def test_a_removed_person_is_no_longer_a_colleague(
    service: SurveyService, cli: Actor
) -> None:
    await verify(service, 1, "EP", "Anna")
    await verify(service, 2, "EP", "Bruno")
    assert (await service.answering.review(2)).several_representatives

    await service.secretariat.remove_representative("EP", 1, cli)

    assert not (await service.answering.review(2)).several_representatives
    await answer_all(service, 2)
    assert (await service.answering.submit(2)).colleagues == ()
    statuses = {s.office.code: s for s in await service.secretariat.office_statuses(cli)}
    assert statuses["EP"].representatives == 1


async def test_only_a_code_created_after_the_removal_lets_the_person_back(
    service: SurveyService, engine: AsyncEngine, cli: Actor, clock: Clock
) -> None:
    used = await service.secretariat.create_invitation("EP", cli, max_uses=None)
    unused = await service.secretariat.create_invitation("EP", cli)
    other_office = await service.secretariat.create_invitation("JP", cli)
    await service.enrolment.redeem(1, used.code, full_name="Anna")
    await service.answering.record_answer(1, 1, "high")
    clock.advance(minutes=1)
    await service.secretariat.remove_representative("EP", 1, cli, reason="code leaked")

    for old in (used, unused, other_office):
        with pytest.raises(Refused) as refused:
            await service.enrolment.redeem(1, old.code, full_name="Anna")
        assert refused.value.reason is Reason.REPRESENTATIVE_REMOVED
        assert refused.value.details["office"].code == "EP"
    with pytest.raises(Refused) as refused:
        await service.answering.record_answer(1, 2, "high")
    assert refused.value.reason is Reason.REPRESENTATIVE_REMOVED

    # Someone else may still use the old unlimited code: only the removed person is kept out.
    assert (await service.enrolment.redeem(2, used.code)).newly_verified

    clock.advance(minutes=1)
    fresh = await service.secretariat.create_invitation("EP", cli)
    membership = await service.enrolment.redeem(1, fresh.code, full_name="Anna")
    assert membership.newly_verified
    assert membership.representative.active
    await service.answering.record_answer(1, 2, "low")
    assert (await service.answering.progress(1)).answered == 2
    _, people = await service.secretariat.representatives("EP", cli)
    assert [p.representative.active for p in people] == [True, True]
    assert await count_stored(engine, AnswerRow) == 2


async def test_removing_twice_or_from_the_wrong_office_is_refused(
    service: SurveyService, cli: Actor
) -> None:
    await verify(service, 1, "EP")
    await verify(service, 2, "JP")
    await service.secretariat.remove_representative("EP", 1, cli)

    with pytest.raises(Refused) as refused:
        await service.secretariat.remove_representative("EP", 1, cli)
    assert refused.value.reason is Reason.ALREADY_REMOVED
    assert refused.value.details["telegram_user_id"] == 1

    for user_id in (2, 404):
        with pytest.raises(Refused) as refused:
            await service.secretariat.remove_representative("EP", user_id, cli)
        assert refused.value.reason is Reason.UNKNOWN_REPRESENTATIVE
        assert refused.value.details["office"].code == "EP"
    assert (await service.answering.progress(2)).answered == 0  # the JP representative is untouched

    with pytest.raises(Refused) as refused:
        await service.secretariat.remove_representative("ZZ", 1, cli)
    assert refused.value.reason is Reason.UNKNOWN_OFFICE


async def test_removing_everyone_of_an_office(
    service: SurveyService, engine: AsyncEngine, cli: Actor
) -> None:
    for person in (1, 2, 3):
        await verify(service, person, "EP")
    await verify(service, 4, "JP")
    await service.secretariat.remove_representative("EP", 2, cli)

    removed = await service.secretariat.remove_all_representatives(
        "EP", cli, reason="all codes leaked"
    )

    assert [r.telegram_user_id for r in removed] == [1, 3]
    assert await service.secretariat.remove_all_representatives("EP", cli) == []
    _, people = await service.secretariat.representatives("EP", cli)
    assert not any(p.representative.active for p in people)
    assert (await service.answering.progress(4)).answered == 0
    events = await audit_events(engine, "representative.remove")
    assert sorted(e.details["telegram_user_id"] for e in events) == [1, 2, 3]


async def test_revoking_codes_says_how_many_people_remain(
    service: SurveyService, cli: Actor
) -> None:
    await verify(service, 1, "EP")
    await verify(service, 2, "EP")
    issued = await service.secretariat.create_invitation("EP", cli)
    await service.secretariat.remove_representative("EP", 2, cli)

    by_code = await service.secretariat.revoke(issued.code, cli)
    assert (by_code.count, by_code.office.code, by_code.active_representatives) == (1, "EP", 1)

    await service.secretariat.remove_representative("EP", 1, cli)
    by_office = await service.secretariat.revoke("EP", cli)
    assert (by_office.count, by_office.active_representatives) == (2, 0)  # verify()'s codes


async def test_only_the_secretariat_lists_and_removes(service: SurveyService, admin: Actor) -> None:
    await verify(service, 1, "EP")
    delegate = Actor.telegram(1)
    for attempt in (
        service.secretariat.representatives("EP", delegate),
        service.secretariat.remove_representative("EP", 1, delegate),
        service.secretariat.remove_all_representatives("EP", delegate),
    ):
        with pytest.raises(Refused) as refused:
            await attempt
        assert refused.value.reason is Reason.NOT_SECRETARIAT
    assert (await service.answering.progress(1)).answered == 0

    await service.secretariat.remove_representative("EP", 1, admin)
    _, people = await service.secretariat.representatives("EP", admin)
    assert not people[0].representative.active
