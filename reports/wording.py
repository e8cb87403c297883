"""What the results files say of the wording: the questionnaire version in force and its
wording kind, and which Recommendations' texts changed after answers began, with how many
answers were given under an earlier text (survey/questionnaire_versions.py)."""

from __future__ import annotations

from collections.abc import Iterable

from reports.i18n import report_language, translations
from reports.labels import long_date, recommendation_label
from reports.numbers import format_number
from survey.model import ExportRow
from survey.questionnaire import OFFICIAL
from survey.setup import InForce

__all__ = ["changed_after_answers_lines", "version_text", "wording_kind"]


def wording_kind(wording: str, lang: str) -> str:
    _ = translations(report_language(lang)).gettext
    return _("official wording") if wording == OFFICIAL else _("working summary")


def version_text(in_force: InForce, lang: str) -> str:
    """ "version 2, official wording"."""
    _ = translations(report_language(lang)).gettext
    wording = in_force.wording or in_force.questionnaire.wording
    return _("version {number}, {wording}").format(
        number=format_number(in_force.version, lang), wording=wording_kind(wording, lang)
    )


def changed_after_answers_lines(
    in_force: InForce, rows: Iterable[ExportRow], lang: str
) -> list[str]:
    """One line per Recommendation whose text changed after answers began, by number:
    "R17: changed on 4 June 2026 (version 2); 3 answers given under an earlier text"."""
    translation = translations(report_language(lang))
    earlier = in_force.earlier_answers((row.recommendation, row.version) for row in rows)
    lines = []
    for change in in_force.changed_after_answers:
        count = earlier.get(change.number, 0)
        lines.append(
            translation.ngettext(
                "{recommendation}: changed on {date} (version {version}); {count} answer given "
                "under an earlier text",
                "{recommendation}: changed on {date} (version {version}); {count} answers given "
                "under an earlier text",
                count,
            ).format(
                recommendation=recommendation_label(change.number),
                date=long_date(change.at, lang),
                version=format_number(change.version, lang),
                count=format_number(count, lang),
            )
        )
    return lines
