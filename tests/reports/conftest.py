"""Fixtures of the report tests: a digest with ties and unscored items, and export rows with
tricky comments and names."""

from __future__ import annotations

import pytest

from survey.model import ExportRow, Funnel, ResponseStatus
from survey.questionnaire import Questionnaire
from survey.results import Digest, build_digest

from .helpers import COUNTS, GENERATED, INJECTION, TRICKY, row


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
