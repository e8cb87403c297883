"""The statements every click runs, built once at import.

Building a statement (`select(...).where(...)`) costs SQLAlchemy more than running it on
SQLite, and the ORM layer of a session adds as much again. These are Core statements with
named parameters: per click SQLAlchemy only finds their compiled form in its cache.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection
from functools import cache
from typing import Any

from sqlalchemy import bindparam, outerjoin, select
from sqlmodel import col

from storage.models import AnswerRow, RepresentativeRow, ResponseRow, SurveySettingRow

REPRESENTATIVE_COLUMNS = (
    col(RepresentativeRow.id),
    col(RepresentativeRow.telegram_user_id),
    col(RepresentativeRow.office_id),
    col(RepresentativeRow.full_name),
    col(RepresentativeRow.language),
    col(RepresentativeRow.verified_at),
    col(RepresentativeRow.revoked_at),
)

REPRESENTATIVE_BY_USER = select(*REPRESENTATIVE_COLUMNS).where(
    col(RepresentativeRow.telegram_user_id) == bindparam("user")
)

# Every write starts with who writes and the closing time in force: one statement (a round
# trip fewer on PostgreSQL). The settings row is joined on the questionnaire alone, so the
# representative's row comes back whether or not the Secretariat ever set a deadline.
REPRESENTATIVE_AND_DEADLINE = (
    select(
        *REPRESENTATIVE_COLUMNS,
        col(SurveySettingRow.questionnaire_id),
        col(SurveySettingRow.deadline),
        col(SurveySettingRow.updated_at),
        col(SurveySettingRow.updated_by),
    )
    .select_from(
        outerjoin(
            RepresentativeRow,
            SurveySettingRow,
            col(SurveySettingRow.questionnaire_id) == bindparam("questionnaire"),
        )
    )
    .where(col(RepresentativeRow.telegram_user_id) == bindparam("user"))
)

DEADLINE_SETTING = select(
    col(SurveySettingRow.deadline),
    col(SurveySettingRow.updated_at),
    col(SurveySettingRow.updated_by),
).where(col(SurveySettingRow.questionnaire_id) == bindparam("questionnaire"))

_THE_RESPONSE = (
    col(ResponseRow.office_id) == bindparam("office"),
    col(ResponseRow.questionnaire_id) == bindparam("questionnaire"),
)

RESPONSE = (
    select(
        col(ResponseRow.id),
        col(ResponseRow.office_id),
        col(ResponseRow.questionnaire_id),
        col(ResponseRow.status),
        col(ResponseRow.submitted_at),
        col(RepresentativeRow.full_name),
        col(ResponseRow.receipt),
    )
    .outerjoin(RepresentativeRow, col(RepresentativeRow.id) == col(ResponseRow.submitted_by))
    .where(*_THE_RESPONSE)
)

# The response of a write, locked against a concurrent submission until commit (PostgreSQL
# waits for the other writer's commit; SQLite already runs one writer at a time and the
# clause is left out). Nothing joined: after such a wait PostgreSQL re-reads the locked row
# but not rows joined to it. The submitter's name is read apart, and only if there is one.
LOCKED_RESPONSE = (
    select(
        col(ResponseRow.id),
        col(ResponseRow.office_id),
        col(ResponseRow.questionnaire_id),
        col(ResponseRow.status),
        col(ResponseRow.submitted_at),
        col(ResponseRow.submitted_by),
        col(ResponseRow.receipt),
    )
    .where(*_THE_RESPONSE)
    .with_for_update()
)

NAME = select(col(RepresentativeRow.full_name)).where(
    col(RepresentativeRow.id) == bindparam("representative")
)

ANSWERS = (
    select(
        col(AnswerRow.recommendation),
        col(AnswerRow.level),
        col(AnswerRow.comment),
        col(AnswerRow.changed_at),
        col(AnswerRow.changed_by),
        col(RepresentativeRow.full_name),
    )
    .join(RepresentativeRow, col(RepresentativeRow.id) == col(AnswerRow.changed_by))
    .where(col(AnswerRow.response_id) == bindparam("response"))
    .order_by(col(AnswerRow.recommendation))
)

# What progress needs of the answers (what a window shows): no join, no times.
CHOICES = (
    select(col(AnswerRow.recommendation), col(AnswerRow.level), col(AnswerRow.comment))
    .where(col(AnswerRow.response_id) == bindparam("response"))
    .order_by(col(AnswerRow.recommendation))
)


def insert_of(dialect: str) -> Callable[[Any], Any]:
    """INSERT with ON CONFLICT, in `dialect` ("sqlite" or "postgresql"). The dialect module is
    imported here, on first use: a SQLite bot need not carry PostgreSQL's (a few MB)."""
    module = importlib.import_module(f"sqlalchemy.dialects.{dialect}")
    return module.insert  # type: ignore[no-any-return]


@cache
def save_answer(dialect: str, changed: Collection[str]) -> Any:
    """The upsert of one answer that sets the `changed` columns (a frozenset: "level",
    "comment" or both, with "changed_at" and "changed_by"); one per dialect and shape."""
    insert = insert_of(dialect)(AnswerRow)
    columns = sorted(changed)
    statement = insert.values(
        response_id=bindparam("response_id"),
        recommendation=bindparam("recommendation"),
        **{name: bindparam(name) for name in columns},
    )
    return statement.on_conflict_do_update(
        index_elements=["response_id", "recommendation"],
        set_={name: statement.excluded[name] for name in columns},
    )
