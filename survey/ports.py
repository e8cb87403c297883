"""What the survey layer needs from storage. `storage` provides it; `survey` never imports it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

from survey.model import (
    Actor,
    AnswerRecord,
    ExportRow,
    Funnel,
    Invitation,
    Office,
    OfficeStatus,
    Receipt,
    Representative,
    RepresentativeSummary,
    ResponseRecord,
)
from survey.offices import OfficeInfo


class SurveyStore(Protocol):
    """One unit of work. Nothing is kept unless `commit` is called."""

    async def commit(self) -> None: ...

    # Offices
    async def office_by_code(self, code: str) -> Office | None: ...
    async def office_by_id(self, office_id: int) -> Office | None: ...
    async def count_offices(self) -> int: ...
    async def upsert_offices(self, offices: Sequence[OfficeInfo]) -> tuple[int, int]: ...
    async def office_statuses(self, questionnaire_id: str) -> list[OfficeStatus]: ...

    # Invitations
    async def add_invitation(
        self,
        *,
        office_id: int,
        code_hash: str,
        expires_at: datetime | None,
        max_uses: int | None,
        created_by: str,
        now: datetime,
    ) -> Invitation: ...
    async def invitation_by_hash(self, code_hash: str) -> tuple[Invitation, str] | None: ...
    async def claim_invitation_use(self, invitation_id: int) -> bool: ...
    async def revoke_invitation(self, invitation_id: int, now: datetime) -> bool: ...
    async def revoke_office_invitations(self, office_id: int, now: datetime) -> int: ...

    # Representatives
    async def representative(self, telegram_user_id: int) -> Representative | None: ...
    async def save_representative(
        self,
        *,
        telegram_user_id: int,
        office_id: int,
        full_name: str,
        language: str | None,
        now: datetime,
    ) -> Representative: ...
    async def language(self, telegram_user_id: int) -> str | None: ...
    async def set_language(self, telegram_user_id: int, language: str, now: datetime) -> None: ...
    async def office_representatives(self, office_id: int) -> list[Representative]:
        """The active ones only."""
        ...

    async def representative_summaries(
        self, office_id: int, questionnaire_id: str
    ) -> list[RepresentativeSummary]:
        """Everyone verified for the Office and still attached to it, removed ones included."""
        ...

    async def remove_representative(self, representative_id: int, now: datetime) -> bool:
        """False if they were removed already (perhaps a moment ago, by someone else)."""
        ...

    # Responses and answers
    async def response(
        self, office_id: int, questionnaire_id: str, *, lock: bool = False
    ) -> ResponseRecord | None: ...
    async def ensure_response(
        self, office_id: int, questionnaire_id: str, now: datetime
    ) -> ResponseRecord: ...
    async def answers(self, response_id: int) -> list[AnswerRecord]: ...
    async def save_answer(
        self,
        response_id: int,
        recommendation: int,
        *,
        values: Mapping[str, str | None],
        by: int,
        now: datetime,
    ) -> None: ...
    async def mark_submitted(
        self, response_id: int, *, by: int, now: datetime, receipt: Receipt
    ) -> bool: ...
    async def mark_draft(self, response_id: int) -> bool: ...

    # Audit and rate limiting
    async def audit(
        self,
        actor: Actor,
        action: str,
        *,
        now: datetime,
        office_id: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None: ...
    async def audit_times(self, actor: Actor, action: str, since: datetime) -> list[datetime]: ...

    # Results
    async def level_counts(
        self, questionnaire_id: str, *, include_drafts: bool
    ) -> list[tuple[int, str, int]]: ...
    async def funnel(self, questionnaire_id: str) -> Funnel: ...
    async def export_rows(self, questionnaire_id: str) -> list[ExportRow]: ...


class StoreFactory(Protocol):
    def __call__(self) -> AbstractAsyncContextManager[SurveyStore]: ...
