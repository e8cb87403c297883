"""The SQL side of the personal-data use cases (survey/privacy.py): what is held about a
person, their acknowledgements of the notice, and the replacement of their identity by a
pseudonym in every table that can hold it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, delete, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage import click_statements as clicks
from storage.models import (
    AnswerRow,
    AuditEventRow,
    BroadcastRecipientRow,
    BroadcastRow,
    InvitationRow,
    JobRow,
    NoticeAcknowledgementRow,
    PurgeClaimRow,
    QuestionnaireVersionRow,
    RepresentativeRow,
    ResponseRow,
    SurveySettingRow,
    UserPreferenceRow,
)
from survey.model import AnswerRecord, AuditEntry, NoticeAcknowledgement, Representative
from survey.pseudonyms import Forgetting, Replacer


def _contains_any(column: Any, needles: Sequence[str]) -> ColumnElement[bool]:
    if not needles:
        return false()
    return or_(*(column.contains(needle, autoescape=True) for needle in needles))


def _json_needles(replacer: Replacer) -> list[str]:
    """What a name looks like inside stored JSON too (non-ASCII letters escaped)."""
    needles = replacer.needles()
    return sorted({*needles, *(json.dumps(needle)[1:-1] for needle in needles)})


class PersonalDataStorage:
    """Mixed into `SqlSurveyStore`: the statements run in its unit of work."""

    session: AsyncSession

    # What is held -----------------------------------------------------------------------

    async def every_representative(self, office_id: int | None = None) -> list[Representative]:
        query = select(RepresentativeRow).order_by(col(RepresentativeRow.id))
        if office_id is not None:
            query = query.where(col(RepresentativeRow.office_id) == office_id)
        rows = await self.session.scalars(query)
        return [
            Representative(
                row.id or 0,
                row.telegram_user_id,
                row.office_id,
                row.full_name,
                row.language,
                row.verified_at,
                row.revoked_at,
                row.forgotten_at,
            )
            for row in rows.all()
        ]

    async def answers_changed_by(self, representative_id: int) -> list[tuple[str, AnswerRecord]]:
        """(Questionnaire, answer) of every answer this person changed last."""
        rows = await self.session.execute(
            select(
                col(ResponseRow.questionnaire_id),
                col(AnswerRow.recommendation),
                col(AnswerRow.level),
                col(AnswerRow.comment),
                col(AnswerRow.changed_at),
                col(AnswerRow.questionnaire_version),
            )
            .join(ResponseRow, col(ResponseRow.id) == col(AnswerRow.response_id))
            .where(col(AnswerRow.changed_by) == representative_id)
            .order_by(col(ResponseRow.questionnaire_id), col(AnswerRow.recommendation))
        )
        return [
            (questionnaire, AnswerRecord(number, level, comment, at, representative_id, None, v))
            for questionnaire, number, level, comment, at, v in rows.all()
        ]

    async def audit_naming(self, telegram_user_id: int, full_name: str) -> list[AuditEntry]:
        """Audit entries this person made or that name them (their id or name), oldest
        first."""
        person = Forgetting(0, telegram_user_id, full_name, "")
        replacer = Replacer([person])
        rows = await self.session.scalars(
            select(AuditEventRow)
            .where(
                or_(
                    col(AuditEventRow.actor) == person.label,
                    _contains_any(cast(AuditEventRow.details, Text), _json_needles(replacer)),
                )
            )
            .order_by(col(AuditEventRow.id))
        )
        return [
            AuditEntry(row.at, row.actor, row.action, row.office_id, dict(row.details))
            for row in rows.all()
            # the filter is loose (a name within a longer word): keep what names them
            if row.actor == person.label or replacer.data(row.details) != row.details
        ]

    # The privacy notice -----------------------------------------------------------------

    async def acknowledge_notice(self, telegram_user_id: int, version: str, now: datetime) -> None:
        self.session.add(
            NoticeAcknowledgementRow(
                telegram_user_id=telegram_user_id, notice_version=version[:64], acknowledged_at=now
            )
        )
        await self.session.flush()

    async def notice_acknowledgements(self, telegram_user_id: int) -> list[NoticeAcknowledgement]:
        rows = await self.session.execute(
            select(
                col(NoticeAcknowledgementRow.notice_version),
                col(NoticeAcknowledgementRow.acknowledged_at),
            )
            .where(col(NoticeAcknowledgementRow.telegram_user_id) == telegram_user_id)
            .order_by(col(NoticeAcknowledgementRow.id))
        )
        return [NoticeAcknowledgement(version, at) for version, at in rows.all()]

    # The purge's claim ------------------------------------------------------------------

    async def claim_purge(
        self, questionnaire_id: str, deadline: datetime, *, by: str, now: datetime
    ) -> bool:
        """Insert the claim unless it exists: True for exactly one caller (as reminders)."""
        insert = clicks.insert_of(self.session.get_bind().dialect.name)(PurgeClaimRow)
        result = await self.session.execute(
            insert.values(
                questionnaire_id=questionnaire_id, deadline=deadline, claimed_at=now, claimed_by=by
            ).on_conflict_do_nothing(index_elements=["questionnaire_id", "deadline"])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def finish_purge(self, questionnaire_id: str, deadline: datetime, now: datetime) -> None:
        await self.session.execute(
            update(PurgeClaimRow)
            .where(
                col(PurgeClaimRow.questionnaire_id) == questionnaire_id,
                col(PurgeClaimRow.deadline) == deadline,
            )
            .values(finished_at=now)
        )

    # Forgetting -------------------------------------------------------------------------

    async def forget_people(
        self, people: Sequence[Forgetting], now: datetime, *, everyone: bool = False
    ) -> dict[str, int]:
        """Each person's Telegram id, name, language and actor label replaced by their
        pseudonym in every table; rows changed per table. `everyone`: the purge, which reads
        each table whole once instead of looking for each person."""
        replacer = Replacer(people)
        changed: dict[str, int] = {}
        if not replacer:
            return changed
        ids = [p.telegram_user_id for p in people]
        labels = [p.label for p in people]

        def count(table: str, rows: int) -> None:
            if rows:
                changed[table] = changed.get(table, 0) + rows

        # Conditional: of two erasures of one person at once, the second (on PostgreSQL
        # waiting for the first's commit) changes no row, and its caller gives up.
        for person in people:
            result = await self.session.execute(
                update(RepresentativeRow)
                .where(
                    col(RepresentativeRow.id) == person.representative_id,
                    col(RepresentativeRow.telegram_user_id) == person.telegram_user_id,
                    col(RepresentativeRow.forgotten_at).is_(None),
                )
                .values(
                    telegram_user_id=person.new_id,
                    full_name=person.pseudonym,
                    language=None,
                    forgotten_at=now,
                )
            )
            count("representative", result.rowcount)  # type: ignore[attr-defined]
        await self.session.execute(
            update(RepresentativeRow)
            .where(
                col(RepresentativeRow.id).in_([p.representative_id for p in people]),
                col(RepresentativeRow.revoked_at).is_(None),
            )
            .values(revoked_at=now)
        )

        result = await self.session.execute(
            delete(UserPreferenceRow).where(col(UserPreferenceRow.telegram_user_id).in_(ids))
        )
        count("user_preference", result.rowcount)  # type: ignore[attr-defined]

        acknowledgements = await self.session.scalars(
            select(NoticeAcknowledgementRow).where(
                col(NoticeAcknowledgementRow.telegram_user_id).in_(ids)
            )
        )
        for ack in acknowledgements.all():
            ack.telegram_user_id = replacer.user_id(ack.telegram_user_id) or 0
            count("notice_acknowledgement", 1)

        responses = await self.session.scalars(
            select(ResponseRow).where(
                col(ResponseRow.submitted_by).in_([p.representative_id for p in people]),
                col(ResponseRow.receipt).is_not(None),
            )
        )
        by_representative = {p.representative_id: p for p in people}
        for response in responses.all():
            submitter = by_representative.get(response.submitted_by or 0)
            if submitter is not None and response.receipt is not None:
                receipt = dict(response.receipt)
                receipt["submitted_by"] = submitter.pseudonym
                response.receipt = receipt
                count("response", 1)

        json_needles = _json_needles(replacer)
        audit_query = select(AuditEventRow)
        if not everyone:
            audit_query = audit_query.where(
                or_(
                    col(AuditEventRow.actor).in_(labels),
                    _contains_any(cast(AuditEventRow.details, Text), json_needles),
                )
            )
        for event in (await self.session.scalars(audit_query)).all():
            actor, details = replacer.text(event.actor), replacer.data(event.details)
            if actor != event.actor or details != event.details:
                event.actor, event.details = actor[:80], details
                count("audit_event", 1)

        recipients = select(BroadcastRecipientRow)
        if not everyone:
            recipients = recipients.where(
                or_(
                    col(BroadcastRecipientRow.chat_id).in_(ids),
                    _contains_any(col(BroadcastRecipientRow.text), replacer.needles()),
                )
            )
        for recipient in (await self.session.scalars(recipients)).all():
            chat, text = replacer.user_id(recipient.chat_id) or 0, replacer.text(recipient.text)
            if chat != recipient.chat_id or text != recipient.text:
                recipient.chat_id, recipient.text = chat, text
                count("broadcast_recipient", 1)

        broadcasts = await self.session.scalars(
            select(BroadcastRow).where(
                or_(col(BroadcastRow.actor).in_(labels), col(BroadcastRow.report_chat).in_(ids))
            )
        )
        for broadcast in broadcasts.all():
            broadcast.actor = replacer.text(broadcast.actor)[:80]
            if broadcast.report_chat in ids:
                broadcast.report_chat = replacer.user_id(broadcast.report_chat)
                broadcast.report_language = None
            count("broadcast", 1)

        jobs = select(JobRow)
        if not everyone:
            jobs = jobs.where(
                or_(
                    col(JobRow.user_id).in_(ids),
                    col(JobRow.chat_id).in_(ids),
                    _contains_any(cast(JobRow.parameters, Text), json_needles),
                )
            )
        for job in (await self.session.scalars(jobs)).all():
            user, chat = replacer.user_id(job.user_id) or 0, replacer.user_id(job.chat_id) or 0
            parameters = replacer.data(job.parameters)
            if (user, chat, parameters) != (job.user_id, job.chat_id, job.parameters):
                if user != job.user_id:
                    job.language = ""  # their language goes with them
                job.user_id, job.chat_id, job.parameters = user, chat, parameters
                count("job", 1)

        for table, column in (
            (SurveySettingRow, SurveySettingRow.updated_by),
            (InvitationRow, InvitationRow.created_by),
            (QuestionnaireVersionRow, QuestionnaireVersionRow.created_by),
            (PurgeClaimRow, PurgeClaimRow.claimed_by),
        ):
            for label in labels:
                result = await self.session.execute(
                    update(table)
                    .where(col(column) == label)
                    .values({column.key: replacer.text(label)})  # type: ignore[attr-defined]
                )
                count(str(table.__tablename__), result.rowcount)  # type: ignore[attr-defined]
        for person in people:
            result = await self.session.execute(
                update(QuestionnaireVersionRow)
                .where(col(QuestionnaireVersionRow.created_by_user) == person.telegram_user_id)
                .values(created_by_user=person.new_id)
            )
            count("questionnaire_version", result.rowcount)  # type: ignore[attr-defined]
        await self.session.flush()
        return changed
