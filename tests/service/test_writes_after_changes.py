"""A person's next answer after something changed since their last one. The usual write keeps
what the last one read (survey/answering.py) and checks in the same step that it still holds;
each of these changes must be seen, on SQLite and PostgreSQL, and in every case the person is
told exactly as before."""

from __future__ import annotations

from datetime import timedelta

import pytest

from survey.errors import Reason, Refused
from survey.model import Actor
from survey.service import SurveyService
from tests.support import Clock, answer_all, answer_of, verify


async def has_answered(service: SurveyService, user: int) -> None:
    """Two answers: the Office's first creates its response, the second is a usual write,
    whose reading is kept for the next one."""
    await service.answering.record_answer(user, 1, "low")
    await service.answering.record_answer(user, 9, "low")


async def refused(service: SurveyService, user: int, number: int) -> Refused:
    with pytest.raises(Refused) as raised:
        await service.answering.record_answer(user, number, "high")
    return raised.value


async def test_removed_after_answering(service: SurveyService, admin: Actor) -> None:
    await verify(service, 1)
    await has_answered(service, 1)
    await service.secretariat.remove_representative("EP", 1, admin)

    assert (await refused(service, 1, 2)).reason is Reason.REPRESENTATIVE_REMOVED
    await verify(service, 2)
    assert (await answer_of(service, 2, 2)).level is None  # the refused answer was not kept


async def test_back_for_another_office_after_answering(
    service: SurveyService, admin: Actor, clock: Clock
) -> None:
    await verify(service, 1, "EP")
    await has_answered(service, 1)
    await service.secretariat.remove_representative("EP", 1, admin)
    clock.advance(minutes=1)  # a code made after the removal
    await verify(service, 1, "JP")

    progress = await service.answering.record_answer(1, 2, "high")
    assert progress.answered == 1  # the JP response: EP's answers are not in it
    await verify(service, 2, "EP")
    assert (await answer_of(service, 2, 1)).level == "low"
    assert (await answer_of(service, 2, 2)).level is None


async def test_deadline_brought_forward_after_answering(
    service: SurveyService, admin: Actor, clock: Clock
) -> None:
    await verify(service, 1)
    await service.secretariat.set_deadline(clock.now + timedelta(days=5), admin)
    await has_answered(service, 1)
    # Changed at the very same instant: the stored closing time itself is compared.
    await service.secretariat.set_deadline(clock.now + timedelta(days=1), admin)
    clock.advance(days=2)

    assert (await refused(service, 1, 2)).reason is Reason.DEADLINE_PASSED


async def test_deadline_passing_after_answering(service: SurveyService, clock: Clock) -> None:
    await verify(service, 1)
    await has_answered(service, 1)
    clock.advance(days=31)  # the configured deadline, 30 days on

    assert (await refused(service, 1, 2)).reason is Reason.DEADLINE_PASSED


async def test_deadline_extended_after_closing(
    service: SurveyService, admin: Actor, clock: Clock
) -> None:
    await verify(service, 1)
    await has_answered(service, 1)
    clock.advance(days=31)
    assert (await refused(service, 1, 2)).reason is Reason.DEADLINE_PASSED
    await service.secretariat.set_deadline(clock.now + timedelta(days=3), admin)

    progress = await service.answering.record_answer(1, 2, "high")
    assert progress.answered == 3


async def test_colleague_submitted_after_answering(service: SurveyService) -> None:
    await verify(service, 1)
    await verify(service, 2, name="Bruno")
    await answer_all(service, 1, "low")
    await service.answering.submit(2)

    outcome = await refused(service, 1, 3)
    assert outcome.reason is Reason.ALREADY_SUBMITTED
    assert outcome.details["submitted_by"] == "Bruno"
    assert (await answer_of(service, 1, 3)).level == "low"


async def test_reopened_after_a_colleague_submitted(service: SurveyService, admin: Actor) -> None:
    await verify(service, 1)
    await verify(service, 2)
    await answer_all(service, 1, "low")
    await service.answering.submit(2)
    await service.secretariat.reopen("EP", admin)

    progress = await service.answering.record_answer(1, 3, "high")
    assert progress.answer(3) is not None
    assert (await answer_of(service, 2, 3)).level == "high"
