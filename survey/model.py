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


class ResponseStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something, for rights checks and the audit trail."""

    kind: str  # "telegram" or "cli"
    id: str
    name: str = ""

    @classmethod
    def telegram(cls, user_id: int, name: str = "") -> Actor:
        return cls("telegram", str(user_id), name)

    @classmethod
    def cli(cls) -> Actor:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        return cls("cli", user, user)

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


@dataclass(frozen=True, slots=True)
class OfficeStatus:
    """One Office's place in the survey, for the Secretariat's overview."""

    office: Office
    invited: bool
    representatives: int
    answered: int
    status: ResponseStatus | None
    submitted_at: datetime | None


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
