"""The database tables. Repositories turn rows into `survey.model` records."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


def _time(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_type=UTCDateTime, nullable=nullable, index=index)


class OfficeRow(SQLModel, table=True):
    __tablename__ = "office"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=2, unique=True)
    kind: str = Field(max_length=16)
    # Names for Offices Babel has no name for (regional, international); national names
    # come from Babel's locale data at display time.
    names: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class RepresentativeRow(SQLModel, table=True):
    __tablename__ = "representative"

    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int = Field(sa_type=BigInteger, unique=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    full_name: str = Field(default="", max_length=256)
    language: str | None = Field(default=None, max_length=8)
    verified_at: datetime = _time()
    revoked_at: datetime | None = _time(nullable=True)
    # Erased at the person's request or by the purge (survey/privacy.py): the Telegram id is
    # then the negative row id, the name the pseudonym, the language none.
    forgotten_at: datetime | None = _time(nullable=True)


class InvitationRow(SQLModel, table=True):
    __tablename__ = "invitation"

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _time()
    created_by: str = Field(max_length=64)
    expires_at: datetime | None = _time(nullable=True)
    max_uses: int | None = Field(default=None)
    uses: int = Field(default=0)
    revoked_at: datetime | None = _time(nullable=True)


class ResponseRow(SQLModel, table=True):
    __tablename__ = "response"
    __table_args__ = (UniqueConstraint("office_id", "questionnaire_id"),)

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id")
    questionnaire_id: str = Field(max_length=64)
    status: str = Field(default="draft", max_length=16)
    created_at: datetime = _time()
    submitted_at: datetime | None = _time(nullable=True)
    submitted_by: int | None = Field(default=None, foreign_key="representative.id")
    receipt: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class AnswerRow(SQLModel, table=True):
    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("response_id", "recommendation"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id")
    recommendation: int
    level: str | None = Field(default=None, max_length=20)
    comment: str | None = Field(default=None, max_length=1000)
    changed_at: datetime = _time()
    changed_by: int = Field(foreign_key="representative.id")
    # The questionnaire version the answer was given (or confirmed) under: an answer older
    # than its Recommendation's last text change is marked for its Office to check.
    questionnaire_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class LevelTallyRow(SQLModel, table=True):
    """How many submitted answers give each level to each Recommendation: kept by
    `mark_submitted` and `mark_draft` in the unit of work that changes the response's status,
    so that the /results digest reads these rows instead of counting every submitted answer
    (400,000 at 10,000 Offices). Submitted answers cannot change, so only the submission and
    the reopening of a response move the counts. A count back at 0 keeps its row."""

    __tablename__ = "level_tally"

    questionnaire_id: str = Field(primary_key=True, max_length=64)
    recommendation: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    level: str = Field(primary_key=True, max_length=20)
    answers: int


class AuditEventRow(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_actor_action_at", "actor", "action", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _time()
    actor: str = Field(max_length=80)
    action: str = Field(max_length=64)
    office_id: int | None = Field(default=None, foreign_key="office.id")
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class UserPreferenceRow(SQLModel, table=True):
    """What any Telegram user chose, verified or not (e.g. /language before the code)."""

    __tablename__ = "user_preference"

    telegram_user_id: int = Field(
        sa_column=Column(BigInteger, primary_key=True, autoincrement=False)
    )
    language: str | None = Field(default=None, max_length=8)
    # Secretariat members: told of each submission? None: never chose (on).
    submission_notices: bool | None = Field(default=None)
    updated_at: datetime = _time()


class SurveySettingRow(SQLModel, table=True):
    """What the Secretariat set for a questionnaire's survey while it runs. No row: the
    configuration applies (SURVEY_DEADLINE)."""

    __tablename__ = "survey_setting"

    questionnaire_id: str = Field(primary_key=True, max_length=64)
    deadline: datetime | None = _time(nullable=True)  # None: no closing time
    updated_at: datetime = _time()
    updated_by: str = Field(max_length=80)


class ReminderClaimRow(SQLModel, table=True):
    """An automatic reminder claimed by one process, once per closing time and offset: the
    unique constraint lets exactly one replica (or restarted process) have it."""

    __tablename__ = "reminder_claim"
    __table_args__ = (UniqueConstraint("questionnaire_id", "deadline", "offset_seconds"),)

    id: int | None = Field(default=None, primary_key=True)
    questionnaire_id: str = Field(max_length=64)
    deadline: datetime = _time()
    offset_seconds: int
    sent: bool  # False: due at the same time as a later one, skipped
    claimed_at: datetime = _time()


class BroadcastRow(SQLModel, table=True):
    """Messages to many people (a reminder, the notices of a submission, a reopening or a
    removal), recorded with every recipient before the first is sent, so that a process
    killed halfway is followed by one that goes on with exactly those not yet reached."""

    __tablename__ = "broadcast"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    actor: str = Field(max_length=80)
    created_at: datetime = _time()
    # The automatic reminder's offset: who had that offset's reminder lately is not sent it
    # again when a new deadline re-arms it.
    offset_seconds: int | None = Field(default=None, sa_type=BigInteger)
    # Who is told the outcome when the last recipient is settled (/remind in the chat).
    report_chat: int | None = Field(default=None, sa_type=BigInteger)
    report_language: str | None = Field(default=None, max_length=8)
    finished_at: datetime | None = _time(nullable=True, index=True)


class BroadcastRecipientRow(SQLModel, table=True):
    """One message of a broadcast: pending, then claimed ("sending") by the process about to
    send it, then settled with Telegram's answer."""

    __tablename__ = "broadcast_recipient"
    __table_args__ = (
        Index("ix_broadcast_recipient_broadcast_status", "broadcast_id", "status"),
        Index("ix_broadcast_recipient_chat_done", "chat_id", "done_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(foreign_key="broadcast.id")
    chat_id: int = Field(sa_type=BigInteger)
    text: str = Field(sa_type=Text)
    status: str = Field(default="pending", max_length=16)
    claimed_at: datetime | None = _time(nullable=True)
    done_at: datetime | None = _time(nullable=True)


class JobRow(SQLModel, table=True):
    """Long work asked for in the chat (survey/jobs.py): recorded before the update that asked
    is confirmed, claimed with a lease by the process that runs it, finished with its
    outcome."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_state_id", "state", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    user_id: int = Field(sa_type=BigInteger)
    chat_id: int = Field(sa_type=BigInteger)
    language: str = Field(max_length=8)
    # What the job needs beyond who asked: an upload's Telegram file_id and size, whether
    # drafts are counted, which window to show again after the file.
    parameters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: str = Field(default="queued", max_length=16)
    attempts: int = Field(default=0)
    claimed_by: str | None = Field(default=None, max_length=80)
    claimed_at: datetime | None = _time(nullable=True)
    created_at: datetime = _time()
    finished_at: datetime | None = _time(nullable=True)


class QuestionnaireVersionRow(SQLModel, table=True):
    """A version of the questionnaire; the highest number is the one in force. Every process
    compares that number with the version it holds (survey/questionnaire_versions.py)."""

    __tablename__ = "questionnaire_version"

    number: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    questionnaire_id: str = Field(max_length=64)
    wording: str = Field(max_length=32)
    checksum: str = Field(max_length=64)
    # The questionnaire as `survey.questionnaire.questionnaire_to_data` gives it.
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # What changed from the version before (`questionnaire_versions.changes_to_data`).
    changes: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_by: str = Field(max_length=80)
    created_by_user: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = _time()


class NoticeAcknowledgementRow(SQLModel, table=True):
    """A person's "I understand" to a version of the privacy notice. After erasure the
    Telegram id is the pseudonymous one (minus the representative's row id)."""

    __tablename__ = "notice_acknowledgement"

    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int = Field(sa_type=BigInteger, index=True)
    notice_version: str = Field(max_length=64)
    acknowledged_at: datetime = _time()


class PurgeClaimRow(SQLModel, table=True):
    """The automatic purge of a questionnaire's personal data, claimed by one process per
    closing time: the unique constraint lets exactly one replica have it."""

    __tablename__ = "purge_claim"
    __table_args__ = (UniqueConstraint("questionnaire_id", "deadline"),)

    id: int | None = Field(default=None, primary_key=True)
    questionnaire_id: str = Field(max_length=64)
    deadline: datetime = _time()
    claimed_at: datetime = _time()
    claimed_by: str = Field(max_length=80)
    finished_at: datetime | None = _time(nullable=True)
