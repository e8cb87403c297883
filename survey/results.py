"""The results digest: counts per level, a score and a rank per Recommendation.

The database does the counting (one GROUP BY); this module only turns at most
40 x levels counts into scores, so it costs the same for 10 Offices or 10,000.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from survey.model import Funnel
from survey.questionnaire import Questionnaire


@dataclass(frozen=True, slots=True)
class RecommendationResult:
    number: int
    counts: Mapping[str, int]  # every level of the scale, zeros included
    answered: int
    scored: int  # answers with a level that has a score
    score: float | None  # mean score over `scored`; None when nobody gave a scored level
    rank: int | None


@dataclass(frozen=True, slots=True)
class Digest:
    questionnaire_id: str
    generated_at: datetime
    include_drafts: bool
    funnel: Funnel
    scores: Mapping[str, int]
    items: tuple[RecommendationResult, ...]  # by number

    @property
    def ranking(self) -> list[RecommendationResult]:
        ranked = [item for item in self.items if item.rank is not None]
        return sorted(ranked, key=lambda item: (item.rank, item.number))

    def score_explanation(self) -> str:
        weights = ", ".join(f"{code} = {score}" for code, score in self.scores.items())
        return (
            f"Score: mean of {weights} over the Offices that gave one of these levels; "
            "other levels count as answered but not in the score. "
            "Equal scores share a rank."
        )


def build_digest(
    questionnaire: Questionnaire,
    counts: Iterable[tuple[int, str, int]],
    funnel: Funnel,
    *,
    generated_at: datetime,
    include_drafts: bool,
) -> Digest:
    scores = questionnaire.scores()
    levels = [level.code for level in questionnaire.scale]
    table: dict[int, dict[str, int]] = {
        number: dict.fromkeys(levels, 0) for number in questionnaire.numbers
    }
    for number, level, count in counts:
        # Rows for a level or Recommendation no longer in the file are ignored, not guessed at.
        if number in table and level in table[number]:
            table[number][level] += count

    interim = []
    for number, row in table.items():
        scored = sum(row[code] for code in scores)
        total = sum(row[code] * weight for code, weight in scores.items())
        score = round(total / scored, 4) if scored else None
        interim.append((number, row, sum(row.values()), scored, score))

    ranks = _competition_ranks({number: score for number, _, _, _, score in interim})
    items = tuple(
        RecommendationResult(number, row, answered, scored, score, ranks.get(number))
        for number, row, answered, scored, score in interim
    )
    return Digest(
        questionnaire_id=questionnaire.id,
        generated_at=generated_at,
        include_drafts=include_drafts,
        funnel=funnel,
        scores=scores,
        items=items,
    )


def _competition_ranks(scores: Mapping[int, float | None]) -> dict[int, int]:
    """Standard competition ranking ("1, 2, 2, 4"), highest score first."""
    ordered = sorted(
        ((score, number) for number, score in scores.items() if score is not None),
        key=lambda pair: -pair[0],
    )
    ranks: dict[int, int] = {}
    previous: float | None = None
    rank = 0
    for position, (score, number) in enumerate(ordered, start=1):
        if score != previous:
            rank, previous = position, score
        ranks[number] = rank
    return ranks
