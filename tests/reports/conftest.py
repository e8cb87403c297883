"""Fixtures of the report tests: a digest with ties and unscored items, export rows with
tricky comments and names, and Offices at every stage of the survey."""

from __future__ import annotations

import pytest

from survey.model import ExportRow, Funnel, Office, OfficeStatus, ResponseStatus
from survey.questionnaire import Questionnaire
from survey.results import Digest, build_digest

from .helpers import COUNTS, GENERATED, INJECTION, SUBMITTED, TRICKY, row


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
