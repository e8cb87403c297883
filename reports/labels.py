"""Labels and values every report writes the same way: R-numbers, titles, level labels, the
Office funnel and times (ISO 8601 in UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

from survey.model import Funnel
from survey.questionnaire import Questionnaire

__all__ = ["funnel_counts", "iso_utc", "level_label", "recommendation_label", "title"]


def recommendation_label(number: int) -> str:
    """``R01`` .. ``R40``."""
    return f"R{number:02d}"


def funnel_counts(funnel: Funnel) -> list[tuple[str, int]]:
    """The Office funnel as (label, count) pairs, from listed to submitted."""
    return [
        ("listed", funnel.offices),
        ("invited", funnel.invited),
        ("verified", funnel.verified),
        ("started", funnel.started),
        ("submitted", funnel.submitted),
    ]


def iso_utc(moment: datetime | None) -> str:
    """ISO 8601 in UTC; a naive time (as SQLite returns them) is taken to be UTC already."""
    if moment is None:
        return ""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="seconds")


def title(questionnaire: Questionnaire, number: int, lang: str) -> str:
    """The Recommendation's title, or "" for a number the questionnaire does not have."""
    if not questionnaire.has_recommendation(number):
        return ""
    return questionnaire.recommendation(number).title(lang)


def level_label(questionnaire: Questionnaire, code: str | None, lang: str) -> str:
    """The level's label in ``lang``; "" for no level, the code itself for an unknown one."""
    if not code:
        return ""
    level = questionnaire.level(code)
    return level.label(lang) if level is not None else code
