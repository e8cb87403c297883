"""What the representatives' screens show, read in one unit of work each: where a person
stands (`Whereabouts`), their Office's answers so far (`Progress`), the review, what a
submission changed (`Submission`), and the closing time (`Deadline`).

The closing time is read from the database in the same unit of work as the rest, so that an
extension by the Secretariat shows (and reopens answering) at once, on every replica."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from survey import rules
from survey.model import (
    Addressee,
    AnswerChoice,
    AnswerRecord,
    Office,
    Receipt,
    Representative,
    ResponseRecord,
)
from survey.questionnaire import Questionnaire
from survey.setup import TextUpdate


@dataclass(frozen=True, slots=True)
class Deadline:
    """The survey's closing time as it stands now (None: no closing time)."""

    at: datetime | None
    closed: bool


@dataclass(frozen=True, slots=True)
class Membership:
    """A verified representative and the Office they answer for."""

    representative: Representative
    office: Office
    newly_verified: bool = False


@dataclass(frozen=True, slots=True)
class Progress:
    answered: int
    total: int
    unanswered: tuple[int, ...]
    submitted: bool
    answers: Mapping[int, AnswerChoice] = field(default_factory=dict)
    # Submitted, or the survey has closed: the answers are shown, not changed.
    read_only: bool = False
    deadline: datetime | None = None  # the closing time read with the answers
    # Recommendation -> when its text changed after the Office's answer to it was given (the
    # answer stands, but the Office is asked to check it; answering or confirming clears it).
    wording_updated: Mapping[int, datetime] = field(default_factory=dict)

    @property
    def first_unanswered(self) -> int | None:
        return self.unanswered[0] if self.unanswered else None

    @property
    def complete(self) -> bool:
        return not self.unanswered

    def answer(self, number: int) -> AnswerChoice | None:
        return self.answers.get(number)

    def next_unanswered(self, after: int) -> int | None:
        """The next one still to answer after `after`, wrapping round to the start."""
        later = [number for number in self.unanswered if number > after]
        candidates = later or list(self.unanswered)
        return candidates[0] if candidates else None


@dataclass(frozen=True, slots=True)
class Whereabouts:
    """Who this person answers for and how far their Office is."""

    membership: Membership
    progress: Progress

    @property
    def office(self) -> Office:
        return self.membership.office

    @property
    def deadline(self) -> datetime | None:
        return self.progress.deadline


@dataclass(frozen=True, slots=True)
class ReviewItem:
    number: int
    level: str | None
    has_comment: bool
    changed_by: str | None
    changed_at: datetime | None
    wording_updated: datetime | None = None  # as `Progress.wording_updated`


@dataclass(frozen=True, slots=True)
class Review:
    office: Office
    response: ResponseRecord
    items: tuple[ReviewItem, ...]
    several_representatives: bool
    read_only: bool  # submitted, or the survey has closed
    deadline: datetime | None = None

    @property
    def unanswered(self) -> list[int]:
        return [item.number for item in self.items if item.level is None]

    @property
    def can_submit(self) -> bool:
        return not self.read_only and not self.unanswered


@dataclass(frozen=True, slots=True)
class Submission:
    response: ResponseRecord  # as stored, with its receipt
    # The Office's other active representatives, to be told (read in the same unit of work).
    colleagues: tuple[Representative, ...]
    office: Office
    # The Secretariat members to announce it to: those who have not switched it off.
    secretariat: tuple[Addressee, ...] = ()
    # The notices to them, recorded with the submission (survey/broadcasts.py), if asked for.
    broadcast: int | None = None


def progress_of(
    questionnaire: Questionnaire,
    response: ResponseRecord | None,
    answers: Sequence[AnswerChoice],
    *,
    deadline: datetime | None,
    now: datetime,
    text_updates: Mapping[int, TextUpdate] | None = None,
) -> Progress:
    answered = {a.recommendation for a in answers if a.level}
    numbers = questionnaire.numbers
    submitted = bool(response and response.submitted)
    return Progress(
        answered=sum(1 for number in numbers if number in answered),
        total=len(numbers),
        unanswered=tuple(number for number in numbers if number not in answered),
        submitted=submitted,
        answers={a.recommendation: a for a in answers},
        read_only=submitted or not rules.is_open(deadline, now),
        deadline=deadline,
        wording_updated=wording_updated(text_updates or {}, answers),
    )


def wording_updated(
    text_updates: Mapping[int, TextUpdate], answers: Sequence[AnswerChoice | AnswerRecord]
) -> dict[int, datetime]:
    """Recommendation -> when its text changed, for the answers given under an earlier
    version of it."""
    marks: dict[int, datetime] = {}
    for answer in answers:
        update = text_updates.get(answer.recommendation)
        if update is not None and answer.version < update.version:
            marks[answer.recommendation] = update.at
    return marks


@dataclass(frozen=True, slots=True)
class OfficeAnswers:
    """An Office's answers as its files show them (the workbook, the PDF): the Office, its
    answers by Recommendation number, and its response (None: nothing answered yet)."""

    office: Office
    answers: Mapping[int, AnswerRecord]
    response: ResponseRecord | None
    read_at: datetime  # the time of the read: the workbook's download time, the PDF's date

    @property
    def receipt(self) -> Receipt | None:
        return self.response.receipt if self.response is not None else None

    @property
    def submitted(self) -> bool:
        return self.response is not None and self.response.submitted
