"""The results as plain text for a terminal (``python -m bot results --format text``)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from reports.labels import funnel_counts, iso_utc, recommendation_label, title
from survey.model import Funnel
from survey.questionnaire import Questionnaire
from survey.results import Digest

__all__ = ["NO_VALUE", "TITLE_WIDTH", "digest_text"]

TITLE_WIDTH = 50  # characters of a title in the text report
NO_VALUE = "–"  # shown in the text report for a missing score or rank

_WRAP = 100  # width of the prose lines in the text report


def digest_text(digest: Digest, questionnaire: Questionnaire, lang: str = "en") -> str:
    """A plain-text report for a terminal: header, Office funnel, score rule, ranked table."""
    drafts = (
        "submitted answers and drafts"
        if digest.include_drafts
        else "submitted answers only (drafts not included)"
    )
    lines = [
        f"Results of questionnaire {digest.questionnaire_id}",
        f"Generated: {iso_utc(digest.generated_at)}",
        f"Counted:   {drafts}",
    ]
    if questionnaire.is_working_summary:
        lines.append("Wording:   working summary, not the official text of the Recommendations")
    lines += ["", "Offices", *_funnel_lines(digest.funnel), ""]
    lines += textwrap.wrap(digest.score_explanation(), _WRAP)
    lines.append("")
    lines += _table_lines(digest, questionnaire, lang)
    return "\n".join(lines) + "\n"


def _funnel_lines(funnel: Funnel) -> list[str]:
    values = funnel_counts(funnel)
    width = max(len(str(value)) for _, value in values)
    lines = []
    for label, value in values:
        line = f"  {label:<10}{value:>{width}}"
        if label != "listed" and funnel.offices:
            line += f"  {100 * value / funnel.offices:5.1f}%"
        lines.append(line)
    return lines


def _table_lines(digest: Digest, questionnaire: Questionnaire, lang: str) -> list[str]:
    items = [*digest.ranking, *(item for item in digest.items if item.score is None)]
    levels = [(level.code, level.label(lang)) for level in questionnaire.scale]
    header = ["Rank", "No.", "Title", *(label for _, label in levels), "Answered", "Score"]
    rows = [
        [
            str(item.rank) if item.rank is not None else NO_VALUE,
            recommendation_label(item.number),
            _shorten(title(questionnaire, item.number, lang), TITLE_WIDTH),
            *(str(item.counts.get(code, 0)) for code, _ in levels),
            str(item.answered),
            f"{item.score:.2f}" if item.score is not None else NO_VALUE,
        ]
        for item in items
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    widths[2] = max(widths[2], min(TITLE_WIDTH, 20))
    left = {1, 2}  # the R-number and the title; numbers are right-aligned

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.ljust(width) if i in left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    lines = [line(header), line(["-" * width for width in widths])]
    lines += [line(row) for row in rows]
    if not any(item.answered for item in items):
        lines += ["", "No answers counted yet."]
    return lines


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
