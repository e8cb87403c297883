"""A change from a form that shows the answers (the Mini App): written only if the stored
answer is still the one shown, checked and written in one unit of work, on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from survey.answering import answer_stamp
from survey.errors import Reason, Refused
from survey.service import SurveyService
from tests.support import Clock, answer_all, verify


async def _stamp(service: SurveyService, user_id: int, number: int) -> str | None:
    return answer_stamp((await service.answering.office_answers(user_id)).answers.get(number))


async def test_a_change_to_the_answer_shown_is_written_and_attributed(
    service: SurveyService,
) -> None:
    await verify(service, 1, name="Anna")
    await verify(service, 2, name="Bruno")
    first = await service.answering.change_answer(1, 3, expected=None, level="high")
    assert (first.answer.level, first.answer.changed_by_name) == ("high", "Anna")
    assert first.progress.answered == 1

    second = await service.answering.change_answer(
        2, 3, expected=answer_stamp(first.answer), comment="  Agreed with the unit  "
    )

    assert (second.answer.level, second.answer.comment) == ("high", "Agreed with the unit")
    assert second.answer.changed_by_name == "Bruno"
    assert answer_stamp(second.answer) == await _stamp(service, 1, 3) != answer_stamp(first.answer)


async def test_a_change_made_meanwhile_in_the_chat_is_not_overwritten(
    service: SurveyService, clock: Clock
) -> None:
    await verify(service, 1)
    shown = await service.answering.change_answer(1, 3, expected=None, level="high")
    clock.advance(seconds=5)
    await service.answering.record_answer(1, 3, "low")  # the chat, while the page is open

    with pytest.raises(Refused) as refused:
        await service.answering.change_answer(
            1, 3, expected=answer_stamp(shown.answer), level="medium"
        )

    assert refused.value.reason is Reason.ANSWERS_CHANGED
    assert refused.value.details["current"].level == "low"
    assert (await service.answering.office_answers(1)).answers[3].level == "low"


async def test_a_first_answer_is_refused_when_one_was_given_meanwhile(
    service: SurveyService,
) -> None:
    await verify(service, 1)
    await service.answering.record_answer(1, 7, "low")

    with pytest.raises(Refused) as refused:
        await service.answering.change_answer(1, 7, expected=None, level="high")

    assert refused.value.reason is Reason.ANSWERS_CHANGED
    assert (await service.answering.office_answers(1)).answers[7].level == "low"


async def test_an_empty_comment_removes_it(service: SurveyService) -> None:
    await verify(service, 1)
    given = await service.answering.change_answer(1, 2, expected=None, comment="A note")

    removed = await service.answering.change_answer(
        1, 2, expected=answer_stamp(given.answer), comment=""
    )

    assert removed.answer.comment is None


async def test_two_changes_from_the_same_view_one_wins(service: SurveyService) -> None:
    await verify(service, 1)
    await verify(service, 2)
    shown = await service.answering.change_answer(1, 4, expected=None, level="low")
    stamp = answer_stamp(shown.answer)

    outcomes = await asyncio.gather(
        service.answering.change_answer(1, 4, expected=stamp, level="high"),
        service.answering.change_answer(2, 4, expected=stamp, level="medium"),
        return_exceptions=True,
    )

    refused = [o for o in outcomes if isinstance(o, Refused)]
    assert [r.reason for r in refused] == [Reason.ANSWERS_CHANGED]
    written = next(o for o in outcomes if not isinstance(o, BaseException))
    assert (await service.answering.office_answers(1)).answers[4].level == written.answer.level


@pytest.mark.parametrize(
    ("number", "level", "comment", "reason"),
    [
        (99, "high", None, Reason.UNKNOWN_RECOMMENDATION),
        (1, "urgent", None, Reason.UNKNOWN_LEVEL),
        (1, None, "x" * 1001, Reason.COMMENT_TOO_LONG),
    ],
)
async def test_the_rules_of_every_write_hold(
    service: SurveyService, number: int, level: str | None, comment: str | None, reason: Reason
) -> None:
    await verify(service, 1)
    with pytest.raises(Refused) as refused:
        await service.answering.change_answer(
            1, number, expected=None, level=level, comment=comment
        )
    assert refused.value.reason is reason
    assert (await service.answering.office_answers(1)).answers == {}


async def test_refused_after_the_submission_and_after_the_deadline(
    service: SurveyService, clock: Clock
) -> None:
    await verify(service, 1)
    await verify(service, 2, office="JP")
    await answer_all(service, 1)
    await service.answering.submit(1)
    with pytest.raises(Refused) as submitted:
        await service.answering.change_answer(
            1, 1, expected=await _stamp(service, 1, 1), level="low"
        )
    assert submitted.value.reason is Reason.ALREADY_SUBMITTED

    clock.advance(days=31)
    with pytest.raises(Refused) as closed:
        await service.answering.change_answer(2, 1, expected=None, level="low")
    assert closed.value.reason is Reason.DEADLINE_PASSED
