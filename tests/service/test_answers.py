"""Answering, progress, review, submission and reopening, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import SqlStoreFactory, create_engine
from storage.models import AnswerRow, ResponseRow
from survey.errors import Reason, Refused
from survey.model import Actor, ResponseStatus
from survey.rules import MAX_COMMENT_LENGTH
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


async def test_an_answer_is_committed_before_the_call_returns(
    service: SurveyService, database_url: str
) -> None:
    await verify(service, 1)
    progress = await service.answering.record_answer(1, 1, "high")
    assert (progress.answered, progress.first_unanswered) == (1, 2)

    # A separate engine (another process, after a crash) sees it.
    other = create_engine(database_url)
    try:
        async with other.connect() as connection:
            level = await connection.scalar(select(AnswerRow.level))
    finally:
        await other.dispose()
    assert level == "high"


async def test_progress_points_at_the_first_unanswered(service: SurveyService) -> None:
    await verify(service, 1)
    for number in (1, 2, 4):
        await service.answering.record_answer(1, number, "low")
    progress = await service.answering.progress(1)
    assert (progress.answered, progress.total, progress.first_unanswered) == (3, 40, 3)
    await service.answering.record_answer(1, 3, "no_opinion")  # counts as answered
    assert (await service.answering.progress(1)).first_unanswered == 5


async def test_changing_an_answer_keeps_one_row(
    service: SurveyService, engine: AsyncEngine
) -> None:
    await verify(service, 1)
    await service.answering.record_answer(1, 7, "high")
    await service.answering.record_answer(1, 7, "low")
    assert (await answer_of(service, 1, 7)).level == "low"
    assert await count_stored(engine, AnswerRow) == 1


async def test_comments_are_optional_and_limited(service: SurveyService) -> None:
    await verify(service, 1)
    await service.answering.record_answer(1, 5, "medium")
    await service.answering.record_comment(1, 5, "  Important for our e-filing.  ")
    assert (await answer_of(service, 1, 5)).comment == "Important for our e-filing."

    with pytest.raises(Refused) as refused:
        await service.answering.record_comment(1, 5, "x" * (MAX_COMMENT_LENGTH + 1))
    assert refused.value.reason is Reason.COMMENT_TOO_LONG
    assert refused.value.details["limit"] == MAX_COMMENT_LENGTH
    kept = await answer_of(service, 1, 5)
    assert (kept.level, kept.comment) == ("medium", "Important for our e-filing.")

    await service.answering.record_comment(
        1, 5, "é" * MAX_COMMENT_LENGTH
    )  # the limit is characters
    await service.answering.record_comment(1, 5, "   ")
    assert (await answer_of(service, 1, 5)).comment is None


async def test_a_comment_alone_is_not_an_answer(service: SurveyService) -> None:
    await verify(service, 1)
    await service.answering.record_comment(1, 1, "Will decide later")
    progress = await service.answering.progress(1)
    assert (progress.answered, progress.first_unanswered) == (0, 1)
    await service.answering.record_answer(1, 1, "high")
    assert (await answer_of(service, 1, 1)).comment == "Will decide later"


async def test_bad_input_is_refused_and_loses_nothing(service: SurveyService) -> None:
    await verify(service, 1)
    await service.answering.record_answer(1, 1, "high")
    for number, level, reason in [
        (0, "high", Reason.UNKNOWN_RECOMMENDATION),
        (41, "high", Reason.UNKNOWN_RECOMMENDATION),
        (1, "urgent", Reason.UNKNOWN_LEVEL),
    ]:
        with pytest.raises(Refused) as refused:
            await service.answering.record_answer(1, number, level)
        assert refused.value.reason is reason
    assert (await answer_of(service, 1, 1)).level == "high"
    assert (await service.answering.progress(1)).answered == 1


async def test_unverified_users_cannot_answer(service: SurveyService) -> None:
    with pytest.raises(Refused) as refused:
        await service.answering.record_answer(99, 1, "high")
    assert refused.value.reason is Reason.NOT_VERIFIED
    with pytest.raises(Refused):
        await service.answering.submit(99)


async def test_deadline_stops_answering_and_submitting(
    service: SurveyService, clock: Clock
) -> None:
    await verify(service, 1)
    await answer_all(service, 1, skip=(40,))
    assert service.setup.deadline is not None
    clock.now = service.setup.deadline
    with pytest.raises(Refused) as refused:
        await service.answering.record_answer(1, 40, "high")
    assert refused.value.reason is Reason.DEADLINE_PASSED
    assert refused.value.details["deadline"] == service.setup.deadline
    with pytest.raises(Refused) as refused:
        await service.answering.submit(1)
    assert refused.value.reason is Reason.DEADLINE_PASSED
    assert (await service.answering.progress(1)).answered == 39
    assert (await answer_of(service, 1, 1)).read_only


async def test_representatives_of_one_office_share_one_draft(service: SurveyService) -> None:
    await verify(service, 1, "EP", "Anna")
    await verify(service, 2, "EP", "Bruno")
    await verify(service, 3, "JP", "Chiyo")
    await service.answering.record_answer(1, 1, "high")
    await service.answering.record_answer(2, 2, "low")
    await service.answering.record_answer(3, 1, "low")

    review = await service.answering.review(1)
    assert review.several_representatives
    assert [(i.number, i.level, i.changed_by) for i in review.items[:3]] == [
        (1, "high", "Anna"),
        (2, "low", "Bruno"),
        (3, None, None),
    ]
    assert (await service.answering.progress(2)).answered == 2
    assert not (await service.answering.review(3)).several_representatives


async def test_review_flags_unanswered_and_comments(service: SurveyService) -> None:
    await verify(service, 1)
    await answer_all(service, 1, skip=(3, 17))
    await service.answering.record_comment(1, 2, "see our strategy")
    review = await service.answering.review(1)
    assert review.unanswered == [3, 17]
    assert not review.can_submit
    assert [i.number for i in review.items if i.has_comment] == [2]
    assert len(review.items) == 40


async def test_submit_needs_all_forty(service: SurveyService) -> None:
    await verify(service, 1)
    await answer_all(service, 1, skip=(40,))
    await service.answering.record_comment(1, 40, "comment only")
    with pytest.raises(Refused) as refused:
        await service.answering.submit(1)
    assert refused.value.reason is Reason.INCOMPLETE
    assert refused.value.details["missing"] == (40,)


async def test_submission_locks_and_gives_a_receipt(service: SurveyService, clock: Clock) -> None:
    await verify(service, 1, name="Anna")
    await verify(service, 2, name="Bruno")
    await answer_all(service, 1, "medium", skip=(1, 2))
    await service.answering.record_answer(1, 1, "high")
    await service.answering.record_answer(2, 2, "no_opinion")
    await service.answering.record_comment(2, 2, "n/a")

    submitted = (await service.answering.submit(2)).response

    assert submitted.status is ResponseStatus.SUBMITTED
    assert submitted.submitted_by_name == "Bruno"
    assert submitted.submitted_at == clock.now
    receipt = submitted.receipt
    assert receipt is not None
    assert dict(receipt.level_counts) == {"high": 1, "medium": 38, "low": 0, "no_opinion": 1}
    assert (receipt.commented, receipt.submitted_by) == (1, "Bruno")
    assert len(receipt.reference) == 12

    # Everyone in the Office sees the receipt; nobody can change anything now.
    review = await service.answering.review(1)
    assert review.response.receipt == receipt
    assert not review.can_submit
    assert (await answer_of(service, 1, 1)).read_only
    for attempt in (
        service.answering.record_answer(1, 1, "low"),
        service.answering.record_comment(1, 1, "late"),
        service.answering.submit(1),
    ):
        with pytest.raises(Refused) as refused:
            await attempt
        assert refused.value.reason is Reason.ALREADY_SUBMITTED
        assert refused.value.details["submitted_by"] == "Bruno"
        assert refused.value.details["submitted_at"] == clock.now
    assert (await answer_of(service, 1, 1)).level == "high"


async def test_concurrent_submits_give_exactly_one_submission(
    service: SurveyService, engine: AsyncEngine
) -> None:
    people = range(1, 6)
    for person in people:
        await verify(service, person, name=f"Delegate {person}")
    await answer_all(service, 1)

    outcomes = await asyncio.gather(
        *(service.answering.submit(person) for person in people), return_exceptions=True
    )

    winners = [o for o in outcomes if not isinstance(o, BaseException)]
    losers = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(o, Refused) and o.reason is Reason.ALREADY_SUBMITTED for o in losers)
    assert {o.details["submitted_by"] for o in losers if isinstance(o, Refused)} == {
        winners[0].response.submitted_by_name
    }
    assert len(await audit_events(engine, "response.submit")) == 1


async def test_a_late_answer_racing_a_submit_is_never_lost_silently(
    service: SurveyService,
) -> None:
    await verify(service, 1)
    await verify(service, 2)
    await answer_all(service, 1, "low")
    outcomes = await asyncio.gather(
        service.answering.submit(1),
        service.answering.record_answer(2, 5, "high"),
        return_exceptions=True,
    )
    submitted = await service.answering.review(1)
    level_5 = submitted.items[4].level
    if isinstance(outcomes[1], BaseException):
        # The submit went first: the answer was refused, so its author was told.
        assert isinstance(outcomes[1], Refused)
        assert outcomes[1].reason is Reason.ALREADY_SUBMITTED
        assert level_5 == "low"
    else:
        # The answer went first: it is part of what was submitted.
        assert level_5 == "high"
        receipt = submitted.response.receipt
        assert receipt is not None
        assert receipt.level_counts["high"] == 1


async def test_reopen_by_the_secretariat_is_audited(
    service: SurveyService, engine: AsyncEngine, admin: Actor
) -> None:
    await verify(service, 1)
    await verify(service, 2)
    await verify(service, 3)
    await service.enrolment.set_language(2, "fr")
    await service.secretariat.remove_representative("EP", 3, admin)
    await answer_all(service, 1)
    await service.answering.submit(1)

    with pytest.raises(Refused) as refused:
        await service.secretariat.reopen("EP", Actor.telegram(1))
    assert refused.value.reason is Reason.NOT_SECRETARIAT

    reopening = await service.secretariat.reopen("EP", admin, reason="Office asked by e-mail")
    reopened = reopening.response
    assert reopened.status is ResponseStatus.DRAFT
    assert reopened.receipt is None
    # Whom the chat tells, in their languages: the Office's active representatives.
    assert reopening.office.code == "EP"
    assert [(p.telegram_user_id, p.language) for p in reopening.representatives] == [
        (1, None),
        (2, "fr"),
    ]
    await service.answering.record_answer(1, 1, "low")
    assert (await service.answering.submit(1)).response.status is ResponseStatus.SUBMITTED

    [event] = await audit_events(engine, "response.reopen")
    assert event.actor == admin.label
    assert event.details["reason"] == "Office asked by e-mail"
    assert event.details["was_submitted_by"] == "Delegate 1"

    await service.secretariat.reopen("EP", admin)
    with pytest.raises(Refused) as refused:
        await service.secretariat.reopen("EP", admin)
    assert refused.value.reason is Reason.NOT_SUBMITTED


async def test_a_restart_loses_nothing(
    service: SurveyService, database_url: str, clock: Clock
) -> None:
    await verify(service, 1)
    await service.answering.record_answer(1, 1, "high")
    await service.answering.record_comment(1, 1, "keep")
    engine = create_engine(database_url)
    try:
        restarted = SurveyService(
            SqlStoreFactory(engine),
            service.questionnaire,
            deadline=clock.now + timedelta(days=1),
            clock=clock,
        )
        view = await answer_of(restarted, 1, 1)
        assert (view.level, view.comment) == ("high", "keep")
        assert (await restarted.answering.progress(1)).first_unanswered == 2
    finally:
        await engine.dispose()


async def test_response_rows_one_per_office(service: SurveyService, engine: AsyncEngine) -> None:
    for person in range(1, 5):
        await verify(service, person)
    await asyncio.gather(*(service.answering.record_answer(p, p, "high") for p in range(1, 5)))
    assert await count_stored(engine, ResponseRow) == 1
    assert (await service.answering.progress(1)).answered == 4


async def test_a_comment_of_invisible_characters_is_stored_as_none(
    service: SurveyService, engine: AsyncEngine
) -> None:
    await verify(service, 1)
    await service.answering.record_answer(1, 6, "high")
    await service.answering.record_comment(1, 6, "first thoughts")
    await service.answering.record_comment(1, 6, "\u200b\u00a0\u2060\ufeff \u00ad\u200d")

    assert (await answer_of(service, 1, 6)).comment is None
    assert await stored_values(engine, select(AnswerRow.comment)) == [None]
    assert not (await service.answering.review(1)).items[5].has_comment

    await service.answering.record_comment(1, 6, "\u200b Needs\u00a0budget \u2014 2027 \u2060")
    assert (await answer_of(service, 1, 6)).comment == "Needs\u00a0budget \u2014 2027"


async def test_a_comment_with_nul_characters_is_stored_without_them(
    service: SurveyService,
) -> None:
    await verify(service, 1)
    await service.answering.record_comment(
        1, 7, "Budget\x00 first\x00"
    )  # PostgreSQL refuses NUL in text
    assert (await answer_of(service, 1, 7)).comment == "Budget first"
    await service.answering.record_comment(1, 7, "\x00\x00")
    assert (await answer_of(service, 1, 7)).comment is None


async def test_opening_the_review_writes_nothing(
    service: SurveyService, engine: AsyncEngine
) -> None:
    await verify(service, 1)
    review = await service.answering.review(1)  # before the Office's first answer
    assert not review.response.submitted
    assert review.unanswered == list(service.questionnaire.numbers)
    assert await count_stored(engine, ResponseRow) == 0  # a read stays a read
    await service.answering.record_answer(1, 1, "high")
    assert (await service.answering.review(1)).items[0].level == "high"
    assert await count_stored(engine, ResponseRow) == 1
