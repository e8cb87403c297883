"""The questionnaire in force lives in the database with its versions, on SQLite and
PostgreSQL: the Secretariat previews a new wording, puts it in force, and every process sees it
at its next read; answers stay when texts change, and the structure is locked once answers
exist."""

from __future__ import annotations

import copy
import csv
import io
from dataclasses import replace
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncEngine

from reports.files import ResultsData, results_file
from reports.wording import changed_after_answers_lines
from storage.db import SqlStoreFactory
from survey.errors import Reason, Refused
from survey.model import Actor
from survey.questionnaire import (
    OFFICIAL,
    Questionnaire,
    questionnaire_from_data,
    questionnaire_to_data,
)
from survey.questionnaire_diff import StructureKind, TextChange
from survey.questionnaire_versions import CONFIGURED_BY, PUT_IN_FORCE
from survey.service import SurveyService
from tests.support import ADMIN_ID, Clock, audit_events, verify


def edited(questionnaire: Questionnaire, edit: Any) -> Questionnaire:
    data = copy.deepcopy(questionnaire_to_data(questionnaire))
    edit(data)
    return questionnaire_from_data(data, origin="edited.yaml")


def _numbers(count: int) -> str:
    return ", ".join(map(str, range(1, count + 1)))


def spanish_typo_fixed(questionnaire: Questionnaire) -> Questionnaire:
    def edit(data: dict[str, Any]) -> None:
        data["wording"] = OFFICIAL
        data["recommendations"][16]["statement"]["es"] += " (corregido)"

    return edited(questionnaire, edit)


def replica_of(service: SurveyService, engine: AsyncEngine, clock: Clock) -> SurveyService:
    """Another process on the same database, started with the same configured file."""
    return SurveyService(
        SqlStoreFactory(engine),
        service.setup.in_force.configured,
        deadline=service.setup.deadline,
        admin_ids={ADMIN_ID},
        clock=clock,
    )


async def test_the_configured_file_is_version_1_on_an_empty_database(
    service: SurveyService, questionnaire: Questionnaire
) -> None:
    version = await service.questionnaires.in_force()
    assert version.number == 1
    assert version.questionnaire == questionnaire
    assert (version.wording, version.checksum) == (questionnaire.wording, questionnaire.checksum)
    assert version.by == CONFIGURED_BY
    assert version.changes.is_empty


async def test_a_text_change_mid_survey_keeps_the_answers_and_reaches_every_process(
    service: SurveyService, engine: AsyncEngine, clock: Clock, admin: Actor
) -> None:
    replica = replica_of(service, engine, clock)
    await replica.questionnaires.refresh()
    await verify(service, 1)
    await service.answering.record_answer(1, 17, "high")
    old = service.questionnaire
    new = spanish_typo_fixed(old)

    preview = await service.questionnaires.preview(new)
    assert preview.allowed
    assert not preview.identical
    assert preview.in_force.number == 1
    assert preview.answers == 1
    assert TextChange(17, "statement", ("es",)) in preview.diff.texts
    assert preview.diff.changed_numbers() == (17,)

    clock.advance(hours=1)
    version = await service.questionnaires.put_in_force(new, actor=admin, expected_number=1)
    assert (version.number, version.wording, version.by) == (2, OFFICIAL, admin.label)
    assert version.at == clock.now
    assert service.questionnaire.recommendation(17).statement("es").endswith("(corregido)")
    assert (await service.answering.progress(1)).answer(17) is not None  # the answer stayed

    # The other process still holds version 1 until its next read, which finds version 2.
    assert replica.questionnaire == old
    assert (await replica.questionnaires.refresh()).number == 2
    assert replica.questionnaire.recommendation(17).statement("es").endswith("(corregido)")
    assert replica.setup.in_force.current.text_updates[17].version == 2

    [event] = await audit_events(engine, PUT_IN_FORCE)
    assert event.actor == admin.label
    assert event.details["number"] == 2
    assert event.details["checksum"] == new.checksum
    assert event.details["changes"]["texts"] == [
        {"number": None, "part": "wording", "languages": []},
        {"number": 17, "part": "statement", "languages": ["es"]},
    ]


async def test_a_restarted_process_reads_the_version_in_force_not_the_file(
    service: SurveyService, engine: AsyncEngine, clock: Clock, admin: Actor
) -> None:
    new = spanish_typo_fixed(service.questionnaire)
    await service.questionnaires.put_in_force(new, actor=admin, expected_number=1)
    restarted = replica_of(service, engine, clock)
    version = await restarted.questionnaires.in_force()
    assert version.number == 2
    assert restarted.questionnaire.checksum == new.checksum


async def test_a_numbering_change_is_refused_once_answers_exist(
    service: SurveyService, engine: AsyncEngine, admin: Actor
) -> None:
    # Today's file rules allow exactly 40 numbered 1 to 40; a questionnaire made otherwise
    # (rules that allow another count) is refused all the same once answers exist.
    new = replace(service.questionnaire, recommendations=service.questionnaire.recommendations[:39])
    # No answer yet: the structure may still change.
    assert (await service.questionnaires.preview(new)).allowed

    await verify(service, 1)
    await service.answering.record_answer(1, 1, "high")
    preview = await service.questionnaires.preview(new)
    assert not preview.allowed
    assert [(c.kind, c.before, c.after) for c in preview.refused] == [
        (StructureKind.COUNT, "40", "39"),
        (StructureKind.NUMBERS, _numbers(40), _numbers(39)),
    ]

    with pytest.raises(Refused) as refused:
        await service.questionnaires.put_in_force(new, actor=admin, expected_number=1)
    assert refused.value.reason is Reason.QUESTIONNAIRE_STRUCTURE_LOCKED
    assert refused.value.details["answers"] == 1
    assert refused.value.details["changes"] == preview.refused
    assert (await service.questionnaires.in_force()).number == 1
    assert await audit_events(engine, PUT_IN_FORCE) == []


async def test_a_scale_code_change_is_refused_once_answers_exist(
    service: SurveyService, admin: Actor
) -> None:
    def recode(data: dict[str, Any]) -> None:
        data["scale"][0]["code"] = "urgent"

    await verify(service, 1)
    await service.answering.record_answer(1, 1, "high")
    with pytest.raises(Refused) as refused:
        await service.questionnaires.put_in_force(
            edited(service.questionnaire, recode), actor=admin, expected_number=1
        )
    assert refused.value.reason is Reason.QUESTIONNAIRE_STRUCTURE_LOCKED
    [change] = refused.value.details["changes"]
    assert change.kind is StructureKind.SCALE_CODES
    assert change.after.startswith("urgent, ")


async def test_a_scale_score_change_is_refused_once_answers_exist(
    service: SurveyService, admin: Actor
) -> None:
    def rescore(data: dict[str, Any]) -> None:
        data["scale"][0]["score"] = 7

    await verify(service, 1)
    await service.answering.record_comment(1, 3, "a comment is an answer too")
    with pytest.raises(Refused) as refused:
        await service.questionnaires.put_in_force(
            edited(service.questionnaire, rescore), actor=admin, expected_number=1
        )
    assert refused.value.reason is Reason.QUESTIONNAIRE_STRUCTURE_LOCKED
    [change] = refused.value.details["changes"]
    assert change.kind is StructureKind.SCALE_SCORES


async def test_another_version_put_in_force_since_the_preview_is_refused(
    service: SurveyService, engine: AsyncEngine, clock: Clock, admin: Actor
) -> None:
    replica = replica_of(service, engine, clock)
    first = spanish_typo_fixed(service.questionnaire)
    preview = await service.questionnaires.preview(first)
    await replica.questionnaires.put_in_force(first, actor=Actor.cli(), expected_number=1)

    def retitle(data: dict[str, Any]) -> None:
        data["recommendations"][0]["title"]["fr"] = "Un autre titre"

    with pytest.raises(Refused) as refused:
        await service.questionnaires.put_in_force(
            edited(service.questionnaire, retitle),
            actor=admin,
            expected_number=preview.in_force.number,
        )
    assert refused.value.reason is Reason.QUESTIONNAIRE_CHANGED_SINCE
    assert (refused.value.details["in_force"], refused.value.details["expected"]) == (2, 1)
    assert refused.value.details["by"] == Actor.cli().label


async def test_the_same_content_is_not_a_new_version(
    service: SurveyService, questionnaire: Questionnaire, admin: Actor
) -> None:
    preview = await service.questionnaires.preview(questionnaire)
    assert preview.identical
    assert not preview.allowed
    with pytest.raises(Refused) as refused:
        await service.questionnaires.put_in_force(questionnaire, actor=admin, expected_number=1)
    assert refused.value.reason is Reason.QUESTIONNAIRE_IDENTICAL


async def test_only_the_secretariat_puts_a_version_in_force(service: SurveyService) -> None:
    with pytest.raises(Refused) as refused:
        await service.questionnaires.put_in_force(
            spanish_typo_fixed(service.questionnaire),
            actor=Actor.telegram(5),
            expected_number=1,
        )
    assert refused.value.reason is Reason.NOT_SECRETARIAT


async def test_the_wording_updated_mark_until_the_office_answers_again_or_confirms(
    service: SurveyService, engine: AsyncEngine, clock: Clock, admin: Actor
) -> None:
    await verify(service, 1)
    await verify(service, 2)  # a colleague of the same Office
    for number in (16, 17, 18):
        await service.answering.record_answer(1, number, "high")
    await service.answering.record_comment(1, 16, "as before")

    def retext(data: dict[str, Any]) -> None:
        data["recommendations"][15]["title"]["fr"] += " (révisé)"
        data["recommendations"][16]["statement"]["es"] += " (corregido)"
        data["recommendations"][18]["statement"]["en"] += " (unanswered yet)"

    clock.advance(days=3)
    changed_on = clock.now
    await service.questionnaires.put_in_force(
        edited(service.questionnaire, retext), actor=admin, expected_number=1
    )
    clock.advance(hours=2)

    progress = await service.answering.progress(2)
    assert progress.wording_updated == {16: changed_on, 17: changed_on}  # 19: not answered
    assert progress.answer(16) is not None
    assert progress.answer(16).level == "high"
    review = await service.answering.review(2)
    assert {i.number: i.wording_updated for i in review.items if i.wording_updated} == {
        16: changed_on,
        17: changed_on,
    }

    # Answered again by someone of the Office (even with the same level): the mark goes.
    progress = await service.answering.record_answer(2, 17, "high")
    assert progress.wording_updated == {16: changed_on}
    # Confirmed as it stands: the mark goes, the answer and its comment stay.
    progress = await service.answering.confirm_answer(2, 16)
    assert progress.wording_updated == {}
    kept = progress.answer(16)
    assert kept is not None
    assert (kept.level, kept.comment, kept.version) == ("high", "as before", 2)
    assert (await service.answering.progress(1)).wording_updated == {}
    # A representative's own later answer is given under version 2: no mark when 19 is answered.
    assert (await service.answering.record_answer(1, 19, "low")).wording_updated == {}

    [event] = await audit_events(engine, "answer.confirm")
    assert event.actor == Actor.telegram(2).label
    assert event.details["number"] == 16
    assert (event.details["from_version"], event.details["version"]) == (1, 2)


async def test_answers_record_the_version_they_were_given_under(
    service: SurveyService, engine: AsyncEngine, clock: Clock, admin: Actor
) -> None:
    await verify(service, 1)
    await service.answering.record_answer(1, 1, "high")
    await service.questionnaires.put_in_force(
        spanish_typo_fixed(service.questionnaire), actor=admin, expected_number=1
    )
    await service.answering.record_answer(1, 2, "low")
    # Another process that never read the version in force records the right one too.
    replica = replica_of(service, engine, clock)
    await replica.answering.record_comment(1, 3, "from elsewhere")
    answers = {
        a.recommendation: a.version
        for a in (await service.answering.office_answers(1)).answers.values()
    }
    assert answers == {1: 1, 2: 2, 3: 2}


async def test_the_results_files_name_the_version_and_the_texts_changed_after_answers(
    service: SurveyService, engine: AsyncEngine, clock: Clock, admin: Actor
) -> None:
    await verify(service, 1)
    await verify(service, 2, office="FR")
    for user in (1, 2):
        await service.answering.record_answer(user, 17, "high")
        await service.answering.record_answer(user, 18, "low")
    clock.advance(days=3)  # 4 June 2026
    await service.questionnaires.put_in_force(
        spanish_typo_fixed(service.questionnaire), actor=admin, expected_number=1
    )
    await service.answering.record_answer(2, 17, "medium")  # FR answers again: new text

    secretariat = service.secretariat
    in_force = secretariat.in_force
    data = ResultsData(
        await secretariat.digest(admin, include_drafts=True),
        await secretariat.export_rows(admin),
        await secretariat.office_statuses(admin),
        in_force.questionnaire,
        in_force,
    )
    [line] = changed_after_answers_lines(in_force, data.rows, "en")
    assert line == "R17: changed on 4 June 2026 (version 2); 1 answer given under an earlier text"

    csv_lines = list(
        csv.DictReader(io.StringIO(results_file("csv", data, "en").data.decode("utf-8-sig")))
    )
    by_office = {(r["office_code"], r["recommendation"]): r for r in csv_lines}
    assert by_office["EP", "R17"]["answer_version"] == "1"
    assert by_office["FR", "R17"]["answer_version"] == "2"
    assert {(r["version_in_force"], r["wording_in_force"]) for r in csv_lines} == {("2", OFFICIAL)}

    workbook = load_workbook(io.BytesIO(results_file("xlsx", data, "fr").data), read_only=True)
    summary = [[cell for cell in row if cell is not None] for row in workbook.worksheets[0].values]
    assert ["Questionnaire", "version 2, texte officiel"] in summary
    assert [
        "Modifiées après le début des réponses",
        "R17 : modifiée le 4 juin 2026 (version 2) ; 1 réponse donnée sur un texte antérieur",
    ] in summary

    document = Document(io.BytesIO(results_file("docx", data, "es").data))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "Cuestionario: versión 2, texto oficial." in text
    assert (
        "Modificadas después del inicio de las respuestas: R17: modificada el 4 de junio de 2026 "
        "(versión 2); 1 respuesta dada con un texto anterior." in text
    )
