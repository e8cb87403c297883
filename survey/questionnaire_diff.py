"""What differs between two questionnaires: texts that changed (per Recommendation, per part,
per language) and changes of structure (numbering, count, scale codes and scores, id).

Texts may change while answers exist; structure may not, because stored answers point at numbers
and level codes and the ranking at scores. Both the preview shown to the Secretariat and the
rule that refuses a change are read from one `QuestionnaireDiff`, so what is shown is what is
enforced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from survey.questionnaire import LANGUAGES, Questionnaire

__all__ = ["QuestionnaireDiff", "StructureChange", "StructureKind", "TextChange", "diff"]


class StructureKind(StrEnum):
    ID = "id"  # every response is stored under the questionnaire's id
    COUNT = "count"
    NUMBERS = "numbers"
    SCALE_CODES = "scale_codes"
    SCALE_SCORES = "scale_scores"


@dataclass(frozen=True, slots=True)
class StructureChange:
    """One change of structure; `before` and `after` are short, language-neutral values
    (numbers, codes) for a message to quote."""

    kind: StructureKind
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class TextChange:
    """A text that changed in at least one language.

    `number` is the Recommendation's number, or None for a text of the whole questionnaire;
    `part` is "title" or "statement" for a Recommendation, "source", "source_url", "wording"
    or "label:<code>" (a scale level's label) otherwise. `languages` is empty for the parts
    that have no language (source_url, wording).
    """

    number: int | None
    part: str
    languages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QuestionnaireDiff:
    texts: tuple[TextChange, ...]
    structure: tuple[StructureChange, ...]

    @property
    def is_empty(self) -> bool:
        return not self.texts and not self.structure

    def changed_numbers(self) -> tuple[int, ...]:
        """Recommendations whose title or statement changed, in order."""
        return tuple(sorted({c.number for c in self.texts if c.number is not None}))


def _languages(before: Mapping[str, str], after: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(lang for lang in LANGUAGES if before.get(lang) != after.get(lang))


def _numbers(numbers: tuple[int, ...]) -> str:
    return ", ".join(map(str, sorted(numbers)))


def diff(before: Questionnaire, after: Questionnaire) -> QuestionnaireDiff:
    """What `after` changes compared with `before` (the version in force)."""
    structure: list[StructureChange] = []
    if before.id != after.id:
        structure.append(StructureChange(StructureKind.ID, before.id, after.id))
    if len(before) != len(after):
        structure.append(StructureChange(StructureKind.COUNT, str(len(before)), str(len(after))))
    if set(before.numbers) != set(after.numbers):
        structure.append(
            StructureChange(
                StructureKind.NUMBERS, _numbers(before.numbers), _numbers(after.numbers)
            )
        )
    codes_before = tuple(level.code for level in before.scale)
    codes_after = tuple(level.code for level in after.scale)
    if codes_before != codes_after:
        structure.append(
            StructureChange(
                StructureKind.SCALE_CODES, ", ".join(codes_before), ", ".join(codes_after)
            )
        )
    elif before.scores() != after.scores():

        def scores(q: Questionnaire) -> str:
            return ", ".join(f"{level.code}={level.score}" for level in q.scale)

        structure.append(StructureChange(StructureKind.SCALE_SCORES, scores(before), scores(after)))

    texts: list[TextChange] = []
    if before.wording != after.wording:
        texts.append(TextChange(None, "wording", ()))
    if langs := _languages(before.sources, after.sources):
        texts.append(TextChange(None, "source", langs))
    if before.source_url != after.source_url:
        texts.append(TextChange(None, "source_url", ()))
    for level in after.scale:
        old = before.level(level.code)
        if old is not None and (langs := _languages(old.labels, level.labels)):
            texts.append(TextChange(None, f"label:{level.code}", langs))
    for item in after.recommendations:
        if not before.has_recommendation(item.number):
            continue  # a structure change, said above
        old_item = before.recommendation(item.number)
        if langs := _languages(old_item.titles, item.titles):
            texts.append(TextChange(item.number, "title", langs))
        if langs := _languages(old_item.statements, item.statements):
            texts.append(TextChange(item.number, "statement", langs))
    return QuestionnaireDiff(texts=tuple(texts), structure=tuple(structure))
