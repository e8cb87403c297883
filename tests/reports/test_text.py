"""The plain-text report of the results."""

from __future__ import annotations

from reports.text import digest_text
from survey.model import Funnel
from survey.questionnaire import Questionnaire
from survey.results import Digest, build_digest

from .helpers import GENERATED


def table_rows(text: str) -> list[list[str]]:
    """The lines of the ranking table (after the dashed rule), split into columns."""
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("----"))
    return [line.split() for line in lines[rule + 1 :] if line.strip()]


def test_text_has_header_and_funnel(digest: Digest, questionnaire: Questionnaire) -> None:
    text = digest_text(digest, questionnaire)

    assert "cws-ict-2021" in text
    assert "2026-06-01T09:30:00+00:00" in text
    assert "drafts not included" in text
    lines = text.splitlines()
    for label, value in [
        ("listed", "193"),
        ("invited", "20"),
        ("verified", "15"),
        ("started", "12"),
        ("submitted", "10"),
    ]:
        assert any(line.split()[:2] == [label, value] for line in lines if line.strip()), label


def test_text_says_when_drafts_are_counted(questionnaire: Questionnaire) -> None:
    digest = build_digest(
        questionnaire, [], Funnel(1, 1, 1, 1, 0), generated_at=GENERATED, include_drafts=True
    )
    text = digest_text(digest, questionnaire)

    assert "drafts not included" not in text
    assert "drafts" in text
    assert "No answers counted yet." in text


def test_text_has_the_score_explanation(digest: Digest, questionnaire: Questionnaire) -> None:
    text = digest_text(digest, questionnaire)

    assert " ".join(digest.score_explanation().split()) in " ".join(text.split())


def test_text_ranks_by_score_then_lists_the_unscored(
    digest: Digest, questionnaire: Questionnaire
) -> None:
    table = table_rows(digest_text(digest, questionnaire))

    assert [cells[:2] for cells in table[:4]] == [
        ["1", "R05"],
        ["2", "R01"],
        ["3", "R02"],
        ["3", "R03"],
    ]
    # High, Medium, Low, No opinion, Answered, Score are the last six columns.
    assert table[0][-6:] == ["3", "0", "1", "0", "4", "2.50"]
    assert table[1][-6:] == ["1", "2", "0", "0", "3", "2.33"]
    assert table[3][-6:] == ["0", "4", "0", "0", "4", "2.00"]
    unscored = table[4:]
    assert len(unscored) == 36
    assert all(cells[0] == "–" and cells[-1] == "–" for cells in unscored)
    assert [cells[1] for cells in unscored][:3] == ["R04", "R06", "R07"]
    r07 = next(cells for cells in unscored if cells[1] == "R07")
    assert r07[-6:] == ["0", "0", "0", "2", "2", "–"]


def test_text_columns_are_aligned_and_titles_shortened(
    digest: Digest, questionnaire: Questionnaire
) -> None:
    text = digest_text(digest, questionnaire)
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("----"))
    table = [lines[rule - 1], *lines[rule + 1 : rule + 41]]

    # Every line ends with the right-aligned score column, so all lines have the same length.
    assert len({len(line) for line in table}) == 1
    title = questionnaire.recommendation(1).title("en")
    assert len(title) > 50
    assert title[:40] in text
    assert title not in text
    assert "…" in lines[rule + 2]


def test_text_in_french_uses_french_labels_and_titles(
    digest: Digest, questionnaire: Questionnaire
) -> None:
    text = digest_text(digest, questionnaire, lang="fr")
    header = next(line for line in text.splitlines() if line.startswith("Rank"))

    for label in ("Élevée", "Moyenne", "Faible", "Sans opinion"):
        assert label in header
    assert "High" not in header
    assert questionnaire.recommendation(5).title("fr")[:30] in text
