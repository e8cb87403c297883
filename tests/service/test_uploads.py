"""Applying a confirmed workbook upload, on SQLite and PostgreSQL: all changes in one unit of
work and attributed to the uploader, or none at all."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from survey.errors import Reason, Refused
from survey.service import SurveyService
from tests.support import answer_all, verify


@dataclass(frozen=True)
class Planned:
    number: int
    old_level: str | None
    new_level: str | None
    old_comment: str | None = None
    new_comment: str | None = None


async def test_every_change_is_applied_and_attributed_to_the_uploader(
    service: SurveyService,
) -> None:
    await verify(service, 1, name="Anna")
    await verify(service, 2, name="Bruno")
    await service.answering.record_answer(1, 1, "low")
    await service.answering.record_comment(1, 2, "old note")

    await service.answering.apply_upload(
        2,
        [
            Planned(1, "low", "high"),
            Planned(2, None, "medium", "old note", None),  # a level, the comment removed
            Planned(3, None, "no_opinion", None, "From the workbook"),
        ],
    )

    answers = (await service.answering.office_answers(1)).answers
    assert [(n, answers[n].level, answers[n].comment) for n in (1, 2, 3)] == [
        (1, "high", None),
        (2, "medium", None),
        (3, "no_opinion", "From the workbook"),
    ]
    assert {answers[n].changed_by_name for n in (1, 2, 3)} == {"Bruno"}


async def test_nothing_is_applied_when_an_answer_moved_since_the_diff(
    service: SurveyService,
) -> None:
    await verify(service, 1)
    await service.answering.record_answer(1, 1, "low")
    await service.answering.record_answer(1, 5, "medium")  # after the diff was shown

    with pytest.raises(Refused) as refused:
        await service.answering.apply_upload(
            1, [Planned(1, "low", "high"), Planned(5, None, "high")]
        )
    assert refused.value.reason is Reason.ANSWERS_CHANGED
    assert refused.value.details["numbers"] == (5,)
    answers = (await service.answering.office_answers(1)).answers
    assert (answers[1].level, answers[5].level) == ("low", "medium")  # R1 not applied either


async def test_an_upload_never_changes_a_submitted_response(service: SurveyService) -> None:
    await verify(service, 1)
    await answer_all(service, 1, "high")
    await service.answering.submit(1)
    with pytest.raises(Refused) as refused:
        await service.answering.apply_upload(1, [Planned(1, "high", "low")])
    assert refused.value.reason is Reason.ALREADY_SUBMITTED
    assert (await service.answering.office_answers(1)).answers[1].level == "high"
