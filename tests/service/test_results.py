"""The results digest and the Office overview, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from survey.errors import Reason, Refused
from survey.model import Actor, ResponseStatus
from survey.results import Digest
from survey.service import SurveyService
from tests.support import answer_all, verify


async def _three_offices(service: SurveyService) -> None:
    # EP and JP submit; FR only starts; US is invited but nobody verifies.
    await verify(service, 1, "EP")
    await answer_all(service, 1, "high")
    await service.answering.record_answer(1, 2, "low")
    await service.answering.record_answer(1, 3, "no_opinion")
    await service.answering.submit(1)

    await verify(service, 2, "JP")
    await answer_all(service, 2, "medium")
    await service.answering.record_answer(2, 2, "high")
    await service.answering.record_answer(2, 3, "no_opinion")
    await service.answering.submit(2)

    await verify(service, 3, "FR")
    await service.answering.record_answer(3, 1, "low")
    await service.secretariat.create_invitation("US", Actor.cli())


async def test_digest_counts_scores_and_ranks_submitted_answers(
    service: SurveyService, admin: Actor
) -> None:
    await _three_offices(service)
    digest = await service.secretariat.digest(admin)

    by_number = {item.number: item for item in digest.items}
    assert dict(by_number[1].counts) == {"high": 1, "medium": 1, "low": 0, "no_opinion": 0}
    assert by_number[1].score == 2.5  # (3 + 2) / 2, FR's draft not counted
    assert by_number[2].score == 2.0  # (1 + 3) / 2
    assert (by_number[3].answered, by_number[3].scored, by_number[3].score) == (2, 0, None)
    assert by_number[3].rank is None
    # 38 Recommendations tie at 2.5 and share rank 1; R2 comes after all of them.
    assert by_number[1].rank == 1
    assert by_number[2].rank == 39
    assert [item.number for item in digest.ranking][-1] == 2

    funnel = digest.funnel
    assert funnel.offices >= 200
    assert (funnel.invited, funnel.verified, funnel.started, funnel.submitted) == (4, 3, 3, 2)
    assert "high = 3" in digest.score_explanation()


async def test_digest_with_drafts(service: SurveyService, admin: Actor) -> None:
    await _three_offices(service)
    digest = await service.secretariat.digest(admin, include_drafts=True)
    assert dict(digest.items[0].counts) == {"high": 1, "medium": 1, "low": 1, "no_opinion": 0}
    assert digest.items[0].score == 2.0


async def test_digest_follows_submissions_and_reopenings(
    service: SurveyService, admin: Actor
) -> None:
    # The service keeps the counts of the submitted answers between digests: each
    # submission, reopening and new submission must still show at once.
    def high(digest: Digest) -> int:
        return digest.items[0].counts["high"]

    await _three_offices(service)
    assert high(await service.secretariat.digest(admin)) == 1
    assert high(await service.secretariat.digest(admin)) == 1

    await service.secretariat.reopen("EP", admin, reason="typo")
    reopened = await service.secretariat.digest(admin)
    assert (high(reopened), reopened.funnel.submitted) == (0, 1)

    await answer_all(service, 3, "high")
    await service.answering.submit(3)
    assert high(await service.secretariat.digest(admin)) == 1  # FR's, EP still reopened

    await service.answering.submit(1)  # EP again, R1 still "high"
    again = await service.secretariat.digest(admin)
    assert (high(again), again.funnel.submitted) == (2, 3)
    assert high(await service.secretariat.digest(admin, include_drafts=True)) == 2


async def test_empty_digest(service: SurveyService, admin: Actor) -> None:
    digest = await service.secretariat.digest(admin)
    assert all(item.answered == 0 and item.rank is None for item in digest.items)
    assert digest.ranking == []


async def test_results_are_for_the_secretariat_only(service: SurveyService) -> None:
    for call in (
        service.secretariat.digest(Actor.telegram(5)),
        service.secretariat.export_rows(Actor.telegram(5)),
    ):
        with pytest.raises(Refused) as refused:
            await call
        assert refused.value.reason is Reason.NOT_SECRETARIAT


async def test_office_overview_and_export(service: SurveyService, admin: Actor) -> None:
    await _three_offices(service)
    statuses = {s.office.code: s for s in await service.secretariat.office_statuses(admin)}
    assert statuses["EP"].status is ResponseStatus.SUBMITTED
    assert (statuses["FR"].status, statuses["FR"].answered) == (ResponseStatus.DRAFT, 1)
    assert (statuses["US"].invited, statuses["US"].representatives) == (True, 0)
    assert statuses["DE"].invited is False
    assert statuses["DE"].status is None

    rows = await service.secretariat.export_rows(admin)
    assert len(rows) == 81  # 40 + 40 submitted, then FR's one draft answer
    assert [r.office_code for r in rows[:1]] == ["EP"]
    assert rows[-1].office_code == "FR"
    assert rows[-1].status is ResponseStatus.DRAFT
