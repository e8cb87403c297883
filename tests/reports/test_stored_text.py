"""Each file writer on its own, for any text already stored before text entering the survey
was cleaned (survey/text.py): every character a database holds (all but NUL and surrogates,
which neither SQLite's UTF-8 nor PostgreSQL can hold) in comments, names and Office names.
Each file is made and opens (hypothesis, fixed seed)."""

from __future__ import annotations

import csv
import io

from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from PIL import Image

from reports.collated import collated_docx
from reports.csv_export import answers_csv_file
from reports.invitations import invitations_csv
from reports.workbook import office_workbook
from reports.xlsx import results_xlsx
from survey.model import AnswerRecord, Invitation, Office
from survey.questionnaire import Questionnaire
from survey.results import Digest
from survey.secretariat import IssuedInvitation

from .helpers import CHANGED, GENERATED, KEY, row

STORED = st.text(
    st.one_of(
        st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
        st.sampled_from("\x01\x0b\x1f\x7f\x85\x9f\ufdd0\ufffe\uffff\U0001fffe\U0010ffff\r"),
    ),
    min_size=1,
    max_size=30,
)
CHECKED = settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def test_every_writer_makes_a_file_that_opens_whatever_was_stored(
    questionnaire: Questionnaire, digest: Digest
) -> None:
    # The fixtures are given to the inner function by closure: hypothesis would print them.
    @CHECKED
    @given(comment=STORED, name=STORED, office_name=STORED)
    def example(comment: str, name: str, office_name: str) -> None:
        files(questionnaire, digest, comment, name, office_name)

    example()


def _png() -> bytes:
    """A tiny picture in place of the chart (tests/reports/test_chart.py draws the real one)."""
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def files(
    questionnaire: Questionnaire, digest: Digest, comment: str, name: str, office_name: str
) -> None:
    rows = [row("EP", 1, "high", comment, by=name, names={"en": office_name})]

    table = answers_csv_file(rows, questionnaire, "en").decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(table, newline="")))) == 2

    results = load_workbook(io.BytesIO(results_xlsx(digest, rows, questionnaire, "en")))
    assert results.sheetnames

    office = Office(1, "EP", "regional", {"en": office_name})
    answers = {1: AnswerRecord(1, "high", comment, CHANGED, 1, name)}
    workbook = office_workbook(office, answers, questionnaire, "en", exported_at=GENERATED, key=KEY)
    assert load_workbook(io.BytesIO(workbook)).sheetnames

    document = Document(io.BytesIO(collated_docx(digest, rows, questionnaire, "en", chart=_png())))
    assert document.paragraphs

    invitation = Invitation(1, 1, GENERATED, None, None, 0, None)
    issued = [IssuedInvitation("ABCD-EFGH", office, invitation)]
    lines = invitations_csv(issued, "cws_survey_bot").decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(lines, newline="")))) == 2
