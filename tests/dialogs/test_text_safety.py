"""Text typed in the chat that no file can hold (a noncharacter, a lone surrogate, a control
character) never breaks a file: the Secretariat's /export and the Office's /workbook still go
out, and show what the person meant."""

from __future__ import annotations

import io

import pytest
from docx import Document
from openpyxl import load_workbook

from survey.service import SurveyService
from tests.support import ADMIN_ID, answer_all

from .harness import App, Person, verified

TYPED = [
    "Budget\uffff first",  # a noncharacter: Telegram passes it through
    "Budget\ufffe first",
    "Budget\ud800 first",  # a lone surrogate, as JSON can carry it
    "Budget\x01 first",  # a control character XML 1.0 cannot hold
    "Budget\U0010ffff first",
]


@pytest.mark.parametrize("typed", TYPED)
async def test_a_comment_no_file_can_hold_leaves_export_and_workbook_working(
    app: App, service: SurveyService, typed: str
) -> None:
    person = await verified(app, service)
    await person.click("High")
    await person.click("◀ Back")
    await person.click("💬 Add a comment")
    await person.send(typed)
    assert "Sorry" not in person.text()
    stored = (await service.answering.office_answers(1)).answers[1].comment
    assert stored == "Budget first"

    await person.send("/workbook")
    name, data = app.bot.files(1)[-1]
    assert name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert "Budget first" in [cell.value for cell in sheet["E"]]

    await answer_all(service, 1)
    await service.answering.submit(1)  # the collated document shows submitted answers
    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/export")
    files = dict(app.bot.files(ADMIN_ID))
    assert sorted(name.rsplit(".", 1)[1] for name in files) == ["csv", "docx", "xlsx"]
    for name, data in files.items():
        if name.endswith(".csv"):
            assert "Budget first" in data.decode("utf-8-sig")
        elif name.endswith(".xlsx"):
            comments = load_workbook(io.BytesIO(data))["Comments"]
            assert "Budget first" in [c.value for row in comments.iter_rows() for c in row]
        else:
            tables = Document(io.BytesIO(data)).tables
            assert "Budget first" in [cell.text for t in tables for r in t.rows for cell in r.cells]
