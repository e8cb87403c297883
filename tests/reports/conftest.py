"""Fixtures of the report tests: a digest with ties and unscored items, export rows with
tricky comments and names, and Offices at every stage of the survey."""

from __future__ import annotations

import pytest

from survey.model import AnswerRecord, ExportRow, Funnel, Office, OfficeStatus, ResponseStatus
from survey.questionnaire import Questionnaire
from survey.results import Digest, build_digest

from .helpers import CHANGED, COUNTS, GENERATED, INJECTION, SUBMITTED, TRICKY, row


@pytest.fixture
def digest(questionnaire: Questionnaire) -> Digest:
    return build_digest(
        questionnaire,
        COUNTS,
        Funnel(offices=193, invited=20, verified=15, started=12, submitted=10),
        generated_at=GENERATED,
        include_drafts=False,
    )


@pytest.fixture
def rows() -> list[ExportRow]:
    return [
        row("EP", 1, "high", TRICKY, kind="regional", names={"en": "European Patent Office"}),
        row("EP", 5, "medium", kind="regional", names={"en": "European Patent Office"}),
        row("FR", 1, "low", INJECTION),
        row("FR", 40, "no_opinion", "   "),
        row("JP", 3, None, "Still discussing", status=ResponseStatus.DRAFT, by="@jp_rep"),
        row("JP", 2, "high", status=ResponseStatus.DRAFT, by="-admin"),
    ]


@pytest.fixture
def statuses() -> list[OfficeStatus]:
    """One Office at each stage: not invited, invited, verified, in progress, submitted."""

    def office(number: int, code: str, kind: str = "national") -> Office:
        names = {"en": "European Patent Office"} if code == "EP" else {}
        return Office(id=number, code=code, kind=kind, names=names)

    return [
        OfficeStatus(office(1, "AU"), False, 0, 0, None, None),
        OfficeStatus(office(2, "BR"), True, 0, 0, None, None),
        OfficeStatus(office(3, "CA"), True, 2, 0, None, None),
        OfficeStatus(office(4, "JP"), True, 1, 12, ResponseStatus.DRAFT, None),
        OfficeStatus(office(5, "EP", "regional"), True, 3, 40, ResponseStatus.SUBMITTED, SUBMITTED),
    ]


# -- the Office's paperwork: the workbook, its upload, the PDF ------------------------------------

PAPERWORK_LEVELS = ("high", "medium", "low", "no_opinion")


@pytest.fixture
def ep_office() -> Office:
    names = {"en": "European Patent Office", "fr": "Office européen des brevets"}
    return Office(id=5, code="EP", kind="regional", names=names)


@pytest.fixture
def fr_office() -> Office:
    return Office(id=7, code="FR", kind="national")


@pytest.fixture
def draft_answers(questionnaire: Questionnaire) -> dict[int, AnswerRecord]:
    """A draft: R01..R30 answered in turn High, Medium, Low, No opinion; a comment on every
    third (with accents, quotes, a formula, a line break); R31..R40 without an answer, R35
    with a comment only."""
    answers: dict[int, AnswerRecord] = {}
    for number in questionnaire.numbers:
        level = PAPERWORK_LEVELS[(number - 1) % 4] if number <= 30 else None
        comment = None
        if number % 3 == 0 and number <= 30:
            comment = f"Priorité n°{number} : élevée, año {number}; “phase 2”"
        if number == 9:
            comment = '=HYPERLINK("http://evil.example","click")'
        if number == 12:
            comment = "Two lines:\nsecond line"
        if number == 35:
            comment = "Still discussing"
        if level is None and comment is None:
            continue
        answers[number] = AnswerRecord(
            recommendation=number,
            level=level,
            comment=comment,
            changed_at=CHANGED,
            changed_by_id=1,
            changed_by_name="Zoë Müller" if number % 2 else "José Núñez",
        )
    return answers
