"""The Secretariat in the chat: /results with its chart, /export, and everyone else learning
nothing of either."""

from __future__ import annotations

import io

import pytest
from docx import Document
from openpyxl import load_workbook
from PIL import Image

from survey.service import SurveyService
from tests.support import ADMIN_ID, answer_all, verify

from .harness import App, Person, check_html, verified

PNG = b"\x89PNG\r\n\x1a\n"


async def seed_answers(service: SurveyService) -> None:
    """EP and JP submit; FR leaves a draft. R01: EP high, JP high, FR low (draft)."""
    await verify(service, 1, "EP")
    await verify(service, 2, "JP")
    await verify(service, 3, "FR")
    await answer_all(service, 1, "high")
    await answer_all(service, 2, "medium")
    await service.answering.record_answer(2, 1, "high")
    await service.answering.record_comment(1, 1, "Core of our e-filing")
    await service.answering.submit(1)
    await service.answering.submit(2)
    await service.answering.record_answer(3, 1, "low")


async def test_results_show_the_chart_and_the_digest_and_count_drafts_on_request(
    app: App, service: SurveyService
) -> None:
    await seed_answers(service)
    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/results")

    [(_, chart)] = app.bot.files(ADMIN_ID)
    assert chart.startswith(PNG)
    with Image.open(io.BytesIO(chart)) as image:
        width, height = image.size
    assert height > width >= 720  # a tall picture that fills a phone's screen

    text = check_html(admin.text())
    assert "Survey results" in text
    assert "2 submitted" in text  # EP and JP
    assert "3 invited" in text
    assert "Response rate: 67%" in text
    # R01: two Offices said High (score 3.00), first; every other one has one High and one
    # Medium (2.50), sharing rank 2.
    assert "1. R01" in text
    assert "3.00" in text
    assert "High 2 · Medium 0 · Low 0 · No opinion 0" in text
    assert "2. R02" in text
    assert "Score:" in text

    await admin.click("☐ Include drafts")
    assert len(app.bot.files(ADMIN_ID)) == 2  # a new chart for what is now counted
    text = check_html(admin.text())
    assert "drafts" in text.lower()
    assert "High 2 · Medium 0 · Low 1 · No opinion 0" in text  # FR's draft now counts
    assert "☑ Drafts included" in admin.buttons()

    await service.answering.record_answer(3, 2, "high")
    await admin.click("🔄 Refresh")
    assert len(app.bot.files(ADMIN_ID)) == 3


async def test_results_in_french_before_anyone_answers(app: App) -> None:
    admin = Person(app, ADMIN_ID, "fr")
    await admin.send("/results")
    assert app.bot.files(ADMIN_ID)[0][1].startswith(PNG)
    text = check_html(admin.text())
    assert "Résultats" in text
    assert "Aucune réponse" in text


async def test_export_sends_the_three_files_in_the_members_language(
    app: App, service: SurveyService
) -> None:
    await seed_answers(service)
    admin = Person(app, ADMIN_ID, "fr")
    await admin.send("/export")
    files = dict(app.bot.files(ADMIN_ID))
    names = sorted(files)
    assert [name.rsplit(".", 1)[1] for name in names] == ["csv", "docx", "xlsx"]
    assert all(name.endswith(f"-fr.{name.rsplit('.', 1)[1]}") for name in names)

    csv_file = next(data for name, data in files.items() if name.endswith(".csv"))
    assert csv_file.startswith(b"\xef\xbb\xbf")
    assert "Core of our e-filing" in csv_file.decode("utf-8-sig")

    xlsx = next(data for name, data in files.items() if name.endswith(".xlsx"))
    workbook = load_workbook(io.BytesIO(xlsx))
    assert "Classement" in workbook.sheetnames

    docx = next(data for name, data in files.items() if name.endswith(".docx"))
    document = Document(io.BytesIO(docx))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "R01" in text
    assert "EP" in text


async def test_the_files_button_sends_them_too(app: App, service: SurveyService) -> None:
    await seed_answers(service)
    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/results")
    await admin.click("📎 Files")
    kinds = sorted(name.rsplit(".", 1)[1] for name, _ in app.bot.files(ADMIN_ID))
    assert kinds == ["csv", "docx", "png", "xlsx"]
    assert "Survey results" in admin.text()  # the window again, below the files


@pytest.mark.parametrize("command", ["/results", "/export", "/offices", "/remind", "/reopen"])
async def test_secretariat_commands_look_unknown_to_everyone_else(
    app: App, service: SurveyService, command: str
) -> None:
    person = await verified(app, service)
    stranger = Person(app, 77, "en")
    for someone in (person, stranger):
        await someone.send("/nosuchcommand")
        unknown = app.bot.sent(someone.user_id)[-1]
        await someone.send(command)
        assert app.bot.sent(someone.user_id)[-1] == unknown  # no hint it means anything
    assert app.bot.files() == []


async def test_a_secretariat_button_pressed_by_someone_else_does_nothing(
    app: App, service: SurveyService
) -> None:
    await seed_answers(service)
    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/results")
    refresh = next(
        button.callback_data
        for row in admin.last().reply_markup.inline_keyboard  # type: ignore[union-attr]
        for button in row
        if button.text == "🔄 Refresh"
    )
    person = await verified(app, service, 5, office="DE")
    before = len(app.bot.files())
    await person.press_raw(person.last(), refresh or "")
    assert len(app.bot.files()) == before  # no chart, no files
    assert "older message" in app.bot.alerts()[-1]
    assert "Survey results" not in person.text()
