"""A person's own data and their erasure, on SQLite and PostgreSQL: /mydata holds exactly
that person's data; after /forgetme no table holds their Telegram id or name, while their
Office's answers and submission stay, attributed to a pseudonym."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.privacy import CATALOG_VERSION
from survey.answering import Submission
from survey.errors import Reason, Refused
from survey.jobs import JobKind
from survey.model import Actor
from survey.service import SurveyService
from tests.support import ADMIN_ID, Clock, answer_all, audit_events, database_dump, verify

ANNA, BRUNO, CHIYO = 731_005_441, 731_005_442, 731_005_443


def notices(submission: Submission) -> list[tuple[int, str]]:
    """What the bot would tell: the colleagues and the Secretariat, naming the submitter."""
    name = submission.response.submitted_by_name or ""
    return [
        *(
            (p.telegram_user_id, f"{name} (user {ANNA}) submitted for your Office")
            for p in submission.colleagues
        ),
        (ADMIN_ID, f"{submission.office.code} submitted by {name}"),
    ]


async def _office_with_a_submission(service: SurveyService, admin: Actor) -> None:
    await verify(service, ANNA, "EP", "Anna Lindqvist")
    await verify(service, BRUNO, "EP", "Bruno Ém")
    await verify(service, CHIYO, "JP", "Chiyo")
    await service.enrolment.set_language(ANNA, "fr")
    await answer_all(service, ANNA, "high")
    await service.answering.record_comment(ANNA, 1, "Our own comment")
    await service.answering.record_answer(BRUNO, 2, "low")
    await service.answering.record_answer(CHIYO, 1, "low")
    await service.jobs.record(
        JobKind.WORKBOOK, user_id=ANNA, chat_id=ANNA, language="fr", parameters={"for": ANNA}
    )
    await service.privacy.acknowledge(ANNA, "notice-1")
    await service.privacy.acknowledge(BRUNO, "notice-1")
    await service.answering.submit(ANNA, notices)
    await service.secretariat.reopen("EP", admin, reason="Anna Lindqvist asked")
    await service.answering.submit(ANNA, notices)


async def test_my_data_holds_that_person_and_nothing_of_a_colleague(
    service: SurveyService, admin: Actor, clock: Clock
) -> None:
    await _office_with_a_submission(service, admin)

    data = await service.privacy.my_data(BRUNO)

    document = data.to_data()
    assert document["telegram_user_id"] == BRUNO
    assert document["representative"]["name"] == "Bruno Ém"
    assert document["representative"]["office"] == "EP"
    assert [(a["recommendation"], a["level"]) for a in document["answers_last_changed"]] == [
        (2, "low")
    ]
    # verify() acknowledges the catalogs' notice, as going through the chat does.
    versions = [a["version"] for a in document["notice_acknowledgements"]]
    assert versions == [CATALOG_VERSION, "notice-1"]
    assert {e["action"] for e in document["audit_entries"]} == {"representative.verified"}
    text = json.dumps(document)
    for colleague in ("Anna", str(ANNA), "Our own comment", "Chiyo", str(CHIYO)):
        assert colleague not in text

    anna = (await service.privacy.my_data(ANNA)).to_data()
    assert anna["language_chosen"] == "fr"
    assert len(anna["answers_last_changed"]) == len(service.questionnaire.numbers) - 1
    actions = {e["action"] for e in anna["audit_entries"]}
    # the reopening names her in its reason and as the submitter: it is data about her
    assert {"representative.verified", "response.submit", "response.reopen"} <= actions


async def test_forgetting_leaves_no_trace_and_keeps_the_answers_and_submission(
    service: SurveyService, engine: AsyncEngine, admin: Actor
) -> None:
    await _office_with_a_submission(service, admin)
    before = await service.secretariat.office_answers("EP", admin)
    traced = await database_dump(engine)
    # named in: her row, answers' audit, receipt, notices, the reopening's reason, preference
    assert traced.count("Anna Lindqvist") >= 5
    assert str(ANNA) in traced

    forgotten = await service.privacy.forget_person(ANNA, actor=Actor.telegram(ANNA, "Anna"))

    assert forgotten.pseudonym == "Representative 1 of EP"
    assert forgotten.submitted
    dump = await database_dump(engine)
    for trace in (str(ANNA), "Anna Lindqvist", "Lindqvist"):
        assert trace not in dump
    assert "Bruno" in dump
    assert str(BRUNO) in dump
    after = await service.secretariat.office_answers("EP", admin)
    assert after.response is not None
    assert after.response.submitted
    assert after.response.receipt is not None
    assert after.response.receipt.submitted_by == "Representative 1 of EP"
    assert after.response.receipt.reference == before.response.receipt.reference  # type: ignore[union-attr]
    assert {n: (a.level, a.comment) for n, a in after.answers.items()} == {
        n: (a.level, a.comment) for n, a in before.answers.items()
    }
    assert after.answers[1].changed_by_name == "Representative 1 of EP"
    assert after.answers[2].changed_by_name == "Bruno Ém"
    exported = {r.changed_by_name for r in await service.secretariat.export_rows(admin)}
    assert exported == {"Representative 1 of EP", "Bruno Ém", "Chiyo"}

    # afterwards a stranger: nothing known, nothing to forget again
    assert await service.enrolment.whereabouts(ANNA) is None
    assert (await service.privacy.my_data(ANNA)).empty
    with pytest.raises(Refused) as refused:
        await service.privacy.forget(ANNA, actor=Actor.telegram(ANNA))
    assert refused.value.reason is Reason.NOT_VERIFIED


async def test_a_removed_person_can_be_forgotten_and_pseudonyms_follow_the_arrival_order(
    service: SurveyService, engine: AsyncEngine, admin: Actor
) -> None:
    await _office_with_a_submission(service, admin)
    await service.secretariat.reopen("EP", admin)
    await service.secretariat.remove_representative("EP", BRUNO, admin, reason="Bruno Ém left")

    assert await service.privacy.forget(BRUNO, actor=admin) == "Representative 2 of EP"

    dump = await database_dump(engine)
    for trace in (str(BRUNO), "Bruno Ém", "Bruno \\u00c9m"):
        assert trace not in dump
    assert "Anna Lindqvist" in dump


async def test_forget_all_pseudonymises_everyone_and_a_dry_run_changes_nothing(
    service: SurveyService, engine: AsyncEngine, admin: Actor
) -> None:
    await _office_with_a_submission(service, admin)
    await service.privacy.forget(BRUNO, actor=Actor.telegram(BRUNO))
    before = await database_dump(engine)

    dry = await service.privacy.forget_all(actor=Actor.cli(), apply=False)

    assert dry["representatives"] == 2  # Bruno is forgotten already
    assert await database_dump(engine) == before
    applied = await service.privacy.forget_all(actor=Actor.cli())
    assert applied == dry
    dump = await database_dump(engine)
    for trace in (str(ANNA), "Anna Lindqvist", str(CHIYO), "Chiyo", str(BRUNO), "Bruno"):
        assert trace not in dump
    assert "Representative 1 of JP" in dump
    after = await service.secretariat.office_answers("EP", admin)
    assert after.response is not None
    assert after.response.submitted


async def test_two_erasures_of_one_person_at_once_forget_them_once(
    service: SurveyService, engine: AsyncEngine, admin: Actor
) -> None:
    await _office_with_a_submission(service, admin)

    outcomes = await asyncio.gather(
        service.privacy.forget(ANNA, actor=Actor.telegram(ANNA)),
        service.privacy.forget(ANNA, actor=admin),
        return_exceptions=True,
    )

    assert sorted(map(str, outcomes)) == ["Representative 1 of EP", Reason.NOT_VERIFIED.value]
    [event] = await audit_events(engine, "representative.forgotten")
    assert event.details["pseudonym"] == "Representative 1 of EP"
    assert str(ANNA) not in await database_dump(engine)
