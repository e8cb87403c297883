"""Why the survey refused something, as data the interface turns into a translated message."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Reason(StrEnum):
    # Verification
    UNKNOWN_CODE = "unknown_code"
    CODE_EXPIRED = "code_expired"
    CODE_REVOKED = "code_revoked"
    CODE_USED_UP = "code_used_up"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    OTHER_OFFICE = "other_office"
    # Answering and submitting
    NOT_VERIFIED = "not_verified"
    # Was verified, then removed by the Secretariat; details: `office` (survey.model.Office).
    REPRESENTATIVE_REMOVED = "representative_removed"
    DEADLINE_PASSED = "deadline_passed"
    ALREADY_SUBMITTED = "already_submitted"
    UNKNOWN_RECOMMENDATION = "unknown_recommendation"
    UNKNOWN_LEVEL = "unknown_level"
    COMMENT_TOO_LONG = "comment_too_long"
    INCOMPLETE = "incomplete"
    # A workbook's changes were confirmed after the answers changed (in the chat) since the
    # changes were shown; details: `numbers` (the Recommendations that changed).
    ANSWERS_CHANGED = "answers_changed"
    # Secretariat
    NOT_SECRETARIAT = "not_secretariat"
    UNKNOWN_OFFICE = "unknown_office"
    NOT_SUBMITTED = "not_submitted"
    BAD_INVITATION_TERMS = "bad_invitation_terms"
    UNKNOWN_REPRESENTATIVE = "unknown_representative"
    ALREADY_REMOVED = "already_removed"
    # details: `invitation_id`
    UNKNOWN_INVITATION = "unknown_invitation"
    # A new closing time must lie ahead; details: `deadline` (the one asked for), `now`.
    DEADLINE_NOT_FUTURE = "deadline_not_future"
    # A closing time at or after `latest` (near the calendar's end); details: `deadline`,
    # `latest`.
    DEADLINE_TOO_FAR = "deadline_too_far"
    # The purge (survey/purge.py) waits for the closing time unless forced; details:
    # `deadline` (None: no closing time), `now`.
    PURGE_BEFORE_DEADLINE = "purge_before_deadline"
    # The questionnaire (survey/questionnaire_versions.py). Another version was put in force
    # since the preview; details: `in_force` (its number), `expected` (the preview's), `by`
    # (who, "" when unknown), `at`.
    QUESTIONNAIRE_CHANGED_SINCE = "questionnaire_changed_since"
    # The same content as the version in force; details: `in_force`.
    QUESTIONNAIRE_IDENTICAL = "questionnaire_identical"
    # Numbering, count, scale codes or scores (or the id) would change while answers exist;
    # details: `changes` (survey.questionnaire_diff.StructureChange, each with its kind,
    # before and after), `answers` (how many answers exist).
    QUESTIONNAIRE_STRUCTURE_LOCKED = "questionnaire_structure_locked"


class Refused(Exception):  # noqa: N818 - reads naturally: `except Refused as refusal`
    """The survey said no. `reason` says why; `details` carries what a message needs."""

    def __init__(self, reason: Reason, message: str = "", **details: Any) -> None:
        self.reason = reason
        self.details: Mapping[str, Any] = MappingProxyType(details)
        super().__init__(message or reason.value)
