"""The results digest and the Office overview, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from survey.errors import Reason, Refused
from survey.model import Actor, ResponseStatus
from survey.results import Digest
from survey.service import SurveyService
from tests.support import answer_all, stored_rows, verify


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


# The digest reads level_tally, kept at each submission and reopening: it must hold exactly
# what counting every submitted answer gives, whatever happened in between.
RECOUNT = text(
    "SELECT a.recommendation, a.level, count(*) FROM answer a "
    "JOIN response r ON r.id = a.response_id "
    "WHERE r.status = 'submitted' AND a.level IS NOT NULL "
    "GROUP BY a.recommendation, a.level"
)
TALLY = text("SELECT recommendation, level, answers FROM level_tally WHERE answers > 0")


async def _tally_is_a_full_count(engine: AsyncEngine, digest: Digest) -> None:
    recount = {
        (int(n), str(level)): int(count) for n, level, count in await stored_rows(engine, RECOUNT)
    }
    tally = {
        (int(n), str(level)): int(count) for n, level, count in await stored_rows(engine, TALLY)
    }
    assert tally == recount
    shown = {
        (item.number, level): count
        for item in digest.items
        for level, count in item.counts.items()
        if count
    }
    assert shown == recount


async def test_level_tally_follows_submit_reopen_and_resubmit(
    service: SurveyService, engine: AsyncEngine, admin: Actor
) -> None:
    await _three_offices(service)
    await _tally_is_a_full_count(engine, await service.secretariat.digest(admin))

    # EP reopened, changed and submitted again; JP reopened and left a draft.
    await service.secretariat.reopen("EP", admin, reason="typo")
    await service.answering.record_answer(1, 1, "low")
    await service.answering.record_answer(1, 3, "medium")
    await service.answering.submit(1)
    await service.secretariat.reopen("JP", admin)
    await _tally_is_a_full_count(engine, await service.secretariat.digest(admin))

    # Two Offices submitting at once (on PostgreSQL both update the same tally rows), and a
    # second submission of the same Office racing the first: counted once.
    await answer_all(service, 3, "medium")
    await answer_all(service, 2, "no_opinion")
    outcomes = await asyncio.gather(
        service.answering.submit(3),
        service.answering.submit(2),
        service.answering.submit(3),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(refused) == 1, outcomes
    assert isinstance(refused[0], Refused), outcomes
    assert refused[0].reason is Reason.ALREADY_SUBMITTED
    digest = await service.secretariat.digest(admin)
    assert digest.funnel.submitted == 3
    await _tally_is_a_full_count(engine, digest)

    # Everything reopened: all counts back to 0 (rows kept), and the digest is empty.
    for office in ("EP", "JP", "FR"):
        await service.secretariat.reopen(office, admin)
    digest = await service.secretariat.digest(admin)
    assert all(item.answered == 0 for item in digest.items)
    await _tally_is_a_full_count(engine, digest)


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
