"""The statements every click runs, built once at import.

Building a statement (`select(...).where(...)`) costs SQLAlchemy more than running it on
SQLite, and the ORM layer of a session adds as much again. These are Core statements with
named parameters: per click SQLAlchemy only finds their compiled form in its cache.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Sequence
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, func, literal_column, outerjoin, select
from sqlmodel import col

from storage.models import (
    AnswerRow,
    QuestionnaireVersionRow,
    RepresentativeRow,
    ResponseRow,
    SurveySettingRow,
)
from survey.model import ResponseStatus

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

# The first read of an answer's write: who writes, the closing time in force and their Office's
# response, one statement (one round trip on PostgreSQL, outside any transaction). The
# response is not locked: `save_draft_answer` checks that it is a draft again as it writes.
WRITER = (
    select(
        *REPRESENTATIVE_COLUMNS,
        col(SurveySettingRow.questionnaire_id),
        col(SurveySettingRow.deadline),
        col(SurveySettingRow.updated_at),
        col(SurveySettingRow.updated_by),
        col(ResponseRow.id),
        col(ResponseRow.office_id),
        col(ResponseRow.questionnaire_id),
        col(ResponseRow.status),
        col(ResponseRow.submitted_at),
        col(ResponseRow.receipt),
    )
    .select_from(
        outerjoin(
            outerjoin(
                RepresentativeRow,
                SurveySettingRow,
                col(SurveySettingRow.questionnaire_id) == bindparam("questionnaire"),
            ),
            ResponseRow,
            and_(
                col(ResponseRow.office_id) == col(RepresentativeRow.office_id),
                col(ResponseRow.questionnaire_id) == bindparam("questionnaire"),
            ),
        )
    )
    .where(col(RepresentativeRow.telegram_user_id) == bindparam("user"))
)

# What every update starts with: the number of the questionnaire version in force (the primary
# key's last entry), compared with the one the process holds.
NEWEST_QUESTIONNAIRE_VERSION = select(func.max(col(QuestionnaireVersionRow.number)))

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
        col(AnswerRow.questionnaire_version),
    )
    .join(RepresentativeRow, col(RepresentativeRow.id) == col(AnswerRow.changed_by))
    .where(col(AnswerRow.response_id) == bindparam("response"))
    .order_by(col(AnswerRow.recommendation))
)

# What progress needs of the answers (what a window shows): no join, no times.
_CHOICE_COLUMNS = (
    col(AnswerRow.recommendation),
    col(AnswerRow.level),
    col(AnswerRow.comment),
    col(AnswerRow.questionnaire_version),
)
CHOICES = (
    select(*_CHOICE_COLUMNS)
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


_ANSWER_COLUMNS = AnswerRow.__table__.c  # type: ignore[attr-defined]
_SETTING_COLUMNS = SurveySettingRow.__table__.c  # type: ignore[attr-defined]
_IS_DRAFT = col(ResponseRow.status) == literal_column(f"'{ResponseStatus.DRAFT.value}'")


def _as_read(column: str) -> Any:
    """The response's questionnaire's stored deadline setting `column` is what the writer's
    read found (NULL, NULL: none stored)."""
    stored = (
        select(_SETTING_COLUMNS[column])
        .where(_SETTING_COLUMNS.questionnaire_id == col(ResponseRow.questionnaire_id))
        .scalar_subquery()
    )
    return stored.is_not_distinct_from(
        bindparam(f"read_{column}", type_=_SETTING_COLUMNS[column].type)
    )


# A write to a draft goes on only while what `WRITER` read still holds: the response a draft,
# the writer an active representative of its Office, the deadline setting as it was (so the
# closing time the rules checked is still the one in force). What was read may be older than
# this unit of work (survey/answering.py keeps it between a person's writes).
_STILL_AS_READ = (
    col(ResponseRow.id) == bindparam("response_id"),
    _IS_DRAFT,
    _as_read("deadline"),
    _as_read("updated_at"),
)
_ITS_WRITER = and_(
    col(RepresentativeRow.id) == bindparam("writer"),
    col(RepresentativeRow.office_id) == col(ResponseRow.office_id),
    col(RepresentativeRow.revoked_at).is_(None),
)


def _answer_values(source: Any, columns: Sequence[str]) -> Any:
    # Typed: PostgreSQL cannot tell a parameter's type from an INSERT's SELECT list.
    return select(
        source,
        bindparam("recommendation", type_=_ANSWER_COLUMNS.recommendation.type),
        *(bindparam(name, type_=_ANSWER_COLUMNS[name].type) for name in columns),
    )


def _upsert(dialect: str, values: Any, columns: Sequence[str]) -> Any:
    upsert = insert_of(dialect)(AnswerRow).from_select(
        ["response_id", "recommendation", *columns], values
    )
    return upsert.on_conflict_do_update(
        index_elements=["response_id", "recommendation"],
        set_={name: upsert.excluded[name] for name in columns},
    )


@cache
def save_to_draft(dialect: str, changed: Collection[str]) -> Any:
    """`save_answer`, made only while what the writer's read found still holds: no row
    written otherwise."""
    columns = sorted(changed)
    values = (
        _answer_values(col(ResponseRow.id), columns)
        .join_from(ResponseRow, RepresentativeRow, _ITS_WRITER)
        .where(*_STILL_AS_READ)
    )
    return _upsert(dialect, values, columns)


@cache
def save_to_draft_with_choices(changed: Collection[str]) -> Any:
    """PostgreSQL: `save_to_draft` with the response's answers after it (none: what was read
    no longer holds, and nothing was written), in one statement, so a transaction of its own:
    one round trip and its commit. The response's row is locked as `LOCKED_RESPONSE` locks it:
    a submission in progress is waited for, and then the row is no longer a draft."""
    draft = (
        select(col(ResponseRow.id))
        .join_from(ResponseRow, RepresentativeRow, _ITS_WRITER)
        .where(*_STILL_AS_READ)
        .with_for_update(of=ResponseRow)
        .cte("draft")
    )
    columns = sorted(changed)
    saved = (
        _upsert("postgresql", _answer_values(draft.c.id, columns), columns)
        .returning(*_CHOICE_COLUMNS)
        .cte("saved")
    )
    # The other answers as the statement found them when it began: a colleague's answer
    # committed while this one waited for the row shows in the next window, not this one.
    others = (
        select(*_CHOICE_COLUMNS)
        .join(draft, col(AnswerRow.response_id) == draft.c.id)
        .where(col(AnswerRow.recommendation) != bindparam("recommendation"))
    )
    return (
        select(
            saved.c.recommendation, saved.c.level, saved.c.comment, saved.c.questionnaire_version
        )
        .union_all(others)
        .order_by("recommendation")
    )
