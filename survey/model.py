"""Plain domain records passed between the survey layer and its callers.

Storage turns its rows into these; dialogs and the command line read them. None of them knows
about a database session or about Telegram.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from survey.offices import office_name
from survey.text import clean_text


class ResponseStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something, for rights checks and the audit trail."""

    kind: str  # "telegram", "cli", or "system" (the bot's own scheduled work)
    id: str
    name: str = ""

    @classmethod
    def telegram(cls, user_id: int, name: str = "") -> Actor:
        return cls("telegram", str(user_id), clean_text(name))

    @classmethod
    def cli(cls) -> Actor:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        return cls("cli", user, user)

    @classmethod
    def system(cls, task: str = "scheduler") -> Actor:
        """The bot itself, e.g. the automatic reminders: never a person, never from a chat."""
        return cls("system", task, task)

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True, slots=True)
class Office:
    id: int
    code: str
    kind: str
    names: Mapping[str, str] = field(default_factory=dict)

    def name(self, lang: str) -> str:
        return office_name(self.code, lang, self.names)


@dataclass(frozen=True, slots=True)
class Representative:
    id: int
    telegram_user_id: int
    office_id: int
    full_name: str
    language: str | None
    verified_at: datetime
    revoked_at: datetime | None  # when the Secretariat removed them; None while active
    forgotten_at: datetime | None = None  # erased (survey/privacy.py): a pseudonym since

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class RepresentativeSummary:
    """One person on an Office's list for the Secretariat, removed ones included."""

    representative: Representative
    last_changed: int  # how many of the Office's current answers this person changed last


@dataclass(frozen=True, slots=True)
class Invitation:
    id: int
    office_id: int
    created_at: datetime
    expires_at: datetime | None
    max_uses: int | None
    uses: int
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class Receipt:
    """What an Office gets after submitting; every representative of the Office can see it."""

    submitted_at: datetime
    submitted_by: str
    reference: str  # short fingerprint of the submitted answers
    level_counts: Mapping[str, int]
    commented: int


@dataclass(frozen=True, slots=True)
class ResponseRecord:
    id: int
    office_id: int
    questionnaire_id: str
    status: ResponseStatus
    submitted_at: datetime | None = None
    submitted_by_name: str | None = None
    receipt: Receipt | None = None

    @property
    def submitted(self) -> bool:
        return self.status is ResponseStatus.SUBMITTED


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    recommendation: int
    level: str | None  # None: only a comment so far, not answered
    comment: str | None
    changed_at: datetime
    changed_by_id: int | None
    changed_by_name: str | None
    version: int = 1  # the questionnaire version it was given (or confirmed) under


@dataclass(frozen=True, slots=True)
class AnswerChoice:
    """What a Recommendation's window shows of its answer (progress reads only this)."""

    recommendation: int
    level: str | None  # None: only a comment so far, not answered
    comment: str | None
    version: int = 1  # the questionnaire version it was given (or confirmed) under


class OfficeStage(StrEnum):
    """How far an Office has come, for the Secretariat's lists and filters."""

    NOT_INVITED = "not_invited"
    INVITED = "invited"  # an invitation exists, nobody verified (now)
    VERIFIED = "verified"  # someone verified, no answer yet
    IN_PROGRESS = "in_progress"  # answers given, not submitted
    SUBMITTED = "submitted"


def office_stage(
    *, invited: bool, representatives: int, answered: int, submitted: bool
) -> OfficeStage:
    """The furthest stage reached: answers count even if their authors were removed since."""
    if submitted:
        return OfficeStage.SUBMITTED
    if answered:
        return OfficeStage.IN_PROGRESS
    if representatives:
        return OfficeStage.VERIFIED
    if invited:
        return OfficeStage.INVITED
    return OfficeStage.NOT_INVITED


@dataclass(frozen=True, slots=True)
class OfficeStatus:
    """One Office's place in the survey, for the Secretariat's overview: a list line such as
    "in progress 12/40" or "submitted on T" (the total is the questionnaire's length)."""

    office: Office
    invited: bool  # ever invited (revoked and expired invitations count)
    representatives: int  # active ones
    answered: int
    status: ResponseStatus | None
    submitted_at: datetime | None

    @property
    def stage(self) -> OfficeStage:
        return office_stage(
            invited=self.invited,
            representatives=self.representatives,
            answered=self.answered,
            submitted=self.status is ResponseStatus.SUBMITTED,
        )


@dataclass(frozen=True, slots=True)
class DeadlineSetting:
    """The closing time as stored; None: the Secretariat removed the deadline."""

    deadline: datetime | None
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True, slots=True)
class Addressee:
    """Someone the bot writes to on its own (a Secretariat member told of a submission), with
    the language they chose, if they did."""

    telegram_user_id: int
    language: str | None


@dataclass(frozen=True, slots=True)
class UserPreference:
    telegram_user_id: int
    language: str | None
    submission_notices: bool  # Secretariat members: be told of each submission (default on)


@dataclass(frozen=True, slots=True)
class Funnel:
    offices: int
    invited: int
    verified: int
    started: int
    submitted: int


@dataclass(frozen=True, slots=True)
class ExportRow:
    office_code: str
    office_kind: str
    office_names: Mapping[str, str]
    status: ResponseStatus
    submitted_at: datetime | None
    recommendation: int
    level: str | None
    comment: str | None
    changed_at: datetime
    changed_by_name: str | None
    version: int = 1  # the questionnaire version the answer was given (or confirmed) under


@dataclass(frozen=True, slots=True)
class NoticeAcknowledgement:
    """A person's "I understand" to a version of the privacy notice."""

    version: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    office_id: int | None
    details: Mapping[str, object]
