"""A wording put in force mid-survey by another process shows at the representative's next
click, with the "wording updated" mark on the Recommendations their Office answered before it,
until they answer again or say their answer stands."""

from __future__ import annotations

import copy
import html
import io

from openpyxl import load_workbook

from reports.workbook import COLUMNS, HEADER_ROW
from survey.model import Actor
from survey.questionnaire import questionnaire_from_data, questionnaire_to_data
from survey.service import SurveyService
from tests.support import ADMIN_ID, Clock

from .harness import App, verified


def edited_workbook(data: bytes, levels: dict[int, str]) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    for row in range(HEADER_ROW + 1, sheet.max_row + 1):
        number = sheet.cell(row, COLUMNS["number"]).value
        if number is not None and int(str(number).lstrip("R")) in levels:
            sheet.cell(row, COLUMNS["level"]).value = levels[int(str(number).lstrip("R"))]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


MARK = "⚠️ Wording updated on 4 June 2026: please check your answer."


async def put_new_wording_in_force_elsewhere(service: SurveyService, clock: Clock) -> str:
    """Another process (the same database) changes Recommendation 1's statement in English."""
    data = copy.deepcopy(questionnaire_to_data(service.questionnaire))
    data["recommendations"][0]["statement"]["en"] += " <b>Revised</b> & “quoted” 🎉"
    new = questionnaire_from_data(data, origin="official.yaml")
    other = SurveyService(
        service.setup.stores, service.setup.in_force.configured, admin_ids={ADMIN_ID}, clock=clock
    )
    await other.questionnaires.put_in_force(new, actor=Actor.telegram(ADMIN_ID), expected_number=1)
    return new.recommendation(1).statement("en")


async def test_the_mark_shows_and_my_answer_stands_clears_it(
    app: App, service: SurveyService, clock: Clock
) -> None:
    eva = await verified(app, service, 1)
    await eva.click("High")  # R1 answered, now on R2
    clock.advance(days=3)
    statement = await put_new_wording_in_force_elsewhere(service, clock)

    await eva.click("◀ Back")
    assert "Recommendation 1 of 40" in eva.text()
    assert html.escape(statement, quote=False) in eva.text()
    assert MARK in eva.text()
    assert "✔ My answer stands" in eva.buttons()

    await eva.click("📋 Review")
    assert "wording updated on 4 June 2026: please check your answer" in eva.text()

    await eva.send("/continue")  # on to the first unanswered one, R2
    await eva.click("◀ Back")
    assert "Recommendation 1 of 40" in eva.text()
    await eva.click("✔ My answer stands")
    assert "Recommendation 1 of 40" in eva.text()
    assert MARK not in eva.text()
    assert "✔ My answer stands" not in eva.buttons()
    assert "✅ High" in eva.buttons()


async def test_answering_again_clears_the_mark(
    app: App, service: SurveyService, clock: Clock
) -> None:
    eva = await verified(app, service, 1)
    await eva.click("High")
    clock.advance(days=3)
    await put_new_wording_in_force_elsewhere(service, clock)
    await eva.click("◀ Back")
    assert MARK in eva.text()
    await eva.click("✅ High")  # the same level, given again under the new wording
    await eva.click("◀ Back")
    assert "Recommendation 1 of 40" in eva.text()
    assert MARK not in eva.text()


async def test_the_mark_in_french(app: App, service: SurveyService, clock: Clock) -> None:
    eva = await verified(app, service, 1, lang="fr")
    await eva.click(service.questionnaire.scale[0].label("fr"))
    clock.advance(days=3)
    await put_new_wording_in_force_elsewhere(service, clock)
    await eva.click("◀ Précédente")
    assert "⚠️ Texte modifié le 4 juin 2026 : veuillez vérifier votre réponse." in eva.text()
    assert "✔ Je maintiens ma réponse" in eva.buttons()


async def test_a_workbook_downloaded_under_an_earlier_wording_says_which_texts_changed(
    app: App, service: SurveyService, clock: Clock
) -> None:
    eva = await verified(app, service, 1)
    await eva.click("High")
    await eva.send("/workbook")
    name, data = app.bot.files(eva.user_id)[-1]
    clock.advance(days=3)
    await put_new_wording_in_force_elsewhere(service, clock)

    await eva.send_document(name, edited_workbook(data, {2: "Low"}))
    told = [text for text in app.bot.sent(eva.user_id) if "earlier wording" in text]
    assert told == [
        "This workbook was downloaded under an earlier wording of the questionnaire (version "
        "1; now version 2). The text of these Recommendations changed since: R01. Its answers "
        "are read by Recommendation number; please check your answers to them."
    ]
    assert "R02" in eva.text()  # the change it brings is shown as before, by number
    await eva.click("✅ Apply these changes")
    answers = (await service.answering.office_answers(1)).answers
    assert (answers[1].level, answers[1].version) == ("high", 1)  # left alone: still marked
    assert (answers[2].level, answers[2].version) == ("low", 2)


async def test_a_workbook_of_the_wording_in_force_says_nothing_of_wordings(
    app: App, service: SurveyService, clock: Clock
) -> None:
    eva = await verified(app, service, 1)
    await put_new_wording_in_force_elsewhere(service, clock)
    await eva.send("/workbook")
    name, data = app.bot.files(eva.user_id)[-1]
    await eva.send_document(name, edited_workbook(data, {2: "Low"}))
    assert not [text for text in app.bot.sent(eva.user_id) if "earlier wording" in text]
    assert "R02" in eva.text()
