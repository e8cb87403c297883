"""What the survey layer needs from storage. `storage` provides it; `survey` never imports it."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from survey.model import (
    Actor,
    AnswerChoice,
    AnswerRecord,
    AuditEntry,
    DeadlineSetting,
    ExportRow,
    Funnel,
    Invitation,
    NoticeAcknowledgement,
    Office,
    OfficeStatus,
    Receipt,
    Representative,
    RepresentativeSummary,
    ResponseRecord,
    UserPreference,
)
from survey.offices import OfficeInfo

if TYPE_CHECKING:  # survey.jobs uses this module: its records are named here, not imported
    from survey.jobs import Job
    from survey.pseudonyms import Forgetting
    from survey.questionnaire_versions import StoredVersion

# The submitted responses of a questionnaire, summed up: how many, the sum of their ids and
# the latest submission. Submitted answers cannot change, so while the mark stays the same,
# so do the counts of the submitted answers.


class SurveyStore(Protocol):
    """One unit of work. Nothing is kept unless `commit` is called."""

    async def commit(self) -> None: ...

    # Offices
    async def office_by_code(self, code: str) -> Office | None: ...
    async def office_by_id(self, office_id: int) -> Office | None: ...
    async def count_offices(self) -> int: ...
    async def upsert_offices(self, offices: Sequence[OfficeInfo]) -> tuple[int, int]: ...
    async def office_statuses(self, questionnaire_id: str) -> list[OfficeStatus]: ...
    async def offices_to_invite(self, questionnaire_id: str, now: datetime) -> list[Office]:
        """Offices without a usable invitation whose response is not submitted, by code."""
        ...

    async def invited_unverified_offices(
        self, questionnaire_id: str, now: datetime
    ) -> list[Office]:
        """Offices with a usable or used invitation, no active representative, not submitted."""
        ...

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
    async def invitation_by_id(self, invitation_id: int) -> Invitation | None: ...
    async def office_invitations(self, office_id: int) -> list[Invitation]:
        """Every invitation of the Office, revoked and expired ones included, newest first."""
        ...

    async def claim_invitation_use(self, invitation_id: int) -> bool: ...
    async def revoke_invitation(self, invitation_id: int, now: datetime) -> bool: ...
    async def revoke_office_invitations(self, office_id: int, now: datetime) -> int: ...

    # Representatives
    async def representative(self, telegram_user_id: int) -> Representative | None: ...
    async def representative_and_deadline(
        self, telegram_user_id: int, questionnaire_id: str
    ) -> tuple[Representative | None, DeadlineSetting | None]:
        """`representative` and `deadline_setting` read together (every write needs both)."""
        ...

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
    async def preferences(self, telegram_user_ids: Collection[int]) -> list[UserPreference]:
        """What those of these users who chose anything chose."""
        ...

    async def set_submission_notices(
        self, telegram_user_id: int, on: bool, now: datetime
    ) -> None: ...
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

    async def unsubmitted_representatives(
        self, questionnaire_id: str
    ) -> list[tuple[Representative, Office]]:
        """Active representatives of every Office that has not submitted, by Office code."""
        ...

    # Responses and answers
    async def response(
        self, office_id: int, questionnaire_id: str, *, lock: bool = False
    ) -> ResponseRecord | None: ...
    async def ensure_response(
        self, office_id: int, questionnaire_id: str, now: datetime
    ) -> ResponseRecord: ...
    async def answers(self, response_id: int) -> list[AnswerRecord]: ...
    async def answer_choices(self, response_id: int) -> list[AnswerChoice]: ...

    async def save_answer(
        self,
        response_id: int,
        recommendation: int,
        *,
        values: Mapping[str, str | None],
        by: int,
        now: datetime,
        version: int,
    ) -> None:
        """`version`: the questionnaire version the answer is given under."""
        ...

    async def mark_submitted(
        self, response_id: int, *, by: int, now: datetime, receipt: Receipt
    ) -> bool: ...
    async def mark_draft(self, response_id: int) -> bool: ...

    # Survey settings and reminders
    async def deadline_setting(self, questionnaire_id: str) -> DeadlineSetting | None:
        """None while the Secretariat never set one (the configured deadline applies)."""
        ...

    async def save_deadline(
        self, questionnaire_id: str, deadline: datetime | None, *, by: str, now: datetime
    ) -> None: ...
    async def workbook_key(self) -> bytes | None:
        """The secret that signs the Office workbooks; None until one is made."""
        ...

    async def add_workbook_key(self, candidate: bytes, now: datetime) -> bytes:
        """Store ``candidate`` unless a key is stored already (another process may have just
        made one), and return the key stored, which every process then uses."""
        ...

    async def reminder_claims(self, questionnaire_id: str, deadline: datetime) -> set[timedelta]:
        """The offsets already claimed (sent or skipped) for this closing time."""
        ...

    async def claim_reminder(
        self,
        questionnaire_id: str,
        deadline: datetime,
        offset: timedelta,
        *,
        sent: bool,
        now: datetime,
    ) -> bool:
        """Insert the claim unless it exists: True for exactly one caller, whoever else tries
        (another replica, a restarted process) at the same time or later."""
        ...

    # The purge (survey/purge.py)
    async def purge_claimed(self, questionnaire_id: str, deadline: datetime) -> bool:
        """Whether the automatic purge for this closing time is claimed (a read: the scheduler
        asks every minute, and writes only when it is due and unclaimed)."""
        ...

    async def delete_invitations(self) -> int: ...
    async def delete_audit(self, action: str) -> int:
        """Every audit entry of one action (the purge's failed code attempts)."""
        ...

    async def delete_preferences(self, *, keep: Collection[int]) -> int:
        """Stored choices (language, notices) of everyone but the users in `keep`."""
        ...

    # Broadcasts (survey/broadcasts.py)
    async def add_broadcast(
        self,
        *,
        kind: str,
        actor: str,
        messages: Sequence[tuple[int, str]],
        now: datetime,
        offset_seconds: int | None,
        report_chat: int | None,
        report_language: str | None,
    ) -> int:
        """The broadcast and a pending recipient per (chat, text); its id."""
        ...

    async def next_broadcast_recipient(self, broadcast_id: int) -> tuple[int, int, str] | None:
        """(Recipient id, chat, text) of the first pending, unclaimed recipient."""
        ...

    async def claim_broadcast_recipient(
        self, recipient_id: int, now: datetime, again: bool
    ) -> bool:
        """Pending to sending, for exactly one caller; `again`: renew a claim held."""
        ...

    async def settle_broadcast_recipient(
        self, recipient_id: int, status: str, now: datetime
    ) -> None: ...
    async def expire_broadcast_claims(
        self, broadcast_id: int, claimed_before: datetime, now: datetime
    ) -> int:
        """Claims older than `claimed_before` settled as unconfirmed; how many."""
        ...

    async def finish_broadcast(
        self, broadcast_id: int, now: datetime
    ) -> tuple[str, str, int | None, str | None, dict[str, int]] | None:
        """Marks it finished if every recipient is settled and nobody did yet: (kind, actor,
        report chat, report language, recipients by status). None otherwise."""
        ...

    async def unfinished_broadcasts(self, idle_since: datetime) -> list[int]:
        """Not finished, created and last claimed or settled before `idle_since`."""
        ...

    async def reminded_since(self, offset_seconds: int, since: datetime) -> set[int]:
        """Chats an automatic reminder of this offset reached (or was on its way to) since."""
        ...

    # Jobs (survey/jobs.py)
    async def add_job(
        self,
        *,
        kind: str,
        user_id: int,
        chat_id: int,
        language: str,
        parameters: Mapping[str, Any],
        now: datetime,
    ) -> int:
        """A queued job; its id."""
        ...

    async def claimable_jobs(
        self, *, lease_before: datetime, created_since: datetime, max_attempts: int, limit: int
    ) -> list[Job]:
        """Oldest first: queued, or running with a claim older than `lease_before` and fewer
        than `max_attempts` attempts; created at or after `created_since` (a read: `claim_job`
        decides)."""
        ...

    async def claim_job(
        self, job_id: int, *, attempts: int, worker: str, now: datetime, lease_before: datetime
    ) -> bool:
        """Running for `worker`, one attempt more, if it is still as `claimable_jobs` found it
        (`attempts` unchanged): True for exactly one caller."""
        ...

    async def renew_job(self, job_id: int, *, worker: str, now: datetime) -> bool: ...
    async def finish_job(self, job_id: int, *, worker: str, state: str, now: datetime) -> bool:
        """Finished with `state`, if `worker` still holds it."""
        ...

    async def release_job(self, job_id: int, *, worker: str, count_attempt: bool) -> bool:
        """Queued again, if `worker` still holds it."""
        ...

    async def abandon_jobs(
        self, *, lease_before: datetime, created_before: datetime, max_attempts: int, now: datetime
    ) -> list[Job]:
        """Marks abandoned, and returns, the jobs not finished that were created before
        `created_before` (unless running under a live claim), and those running under a claim
        older than `lease_before` with `max_attempts` attempts made."""
        ...

    async def job_state(self, job_id: int) -> str | None: ...

    # The questionnaire's versions (survey/questionnaire_versions.py)
    async def newest_questionnaire_version(self) -> int | None:
        """The number of the version in force; None on a database without one."""
        ...

    async def questionnaire_version(
        self, number: int, *, content: bool = True
    ) -> StoredVersion | None: ...
    async def questionnaire_version_history(self) -> list[StoredVersion]:
        """Every version without its content, oldest first."""
        ...

    async def add_questionnaire_version(self, version: StoredVersion) -> bool:
        """Insert it unless that number exists (another process stored one): True if
        inserted."""
        ...

    async def count_answers(self, questionnaire_id: str) -> int:
        """Answers (a level or a comment) of any response, draft or submitted."""
        ...

    # Personal data (survey/privacy.py)
    async def every_representative(self, office_id: int | None = None) -> list[Representative]:
        """Every row, removed and forgotten ones included, by id (of one Office, or all)."""
        ...

    async def answers_changed_by(self, representative_id: int) -> list[tuple[str, AnswerRecord]]:
        """(Questionnaire, answer) of every answer this person changed last."""
        ...

    async def audit_naming(self, telegram_user_id: int, full_name: str) -> list[AuditEntry]:
        """Entries this person made or that name them (id or name), oldest first."""
        ...

    async def acknowledge_notice(
        self, telegram_user_id: int, version: str, now: datetime
    ) -> None: ...
    async def notice_acknowledgements(
        self, telegram_user_id: int
    ) -> list[NoticeAcknowledgement]: ...
    async def claim_purge(
        self, questionnaire_id: str, deadline: datetime, *, by: str, now: datetime
    ) -> bool:
        """As `claim_reminder`: True for exactly one caller per closing time."""
        ...

    async def finish_purge(
        self, questionnaire_id: str, deadline: datetime, now: datetime
    ) -> None: ...
    async def forget_people(
        self, people: Sequence[Forgetting], now: datetime, *, everyone: bool = False
    ) -> dict[str, int]:
        """Each person's identity replaced by their pseudonym in every table; rows changed
        per table. `everyone`: read each table whole once (the purge)."""
        ...

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
    ) -> list[tuple[int, str, int]]:
        """(Recommendation, level, answers) with answers > 0. Without the drafts, from counts
        kept at each submission and reopening (cheap at any size); with them, counted."""
        ...

    async def funnel(self, questionnaire_id: str) -> Funnel: ...
    async def export_rows(self, questionnaire_id: str) -> list[ExportRow]: ...


class DraftStore(Protocol):
    """The usual answer write, as a unit of work of its own (`StoreFactory.draft_writes`).
    Nothing is kept unless `save_draft_answer` says it saved."""

    async def newest_questionnaire_version(self) -> int | None:
        """As `SurveyStore.newest_questionnaire_version`; through `StoreFactory.reads`, a
        statement of its own."""
        ...

    async def writer(
        self, telegram_user_id: int, questionnaire_id: str
    ) -> tuple[Representative | None, DeadlineSetting | None, ResponseRecord | None]:
        """Who writes, the stored deadline and their Office's response, in one read that takes
        no row lock (on PostgreSQL a transaction of its own). The response's
        `submitted_by_name` is not read (None)."""
        ...

    async def save_draft_answer(
        self,
        response_id: int,
        recommendation: int,
        *,
        values: Mapping[str, str | None],
        by: int,
        now: datetime,
        version: int,
        setting: DeadlineSetting | None,
    ) -> list[AnswerChoice] | None:
        """`save_answer` and `commit`, made only if what `writer` read still holds when
        written (the response a draft, `by` an active representative of its Office, the
        stored deadline `setting` unchanged), however long ago it was read; then the
        response's answers (as `answer_choices`). None: something changed, and nothing was
        written."""
        ...


class StoreFactory(Protocol):
    def __call__(self) -> AbstractAsyncContextManager[SurveyStore]: ...
    def draft_writes(self) -> AbstractAsyncContextManager[DraftStore]: ...
    def reads(self) -> AbstractAsyncContextManager[DraftStore]:
        """For a read alone: no transaction begun, no lock taken."""
        ...
