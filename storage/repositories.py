"""The SQL side of `survey.ports.SurveyStore`: queries in, `survey.model` records out."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Text,
    and_,
    case,
    cast,
    delete,
    distinct,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.base import Executable
from sqlmodel import col

from storage import click_statements as clicks
from storage.draft_writes import DraftWriting
from storage.models import (
    AnswerRow,
    AuditEventRow,
    BroadcastRecipientRow,
    BroadcastRow,
    InvitationRow,
    JobRow,
    LevelTallyRow,
    OfficeRow,
    PurgeClaimRow,
    QuestionnaireVersionRow,
    ReminderClaimRow,
    RepresentativeRow,
    ResponseRow,
    SurveySettingRow,
    UserPreferenceRow,
)
from storage.personal_data import PersonalDataStorage
from storage.prepared import DirectPostgres, DirectSqlite, direct_driver, sql_log_on
from storage.receipts import receipt_data, receipt_of
from survey.broadcasts import BroadcastKind, Status
from survey.jobs import Job, JobKind, JobState
from survey.model import (
    Actor,
    AnswerChoice,
    AnswerRecord,
    DeadlineSetting,
    ExportRow,
    Funnel,
    Invitation,
    Office,
    OfficeStatus,
    Receipt,
    Representative,
    RepresentativeSummary,
    ResponseRecord,
    ResponseStatus,
    UserPreference,
)
from survey.offices import OfficeInfo
from survey.questionnaire_versions import StoredVersion

_REPRESENTATIVE_COLUMNS = clicks.REPRESENTATIVE_COLUMNS
SUBMITTED = ResponseStatus.SUBMITTED.value
DRAFT = ResponseStatus.DRAFT.value
_PENDING = Status.PENDING.value
_SENDING = Status.SENDING.value
_QUEUED = JobState.QUEUED.value
_RUNNING = JobState.RUNNING.value
_EXPORT_BATCH = 5_000  # answer rows fetched at a time by export_rows


def _usable_invitation(now: datetime) -> ColumnElement[bool]:
    """The SQL form of rules.check_invitation_usable: not revoked, not expired, uses left."""
    return and_(
        col(InvitationRow.revoked_at).is_(None),
        or_(col(InvitationRow.expires_at).is_(None), col(InvitationRow.expires_at) > now),
        or_(
            col(InvitationRow.max_uses).is_(None),
            col(InvitationRow.uses) < col(InvitationRow.max_uses),
        ),
    )


def _submitted(questionnaire_id: str) -> ColumnElement[bool]:
    """The Office of the enclosing query has submitted (correlated on office.id)."""
    return exists().where(
        col(ResponseRow.office_id) == col(OfficeRow.id),
        col(ResponseRow.questionnaire_id) == questionnaire_id,
        col(ResponseRow.status) == SUBMITTED,
    )


def _job(row: JobRow) -> Job:
    assert row.id is not None
    return Job(
        row.id,
        JobKind(row.kind),
        row.user_id,
        row.chat_id,
        row.language,
        dict(row.parameters or {}),
        JobState(row.state),
        row.attempts,
        row.created_at,
    )


def _lapsed(lease_before: datetime) -> ColumnElement[bool]:
    """Claimed by a process that stopped renewing its lease: it died, or hangs."""
    return and_(col(JobRow.state) == _RUNNING, col(JobRow.claimed_at) < lease_before)


def _office(row: OfficeRow) -> Office:
    assert row.id is not None
    return Office(row.id, row.code, row.kind, dict(row.names or {}))


def _representative(row: RepresentativeRow) -> Representative:
    assert row.id is not None
    return Representative(
        row.id,
        row.telegram_user_id,
        row.office_id,
        row.full_name,
        row.language,
        row.verified_at,
        row.revoked_at,
    )


def _invitation(row: InvitationRow) -> Invitation:
    assert row.id is not None
    return Invitation(
        row.id,
        row.office_id,
        row.created_at,
        row.expires_at,
        row.max_uses,
        row.uses,
        row.revoked_at,
    )


# The secret signing the Office workbooks (survey/workbook_key.py) is kept in survey_setting,
# hex-encoded in updated_by, under a name no questionnaire can have (the questionnaire's reader
# strips its id of spaces), so no migration was needed for it.
WORKBOOK_KEY_ROW = " workbook-key"


# A version's row in `StoredVersion`'s order, its content apart (large, and read only to load
# the version).
_VERSION_COLUMNS = (
    col(QuestionnaireVersionRow.number),
    col(QuestionnaireVersionRow.questionnaire_id),
    col(QuestionnaireVersionRow.wording),
    col(QuestionnaireVersionRow.checksum),
    col(QuestionnaireVersionRow.changes),
    col(QuestionnaireVersionRow.created_by),
    col(QuestionnaireVersionRow.created_by_user),
    col(QuestionnaireVersionRow.created_at),
)


class SqlSurveyStore(DraftWriting, PersonalDataStorage):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._direct: DirectSqlite | DirectPostgres | None = None

    async def commit(self) -> None:
        self._direct = None  # the connection goes back to the pool
        await self.session.commit()

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def _insert(self, table: Any) -> Any:
        """INSERT with ON CONFLICT support, in the session's own dialect."""
        return clicks.insert_of(self._dialect)(table)

    # The statements of storage/click_statements.py run on the session's connection without
    # the ORM layer (they return columns, not objects), compiled once and run on the driver's
    # own connection (storage/prepared.py); through SQLAlchemy while its SQL log is on.

    async def _driver(self) -> DirectSqlite | DirectPostgres | None:
        """The driver's connection, once the session's transaction has begun on it (None until
        then: the statement goes through SQLAlchemy, which begins it, so that the session's
        commit is the one that commits it). A session rolled back may hold another connection
        next: the driver's is taken anew."""
        if self._direct is None or not self.session.in_transaction():
            connection = await self.session.connection()  # begins the session's transaction
            if sql_log_on(connection.engine):  # an operator reads the SQL log: through SQLAlchemy
                return None
            pooled = connection.sync_connection.connection  # type: ignore[union-attr]
            self._direct = direct_driver(pooled, connection.dialect, owns_transaction=False)
        return self._direct if self._direct and self._direct.in_transaction() else None

    async def _first(self, statement: Executable, **parameters: Any) -> Sequence[Any] | None:
        if direct := await self._driver():
            return await direct.first(statement, parameters)
        return await self.session.run_sync(
            lambda session: session.connection().execute(statement, parameters).first()
        )

    async def _all(self, statement: Executable, **parameters: Any) -> Sequence[Sequence[Any]]:
        if direct := await self._driver():
            return await direct.all(statement, parameters)
        return await self.session.run_sync(
            lambda session: session.connection().execute(statement, parameters).all()
        )

    # DraftWriting's statements "alone": in a full unit of work, everything is in its
    # transaction.
    _first_alone = _first
    _all_alone = _all

    async def _execute(self, statement: Executable, **parameters: Any) -> int:
        """Rows written."""
        if direct := await self._driver():
            return await direct.execute(statement, parameters)

        def run(session: Session) -> int:
            result = session.connection().execute(statement, parameters)
            return result.rowcount

        return await self.session.run_sync(run)

    # Offices -------------------------------------------------------------------------------

    async def office_by_code(self, code: str) -> Office | None:
        row = await self.session.scalar(select(OfficeRow).where(col(OfficeRow.code) == code))
        return _office(row) if row else None

    async def office_by_id(self, office_id: int) -> Office | None:
        row = await self.session.get(OfficeRow, office_id)
        return _office(row) if row else None

    async def count_offices(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(OfficeRow)) or 0)

    async def upsert_offices(self, offices: Sequence[OfficeInfo]) -> tuple[int, int]:
        existing = {row.code: row for row in (await self.session.scalars(select(OfficeRow))).all()}
        added = updated = 0
        for info in offices:
            row = existing.get(info.code)
            names = dict(info.names)
            if row is None:
                self.session.add(OfficeRow(code=info.code, kind=info.kind, names=names))
                added += 1
            elif row.kind != info.kind or dict(row.names or {}) != names:
                row.kind, row.names = info.kind, names
                updated += 1
        await self.session.flush()
        return added, updated

    async def office_statuses(self, questionnaire_id: str) -> list[OfficeStatus]:
        invited = (
            select(col(InvitationRow.office_id)).group_by(col(InvitationRow.office_id)).subquery()
        )
        people = (
            select(col(RepresentativeRow.office_id), func.count().label("n"))
            .where(col(RepresentativeRow.revoked_at).is_(None))
            .group_by(col(RepresentativeRow.office_id))
            .subquery()
        )
        answered = (
            select(col(AnswerRow.response_id), func.count().label("n"))
            .where(col(AnswerRow.level).is_not(None))
            .group_by(col(AnswerRow.response_id))
            .subquery()
        )
        query = (
            select(
                OfficeRow,
                invited.c.office_id.is_not(None),
                func.coalesce(people.c.n, 0),
                func.coalesce(answered.c.n, 0),
                col(ResponseRow.status),
                col(ResponseRow.submitted_at),
            )
            .outerjoin(invited, invited.c.office_id == col(OfficeRow.id))
            .outerjoin(people, people.c.office_id == col(OfficeRow.id))
            .outerjoin(
                ResponseRow,
                and_(
                    col(ResponseRow.office_id) == col(OfficeRow.id),
                    col(ResponseRow.questionnaire_id) == questionnaire_id,
                ),
            )
            .outerjoin(answered, answered.c.response_id == col(ResponseRow.id))
            .order_by(col(OfficeRow.code))
        )
        return [
            OfficeStatus(
                office=_office(office),
                invited=bool(is_invited),
                representatives=int(n_people),
                answered=int(n_answered),
                status=ResponseStatus(status) if status else None,
                submitted_at=submitted_at,
            )
            for office, is_invited, n_people, n_answered, status, submitted_at in (
                await self.session.execute(query)
            ).all()
        ]

    async def offices_to_invite(self, questionnaire_id: str, now: datetime) -> list[Office]:
        usable = exists().where(
            col(InvitationRow.office_id) == col(OfficeRow.id), _usable_invitation(now)
        )
        rows = await self.session.scalars(
            select(OfficeRow)
            .where(~usable, ~_submitted(questionnaire_id))
            .order_by(col(OfficeRow.code))
        )
        return [_office(row) for row in rows.all()]

    async def invited_unverified_offices(
        self, questionnaire_id: str, now: datetime
    ) -> list[Office]:
        usable_or_used = exists().where(
            col(InvitationRow.office_id) == col(OfficeRow.id),
            or_(col(InvitationRow.uses) > 0, _usable_invitation(now)),
        )
        verified = exists().where(
            col(RepresentativeRow.office_id) == col(OfficeRow.id),
            col(RepresentativeRow.revoked_at).is_(None),
        )
        rows = await self.session.scalars(
            select(OfficeRow)
            .where(usable_or_used, ~verified, ~_submitted(questionnaire_id))
            .order_by(col(OfficeRow.code))
        )
        return [_office(row) for row in rows.all()]

    # Invitations ---------------------------------------------------------------------------

    async def add_invitation(
        self,
        *,
        office_id: int,
        code_hash: str,
        expires_at: datetime | None,
        max_uses: int | None,
        created_by: str,
        now: datetime,
    ) -> Invitation:
        row = InvitationRow(
            office_id=office_id,
            code_hash=code_hash,
            created_at=now,
            created_by=created_by,
            expires_at=expires_at,
            max_uses=max_uses,
        )
        self.session.add(row)
        await self.session.flush()
        return _invitation(row)

    async def invitation_by_hash(self, code_hash: str) -> tuple[Invitation, str] | None:
        row = await self.session.scalar(
            select(InvitationRow).where(col(InvitationRow.code_hash) == code_hash)
        )
        return (_invitation(row), row.code_hash) if row else None

    async def invitation_by_id(self, invitation_id: int) -> Invitation | None:
        row = await self.session.get(InvitationRow, invitation_id, populate_existing=True)
        return _invitation(row) if row else None

    async def office_invitations(self, office_id: int) -> list[Invitation]:
        rows = await self.session.scalars(
            select(InvitationRow)
            .where(col(InvitationRow.office_id) == office_id)
            .order_by(col(InvitationRow.created_at).desc(), col(InvitationRow.id).desc())
        )
        return [_invitation(row) for row in rows.all()]

    async def claim_invitation_use(self, invitation_id: int) -> bool:
        # One conditional UPDATE: two people racing for the last use cannot both get it.
        result = await self.session.execute(
            update(InvitationRow)
            .where(
                col(InvitationRow.id) == invitation_id,
                col(InvitationRow.revoked_at).is_(None),
                (col(InvitationRow.max_uses).is_(None))
                | (col(InvitationRow.uses) < col(InvitationRow.max_uses)),
            )
            .values(uses=col(InvitationRow.uses) + 1)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def revoke_invitation(self, invitation_id: int, now: datetime) -> bool:
        result = await self.session.execute(
            update(InvitationRow)
            .where(col(InvitationRow.id) == invitation_id, col(InvitationRow.revoked_at).is_(None))
            .values(revoked_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def revoke_office_invitations(self, office_id: int, now: datetime) -> int:
        result = await self.session.execute(
            update(InvitationRow)
            .where(
                col(InvitationRow.office_id) == office_id, col(InvitationRow.revoked_at).is_(None)
            )
            .values(revoked_at=now)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    # Representatives -----------------------------------------------------------------------

    async def representative(self, telegram_user_id: int) -> Representative | None:
        row = await self._first(clicks.REPRESENTATIVE_BY_USER, user=telegram_user_id)
        return Representative(*row) if row is not None else None

    async def representative_and_deadline(
        self, telegram_user_id: int, questionnaire_id: str
    ) -> tuple[Representative | None, DeadlineSetting | None]:
        row = await self._first(
            clicks.REPRESENTATIVE_AND_DEADLINE,
            user=telegram_user_id,
            questionnaire=questionnaire_id,
        )
        if row is None:
            return None, None
        person, (stored, *setting) = row[:7], row[7:]
        return Representative(*person), DeadlineSetting(*setting) if stored is not None else None

    async def _representative_row(self, telegram_user_id: int) -> RepresentativeRow | None:
        return await self.session.scalar(
            select(RepresentativeRow).where(
                col(RepresentativeRow.telegram_user_id) == telegram_user_id
            )
        )

    async def save_representative(
        self,
        *,
        telegram_user_id: int,
        office_id: int,
        full_name: str,
        language: str | None,
        now: datetime,
    ) -> Representative:
        row = await self._representative_row(telegram_user_id)
        if row is None:
            row = RepresentativeRow(
                telegram_user_id=telegram_user_id, office_id=office_id, verified_at=now
            )
            self.session.add(row)
        row.office_id, row.full_name, row.language = office_id, full_name[:256], language
        row.verified_at, row.revoked_at = now, None
        await self.session.flush()
        return _representative(row)

    async def language(self, telegram_user_id: int) -> str | None:
        row = await self.session.get(UserPreferenceRow, telegram_user_id)
        if row is not None and row.language:
            return row.language
        representative = await self._representative_row(telegram_user_id)
        return representative.language if representative else None

    async def set_language(self, telegram_user_id: int, language: str, now: datetime) -> None:
        values = {"language": language, "updated_at": now}
        await self.session.execute(
            self._insert(UserPreferenceRow)
            .values(telegram_user_id=telegram_user_id, **values)
            .on_conflict_do_update(index_elements=["telegram_user_id"], set_=values)
        )
        await self.session.execute(
            update(RepresentativeRow)
            .where(col(RepresentativeRow.telegram_user_id) == telegram_user_id)
            .values(language=language)
        )

    async def preferences(self, telegram_user_ids: Collection[int]) -> list[UserPreference]:
        if not telegram_user_ids:
            return []
        rows = await self.session.execute(
            select(
                col(UserPreferenceRow.telegram_user_id),
                col(UserPreferenceRow.language),
                col(UserPreferenceRow.submission_notices),
            ).where(col(UserPreferenceRow.telegram_user_id).in_(list(telegram_user_ids)))
        )
        return [
            UserPreference(user_id, language, notices is not False)
            for user_id, language, notices in rows.all()
        ]

    async def set_submission_notices(self, telegram_user_id: int, on: bool, now: datetime) -> None:
        values = {"submission_notices": on, "updated_at": now}
        await self.session.execute(
            self._insert(UserPreferenceRow)
            .values(telegram_user_id=telegram_user_id, **values)
            .on_conflict_do_update(index_elements=["telegram_user_id"], set_=values)
        )

    async def office_representatives(self, office_id: int) -> list[Representative]:
        rows = await self.session.scalars(
            select(RepresentativeRow)
            .where(
                col(RepresentativeRow.office_id) == office_id,
                col(RepresentativeRow.revoked_at).is_(None),
            )
            .order_by(col(RepresentativeRow.id))
        )
        return [_representative(row) for row in rows.all()]

    async def representative_summaries(
        self, office_id: int, questionnaire_id: str
    ) -> list[RepresentativeSummary]:
        last_changed = (
            select(col(AnswerRow.changed_by), func.count().label("n"))
            .join(ResponseRow, col(ResponseRow.id) == col(AnswerRow.response_id))
            .where(
                col(ResponseRow.office_id) == office_id,
                col(ResponseRow.questionnaire_id) == questionnaire_id,
            )
            .group_by(col(AnswerRow.changed_by))
            .subquery()
        )
        rows = await self.session.execute(
            select(*_REPRESENTATIVE_COLUMNS, func.coalesce(last_changed.c.n, 0))
            .outerjoin(last_changed, last_changed.c.changed_by == col(RepresentativeRow.id))
            .where(col(RepresentativeRow.office_id) == office_id)
            .order_by(col(RepresentativeRow.id))
        )
        return [
            RepresentativeSummary(Representative(*row[:-1]), int(row[-1])) for row in rows.all()
        ]

    async def remove_representative(self, representative_id: int, now: datetime) -> bool:
        # Conditional, so that two removals at once record one removal time, not two.
        result = await self.session.execute(
            update(RepresentativeRow)
            .where(
                col(RepresentativeRow.id) == representative_id,
                col(RepresentativeRow.revoked_at).is_(None),
            )
            .values(revoked_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def unsubmitted_representatives(
        self, questionnaire_id: str
    ) -> list[tuple[Representative, Office]]:
        rows = await self.session.execute(
            select(RepresentativeRow, OfficeRow)
            .join(OfficeRow, col(OfficeRow.id) == col(RepresentativeRow.office_id))
            .where(col(RepresentativeRow.revoked_at).is_(None), ~_submitted(questionnaire_id))
            .order_by(col(OfficeRow.code), col(RepresentativeRow.id))
        )
        return [(_representative(person), _office(office)) for person, office in rows.all()]

    # Responses and answers -----------------------------------------------------------------

    async def response(
        self, office_id: int, questionnaire_id: str, *, lock: bool = False
    ) -> ResponseRecord | None:
        the_response = {"office": office_id, "questionnaire": questionnaire_id}
        if lock:
            locked = await self._first(clicks.LOCKED_RESPONSE, **the_response)
            if locked is None:
                return None
            response_id, office, questionnaire, status, submitted_at, by, receipt = locked
            submitter = None
            if by is not None:  # submitted: this write will be refused, with the name
                named = await self._first(clicks.NAME, representative=by)
                submitter = named[0] if named is not None else None
        else:
            found = await self._first(clicks.RESPONSE, **the_response)
            if found is None:
                return None
            response_id, office, questionnaire, status, submitted_at, submitter, receipt = found
        return ResponseRecord(
            id=response_id,
            office_id=office,
            questionnaire_id=questionnaire,
            status=ResponseStatus(status),
            submitted_at=submitted_at,
            submitted_by_name=submitter,
            receipt=receipt_of(receipt),
        )

    async def ensure_response(
        self, office_id: int, questionnaire_id: str, now: datetime
    ) -> ResponseRecord:
        # Two representatives of one Office may start at the same moment: let the unique
        # constraint pick one row instead of failing the second.
        await self.session.execute(
            self._insert(ResponseRow)
            .values(
                office_id=office_id, questionnaire_id=questionnaire_id, status=DRAFT, created_at=now
            )
            .on_conflict_do_nothing(index_elements=["office_id", "questionnaire_id"])
        )
        response = await self.response(office_id, questionnaire_id)
        assert response is not None
        return response

    async def answers(self, response_id: int) -> list[AnswerRecord]:
        rows = await self._all(clicks.ANSWERS, response=response_id)
        return [AnswerRecord(*row) for row in rows]

    async def answer_choices(self, response_id: int) -> list[AnswerChoice]:
        rows = await self._all(clicks.CHOICES, response=response_id)
        return [AnswerChoice(*row) for row in rows]

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
        changes = {**values, "changed_at": now, "changed_by": by, "questionnaire_version": version}
        await self._execute(
            clicks.save_answer(self._dialect, frozenset(changes)),
            response_id=response_id,
            recommendation=recommendation,
            **changes,
        )

    async def mark_submitted(
        self, response_id: int, *, by: int, now: datetime, receipt: Receipt
    ) -> bool:
        result = await self.session.execute(
            update(ResponseRow)
            .where(col(ResponseRow.id) == response_id, col(ResponseRow.status) == DRAFT)
            .values(
                status=SUBMITTED, submitted_at=now, submitted_by=by, receipt=receipt_data(receipt)
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        await self._tally(response_id, 1)
        return True

    async def mark_draft(self, response_id: int) -> bool:
        result = await self.session.execute(
            update(ResponseRow)
            .where(col(ResponseRow.id) == response_id, col(ResponseRow.status) == SUBMITTED)
            .values(status=DRAFT, submitted_at=None, submitted_by=None, receipt=None)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        await self._tally(response_id, -1)
        return True

    async def _tally(self, response_id: int, change: int) -> None:
        """Adds `change` (1: submitted, -1: reopened) to the level tally of each of the
        response's answers, in the caller's unit of work. The status update before it holds
        the response's row, and answer writes lock that row and refuse a submitted response,
        so the answers read here are the ones whose status changed."""
        insert = self._insert(LevelTallyRow).from_select(
            ["questionnaire_id", "recommendation", "level", "answers"],
            select(
                col(ResponseRow.questionnaire_id),
                col(AnswerRow.recommendation),
                col(AnswerRow.level),
                literal(change),
            )
            .join(ResponseRow, col(ResponseRow.id) == col(AnswerRow.response_id))
            .where(col(AnswerRow.response_id) == response_id, col(AnswerRow.level).is_not(None))
            # On PostgreSQL every submission and reopening locks tally rows until it commits:
            # taken in one order, two of them wait for each other instead of deadlocking.
            .order_by(col(AnswerRow.recommendation), col(AnswerRow.level)),
        )
        await self.session.execute(
            insert.on_conflict_do_update(
                index_elements=["questionnaire_id", "recommendation", "level"],
                set_={"answers": col(LevelTallyRow.answers) + insert.excluded.answers},
            )
        )

    # Survey settings and reminders ---------------------------------------------------------

    async def deadline_setting(self, questionnaire_id: str) -> DeadlineSetting | None:
        row = await self._first(clicks.DEADLINE_SETTING, questionnaire=questionnaire_id)
        return DeadlineSetting(*row) if row is not None else None

    async def save_deadline(
        self, questionnaire_id: str, deadline: datetime | None, *, by: str, now: datetime
    ) -> None:
        values = {"deadline": deadline, "updated_at": now, "updated_by": by[:80]}
        await self.session.execute(
            self._insert(SurveySettingRow)
            .values(questionnaire_id=questionnaire_id, **values)
            .on_conflict_do_update(index_elements=["questionnaire_id"], set_=values)
        )

    async def workbook_key(self) -> bytes | None:
        value = await self.session.scalar(
            select(col(SurveySettingRow.updated_by)).where(
                col(SurveySettingRow.questionnaire_id) == WORKBOOK_KEY_ROW
            )
        )
        return bytes.fromhex(value) if value else None

    async def add_workbook_key(self, candidate: bytes, now: datetime) -> bytes:
        # ON CONFLICT DO NOTHING: a replica racing this one waits for its commit and then
        # inserts nothing; reading the row back gives both the same key.
        await self.session.execute(
            self._insert(SurveySettingRow)
            .values(
                questionnaire_id=WORKBOOK_KEY_ROW,
                deadline=None,
                updated_at=now,
                updated_by=candidate.hex(),
            )
            .on_conflict_do_nothing(index_elements=["questionnaire_id"])
        )
        stored = await self.workbook_key()
        assert stored is not None
        return stored

    async def reminder_claims(self, questionnaire_id: str, deadline: datetime) -> set[timedelta]:
        seconds = await self.session.scalars(
            select(col(ReminderClaimRow.offset_seconds)).where(
                col(ReminderClaimRow.questionnaire_id) == questionnaire_id,
                col(ReminderClaimRow.deadline) == deadline,
            )
        )
        return {timedelta(seconds=value) for value in seconds.all()}

    async def claim_reminder(
        self,
        questionnaire_id: str,
        deadline: datetime,
        offset: timedelta,
        *,
        sent: bool,
        now: datetime,
    ) -> bool:
        # ON CONFLICT DO NOTHING: on PostgreSQL a second inserter waits for the first one's
        # commit and then inserts nothing; SQLite runs one writer at a time. Either way the
        # row count says who has it.
        result = await self.session.execute(
            self._insert(ReminderClaimRow)
            .values(
                questionnaire_id=questionnaire_id,
                deadline=deadline,
                offset_seconds=int(offset.total_seconds()),
                sent=sent,
                claimed_at=now,
            )
            .on_conflict_do_nothing(
                index_elements=["questionnaire_id", "deadline", "offset_seconds"]
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # The purge (survey/purge.py) -----------------------------------------------------------

    async def purge_claimed(self, questionnaire_id: str, deadline: datetime) -> bool:
        found = await self.session.scalar(
            select(col(PurgeClaimRow.id)).where(
                col(PurgeClaimRow.questionnaire_id) == questionnaire_id,
                col(PurgeClaimRow.deadline) == deadline,
            )
        )
        return found is not None

    async def delete_invitations(self) -> int:
        result = await self.session.execute(delete(InvitationRow))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def delete_audit(self, action: str) -> int:
        result = await self.session.execute(
            delete(AuditEventRow).where(col(AuditEventRow.action) == action)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def delete_preferences(self, *, keep: Collection[int]) -> int:
        result = await self.session.execute(
            delete(UserPreferenceRow).where(
                col(UserPreferenceRow.telegram_user_id).not_in(list(keep))
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    # Broadcasts ----------------------------------------------------------------------------

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
        row = BroadcastRow(
            kind=kind,
            actor=actor[:80],
            created_at=now,
            offset_seconds=offset_seconds,
            report_chat=report_chat,
            report_language=report_language,
        )
        self.session.add(row)
        await self.session.flush()
        assert row.id is not None
        if messages:
            await self.session.execute(
                insert(BroadcastRecipientRow),
                [
                    {"broadcast_id": row.id, "chat_id": chat, "text": text, "status": _PENDING}
                    for chat, text in messages
                ],
            )
        return row.id

    async def next_broadcast_recipient(self, broadcast_id: int) -> tuple[int, int, str] | None:
        row = (
            await self.session.execute(
                select(
                    col(BroadcastRecipientRow.id),
                    col(BroadcastRecipientRow.chat_id),
                    col(BroadcastRecipientRow.text),
                )
                .where(
                    col(BroadcastRecipientRow.broadcast_id) == broadcast_id,
                    col(BroadcastRecipientRow.status) == _PENDING,
                )
                .order_by(col(BroadcastRecipientRow.id))
                .limit(1)
            )
        ).first()
        if row is None:
            return None
        recipient, chat, text = row
        assert recipient is not None
        return int(recipient), int(chat), str(text)

    async def claim_broadcast_recipient(
        self, recipient_id: int, now: datetime, again: bool
    ) -> bool:
        # One conditional UPDATE: of two processes claiming the same recipient, the second
        # finds it no longer pending (PostgreSQL makes it wait for the first one's commit).
        result = await self.session.execute(
            update(BroadcastRecipientRow)
            .where(
                col(BroadcastRecipientRow.id) == recipient_id,
                col(BroadcastRecipientRow.status) == (_SENDING if again else _PENDING),
            )
            .values(status=_SENDING, claimed_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def settle_broadcast_recipient(
        self, recipient_id: int, status: str, now: datetime
    ) -> None:
        # Its sender's answer also replaces an "unconfirmed" given while it was slow.
        await self.session.execute(
            update(BroadcastRecipientRow)
            .where(
                col(BroadcastRecipientRow.id) == recipient_id,
                col(BroadcastRecipientRow.status).in_((_SENDING, Status.UNCONFIRMED.value)),
            )
            .values(status=status, done_at=now)
        )

    async def expire_broadcast_claims(
        self, broadcast_id: int, claimed_before: datetime, now: datetime
    ) -> int:
        result = await self.session.execute(
            update(BroadcastRecipientRow)
            .where(
                col(BroadcastRecipientRow.broadcast_id) == broadcast_id,
                col(BroadcastRecipientRow.status) == _SENDING,
                col(BroadcastRecipientRow.claimed_at) < claimed_before,
            )
            .values(status=Status.UNCONFIRMED.value, done_at=now)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def finish_broadcast(
        self, broadcast_id: int, now: datetime
    ) -> tuple[str, str, int | None, str | None, dict[str, int]] | None:
        unsettled = exists().where(
            col(BroadcastRecipientRow.broadcast_id) == broadcast_id,
            col(BroadcastRecipientRow.status).in_((_PENDING, _SENDING)),
        )
        result = await self.session.execute(
            update(BroadcastRow)
            .where(
                col(BroadcastRow.id) == broadcast_id,
                col(BroadcastRow.finished_at).is_(None),
                ~unsettled,
            )
            .values(finished_at=now)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return None
        row = await self.session.get(BroadcastRow, broadcast_id)
        assert row is not None
        counts = await self.session.execute(
            select(col(BroadcastRecipientRow.status), func.count())
            .where(col(BroadcastRecipientRow.broadcast_id) == broadcast_id)
            .group_by(col(BroadcastRecipientRow.status))
        )
        by_status = {str(status): int(n) for status, n in counts.all()}
        return row.kind, row.actor, row.report_chat, row.report_language, by_status

    async def unfinished_broadcasts(self, idle_since: datetime) -> list[int]:
        recent = exists().where(
            col(BroadcastRecipientRow.broadcast_id) == col(BroadcastRow.id),
            or_(
                col(BroadcastRecipientRow.claimed_at) > idle_since,
                col(BroadcastRecipientRow.done_at) > idle_since,
            ),
        )
        ids = await self.session.scalars(
            select(col(BroadcastRow.id))
            .where(
                col(BroadcastRow.finished_at).is_(None),
                col(BroadcastRow.created_at) <= idle_since,
                ~recent,
            )
            .order_by(col(BroadcastRow.id))
        )
        return [int(value) for value in ids.all() if value is not None]

    async def reminded_since(self, offset_seconds: int, since: datetime) -> set[int]:
        chats = await self.session.scalars(
            select(col(BroadcastRecipientRow.chat_id))
            .join(BroadcastRow, col(BroadcastRow.id) == col(BroadcastRecipientRow.broadcast_id))
            .where(
                col(BroadcastRow.kind) == BroadcastKind.REMINDER.value,
                col(BroadcastRow.offset_seconds) == offset_seconds,
                col(BroadcastRow.created_at) >= since,
                # On its way or arrived: a message Telegram refused does not count.
                col(BroadcastRecipientRow.status).not_in(
                    (Status.BLOCKED.value, Status.FAILED.value)
                ),
            )
            .distinct()
        )
        return {int(chat) for chat in chats.all()}

    # Jobs ----------------------------------------------------------------------------------

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
        row = JobRow(
            kind=kind,
            user_id=user_id,
            chat_id=chat_id,
            language=language[:8],
            parameters=dict(parameters),
            state=_QUEUED,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        assert row.id is not None
        return row.id

    async def claimable_jobs(
        self, *, lease_before: datetime, created_since: datetime, max_attempts: int, limit: int
    ) -> list[Job]:
        rows = await self.session.scalars(
            select(JobRow)
            .where(
                or_(
                    col(JobRow.state) == _QUEUED,
                    and_(_lapsed(lease_before), col(JobRow.attempts) < max_attempts),
                ),
                col(JobRow.created_at) >= created_since,
            )
            .order_by(col(JobRow.id))
            .limit(limit)
        )
        return [_job(row) for row in rows.all()]

    async def claim_job(
        self, job_id: int, *, attempts: int, worker: str, now: datetime, lease_before: datetime
    ) -> bool:
        # One conditional UPDATE, as for a broadcast's recipient: of two processes claiming
        # the same job, the second finds it changed (PostgreSQL makes it wait for the first
        # one's commit, then evaluates the condition again).
        result = await self.session.execute(
            update(JobRow)
            .where(
                col(JobRow.id) == job_id,
                col(JobRow.attempts) == attempts,
                or_(col(JobRow.state) == _QUEUED, _lapsed(lease_before)),
            )
            .values(state=_RUNNING, attempts=attempts + 1, claimed_by=worker, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def renew_job(self, job_id: int, *, worker: str, now: datetime) -> bool:
        result = await self.session.execute(
            update(JobRow)
            .where(
                col(JobRow.id) == job_id,
                col(JobRow.state) == _RUNNING,
                col(JobRow.claimed_by) == worker,
            )
            .values(claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def finish_job(self, job_id: int, *, worker: str, state: str, now: datetime) -> bool:
        result = await self.session.execute(
            update(JobRow)
            .where(
                col(JobRow.id) == job_id,
                col(JobRow.state) == _RUNNING,
                col(JobRow.claimed_by) == worker,
            )
            .values(state=state, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release_job(self, job_id: int, *, worker: str, count_attempt: bool) -> bool:
        values: dict[str, Any] = {"state": _QUEUED, "claimed_by": None, "claimed_at": None}
        if not count_attempt:
            values["attempts"] = col(JobRow.attempts) - 1
        result = await self.session.execute(
            update(JobRow)
            .where(
                col(JobRow.id) == job_id,
                col(JobRow.state) == _RUNNING,
                col(JobRow.claimed_by) == worker,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def abandon_jobs(
        self, *, lease_before: datetime, created_before: datetime, max_attempts: int, now: datetime
    ) -> list[Job]:
        hopeless = or_(
            and_(
                or_(col(JobRow.state) == _QUEUED, _lapsed(lease_before)),
                col(JobRow.created_at) < created_before,
            ),
            and_(_lapsed(lease_before), col(JobRow.attempts) >= max_attempts),
        )
        rows = (await self.session.scalars(select(JobRow).where(hopeless))).all()
        abandoned = []
        for row in rows:
            job = _job(row)
            # Each one conditionally, as a claim: a process that claimed it meanwhile keeps
            # it, and of two processes giving up on it, one tells the person.
            result = await self.session.execute(
                update(JobRow)
                .where(
                    col(JobRow.id) == job.id,
                    col(JobRow.attempts) == job.attempts,
                    col(JobRow.state) == job.state.value,
                    hopeless,
                )
                .values(state=JobState.ABANDONED.value, finished_at=now)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount:  # type: ignore[attr-defined]
                abandoned.append(job)
        return abandoned

    async def job_state(self, job_id: int) -> str | None:
        state = await self.session.scalar(select(col(JobRow.state)).where(col(JobRow.id) == job_id))
        return None if state is None else str(state)

    # The questionnaire's versions ----------------------------------------------------------

    async def questionnaire_version(
        self, number: int, *, content: bool = True
    ) -> StoredVersion | None:
        columns = _VERSION_COLUMNS + ((col(QuestionnaireVersionRow.content),) if content else ())
        row = (
            await self.session.execute(
                select(*columns).where(col(QuestionnaireVersionRow.number) == number)
            )
        ).first()
        return None if row is None else StoredVersion(*row)

    async def questionnaire_version_history(self) -> list[StoredVersion]:
        rows = await self.session.execute(
            select(*_VERSION_COLUMNS).order_by(col(QuestionnaireVersionRow.number))
        )
        return [StoredVersion(*row) for row in rows.all()]

    async def add_questionnaire_version(self, version: StoredVersion) -> bool:
        assert version.content is not None
        result = await self.session.execute(
            self._insert(QuestionnaireVersionRow)
            .values(
                number=version.number,
                questionnaire_id=version.questionnaire_id,
                wording=version.wording,
                checksum=version.checksum,
                content=dict(version.content),
                changes=dict(version.changes),
                created_by=version.by[:80],
                created_by_user=version.by_user,
                created_at=version.at,
            )
            .on_conflict_do_nothing(index_elements=["number"])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def count_answers(self, questionnaire_id: str) -> int:
        count = await self.session.scalar(
            select(func.count(col(AnswerRow.id)))
            .join(ResponseRow, col(ResponseRow.id) == col(AnswerRow.response_id))
            .where(col(ResponseRow.questionnaire_id) == questionnaire_id)
        )
        return int(count or 0)

    # Audit ---------------------------------------------------------------------------------

    async def audit(
        self,
        actor: Actor,
        action: str,
        *,
        now: datetime,
        office_id: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.session.add(
            AuditEventRow(
                at=now,
                actor=actor.label[:80],
                action=action,
                office_id=office_id,
                details={"name": actor.name, **(details or {})},
            )
        )
        await self.session.flush()

    async def audit_times(self, actor: Actor, action: str, since: datetime) -> list[datetime]:
        rows = await self.session.scalars(
            select(col(AuditEventRow.at)).where(
                col(AuditEventRow.actor) == actor.label,
                col(AuditEventRow.action) == action,
                col(AuditEventRow.at) > since,
            )
        )
        return list(rows.all())

    # Results -------------------------------------------------------------------------------

    async def level_counts(
        self, questionnaire_id: str, *, include_drafts: bool
    ) -> list[tuple[int, str, int]]:
        if not include_drafts:  # the tally kept at each submission and reopening: 160 rows
            tallied = await self.session.execute(
                select(
                    col(LevelTallyRow.recommendation),
                    col(LevelTallyRow.level),
                    col(LevelTallyRow.answers),
                ).where(
                    col(LevelTallyRow.questionnaire_id) == questionnaire_id,
                    col(LevelTallyRow.answers) > 0,
                )
            )
            return [(int(number), str(level), int(count)) for number, level, count in tallied]
        # With the drafts, every answer of the questionnaire is counted: drafts change at
        # every click, and the Secretariat asks for them rarely.
        query = (
            select(col(AnswerRow.recommendation), col(AnswerRow.level), func.count())
            .join(ResponseRow, col(ResponseRow.id) == col(AnswerRow.response_id))
            .where(
                col(ResponseRow.questionnaire_id) == questionnaire_id,
                col(AnswerRow.level).is_not(None),
            )
            .group_by(col(AnswerRow.recommendation), col(AnswerRow.level))
        )
        rows = await self.session.execute(query)
        return [(int(number), str(level), int(count)) for number, level, count in rows.all()]

    async def funnel(self, questionnaire_id: str) -> Funnel:
        answered = aliased(AnswerRow)
        row = (
            await self.session.execute(
                select(
                    select(func.count()).select_from(OfficeRow).scalar_subquery(),
                    select(func.count(distinct(col(InvitationRow.office_id)))).scalar_subquery(),
                    select(func.count(distinct(col(RepresentativeRow.office_id))))
                    .where(col(RepresentativeRow.revoked_at).is_(None))
                    .scalar_subquery(),
                    # One probe of the answer index per response, not a pass over every
                    # answer: an Office has one response per questionnaire.
                    select(func.count())
                    .select_from(ResponseRow)
                    .where(
                        col(ResponseRow.questionnaire_id) == questionnaire_id,
                        exists().where(
                            col(answered.response_id) == col(ResponseRow.id),
                            col(answered.level).is_not(None),
                        ),
                    )
                    .scalar_subquery(),
                    select(func.count())
                    .select_from(ResponseRow)
                    .where(
                        col(ResponseRow.questionnaire_id) == questionnaire_id,
                        col(ResponseRow.status) == SUBMITTED,
                    )
                    .scalar_subquery(),
                )
            )
        ).one()
        return Funnel(*(int(value) for value in row))

    async def export_rows(self, questionnaire_id: str) -> list[ExportRow]:
        # Ten thousand Offices make 400,000 rows: they are read as plain columns in batches
        # (no ORM objects, no identity map), in one statement so that they come from one
        # snapshot, and each Office's and each person's values are kept once and shared by
        # their rows, so the list costs little more than the rows' own times and comments.
        # The Office's names are read as text and parsed once per Office, not once per row.
        query = (
            select(
                col(OfficeRow.id),
                col(OfficeRow.code),
                col(OfficeRow.kind),
                cast(OfficeRow.names, Text),
                col(ResponseRow.status),
                col(ResponseRow.submitted_at),
                col(AnswerRow.recommendation),
                col(AnswerRow.level),
                col(AnswerRow.comment),
                col(AnswerRow.changed_at),
                col(AnswerRow.changed_by),
                col(RepresentativeRow.full_name),
                col(AnswerRow.questionnaire_version),
            )
            .join(ResponseRow, col(ResponseRow.office_id) == col(OfficeRow.id))
            .join(AnswerRow, col(AnswerRow.response_id) == col(ResponseRow.id))
            .join(RepresentativeRow, col(RepresentativeRow.id) == col(AnswerRow.changed_by))
            .where(col(ResponseRow.questionnaire_id) == questionnaire_id)
            .order_by(
                case((col(ResponseRow.status) == SUBMITTED, 0), else_=1),
                col(OfficeRow.code),
                col(AnswerRow.recommendation),
            )
            .execution_options(yield_per=_EXPORT_BATCH)
        )
        offices: dict[
            int | None, tuple[str, str, dict[str, str], ResponseStatus, datetime | None]
        ] = {}
        people: dict[int, str] = {}
        levels: dict[str, str] = {}
        rows: list[ExportRow] = []
        result = await self.session.stream(query)
        async for batch in result.partitions():
            # SQLite runs on the event loop's thread (storage/sqlite_in_loop.py): between
            # batches, other people's updates get their turn.
            await asyncio.sleep(0)
            for office_id, code, kind, names, status, submitted_at, *answer in batch:
                number, level, comment, changed_at, by, name, version = answer
                office = offices.get(office_id)
                if office is None:
                    office = offices[office_id] = (
                        code,
                        kind,
                        dict(json.loads(names) or {}) if names else {},
                        ResponseStatus(status),
                        submitted_at,
                    )
                rows.append(
                    ExportRow(
                        office_code=office[0],
                        office_kind=office[1],
                        office_names=office[2],
                        status=office[3],
                        submitted_at=office[4],
                        recommendation=number,
                        level=levels.setdefault(level, level) if level is not None else None,
                        comment=comment,
                        changed_at=changed_at,
                        changed_by_name=people.setdefault(by, name),
                        version=version,
                    )
                )
        return rows
