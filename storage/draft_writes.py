"""The usual answer write: who writes and their Office's response in one read, then the answer
saved only if what was read still holds (survey/setup.py `unlocked_draft`; survey/answering.py
keeps what a person's last write read, so their next one is the save alone).

`DraftWriting` holds those two steps; `SqlSurveyStore` has them, and so does `DraftUnit`: a
unit of work of their own on a connection taken straight from the pool, without the ORM
session, whose bookkeeping (a connection, a transaction, a commit and a close, each through
a greenlet) cost a click more than its statements. On SQLite the unit holds the write lock
from its BEGIN IMMEDIATE to its commit; on PostgreSQL each statement is a transaction of its
own. Whatever else a write needs (a first answer, a refusal to explain) takes a full unit of
work afterwards.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.expression import Executable
from sqlalchemy.util.concurrency import greenlet_spawn

from storage import click_statements as clicks
from storage.prepared import DirectPostgres, DirectSqlite, direct_driver, wrapped
from storage.receipts import receipt_of
from storage.sqlite_in_loop import patiently
from survey.model import (
    AnswerChoice,
    DeadlineSetting,
    Representative,
    ResponseRecord,
    ResponseStatus,
)


class DraftWriting:
    """The two steps, on the statement primitives of the class this is mixed into."""

    @property
    def _dialect(self) -> str:
        raise NotImplementedError

    async def _first_alone(self, statement: Executable, **parameters: Any) -> Sequence[Any] | None:
        raise NotImplementedError

    async def _all_alone(self, statement: Executable, **parameters: Any) -> Sequence[Sequence[Any]]:
        raise NotImplementedError

    async def _all(self, statement: Executable, **parameters: Any) -> Sequence[Sequence[Any]]:
        raise NotImplementedError

    async def _execute(self, statement: Executable, **parameters: Any) -> int:
        raise NotImplementedError

    async def commit(self) -> None:
        raise NotImplementedError

    async def newest_questionnaire_version(self) -> int | None:
        row = await self._first_alone(clicks.NEWEST_QUESTIONNAIRE_VERSION)
        return None if row is None or row[0] is None else int(row[0])

    async def writer(
        self, telegram_user_id: int, questionnaire_id: str
    ) -> tuple[Representative | None, DeadlineSetting | None, ResponseRecord | None]:
        row = await self._first_alone(
            clicks.WRITER, user=telegram_user_id, questionnaire=questionnaire_id
        )
        if row is None:
            return None, None, None
        person, (stored, *setting), (response_id, *found) = row[:7], row[7:11], row[11:]
        response = None
        if response_id is not None:
            office, questionnaire, status, submitted_at, receipt = found
            response = ResponseRecord(
                id=response_id,
                office_id=office,
                questionnaire_id=questionnaire,
                status=ResponseStatus(status),
                submitted_at=submitted_at,
                submitted_by_name=None,  # not read: a write goes on only to a draft
                receipt=receipt_of(receipt),
            )
        deadline = DeadlineSetting(*setting) if stored is not None else None
        return Representative(*person), deadline, response

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
        changes = {**values, "changed_at": now, "changed_by": by, "questionnaire_version": version}
        changed = frozenset(changes)
        parameters = {
            "response_id": response_id,
            "recommendation": recommendation,
            "writer": by,
            "read_deadline": setting.deadline if setting else None,
            "read_updated_at": setting.updated_at if setting else None,
            **changes,
        }
        if self._dialect == "postgresql":
            # One statement: written, committed and the answers read in one round trip.
            rows = await self._all_alone(clicks.save_to_draft_with_choices(changed), **parameters)
            if not rows:
                return None
        else:
            if not await self._execute(clicks.save_to_draft(self._dialect, changed), **parameters):
                return None
            rows = await self._all(clicks.CHOICES, response=response_id)
        await self.commit()
        return [AnswerChoice(*row) for row in rows]


class DraftUnit(DraftWriting):
    """`DraftWriting` on a pooled connection of its own (`SqlStoreFactory.draft_writes`)."""

    def __init__(self, pooled: PoolProxiedConnection, dialect: Dialect) -> None:
        direct = direct_driver(pooled, dialect, owns_transaction=True)
        assert direct is not None, "SqlStoreFactory.draft_writes checks runs_direct"
        self._pooled = pooled
        self._direct = direct
        self._sqlite: sqlite3.Connection | None = (
            pooled.driver_connection if isinstance(direct, DirectSqlite) else None
        )
        self._sql_dialect = dialect

    @property
    def _dialect(self) -> str:
        return self._sql_dialect.name

    async def _first_alone(self, statement: Executable, **parameters: Any) -> Sequence[Any] | None:
        return await self._direct.first(statement, parameters, alone=True)

    async def _all_alone(self, statement: Executable, **parameters: Any) -> Sequence[Sequence[Any]]:
        return await self._direct.all(statement, parameters, alone=True)

    async def _all(self, statement: Executable, **parameters: Any) -> Sequence[Sequence[Any]]:
        return await self._direct.all(statement, parameters)

    async def _execute(self, statement: Executable, **parameters: Any) -> int:
        return await self._direct.execute(statement, parameters)

    async def begin(self) -> None:
        if self._sqlite is not None:
            await self._sqlite_step("BEGIN IMMEDIATE")

    async def commit(self) -> None:
        if self._sqlite is not None and self._sqlite.in_transaction:
            await self._sqlite_step("COMMIT")
        elif isinstance(self._direct, DirectPostgres):
            # Usually nothing: the unit's statements are transactions of their own ("alone").
            await self._direct.commit()

    async def end(self, failed: BaseException | None) -> None:
        """Back to the pool: what was not committed is rolled back; on PostgreSQL a unit cut
        short mid-statement gives up its connection (it may still be talking to the server)."""
        sqlite = self._sqlite
        if sqlite is not None:
            if sqlite.in_transaction:
                sqlite.rollback()
            self._pooled.close()  # closing a connection the pool has no room for: sqlite3's
        elif failed is None:
            assert isinstance(self._direct, DirectPostgres)
            await self._direct.rollback()  # what the unit began and did not commit
            # Nothing begun, so the pool's reset sends nothing; but a connection the pool has
            # no room for is closed, which asyncpg's adapter does through a greenlet.
            await greenlet_spawn(self._pooled.close)
        else:
            await greenlet_spawn(self._discard, failed)

    def _discard(self, failed: BaseException) -> None:
        self._pooled.invalidate(failed if isinstance(failed, Exception) else None)
        self._pooled.close()

    async def _sqlite_step(self, sql: str) -> None:
        assert self._sqlite is not None
        connection = self._sqlite
        try:
            # Another process (the command line, a backup) may hold the lock: waited for on
            # the loop, as storage/sqlite_in_loop.py waits.
            await patiently(lambda: connection.cursor(sqlite3.Cursor).execute(sql))
        except sqlite3.Error as error:
            raise wrapped(error, sqlite3.Error, self._sql_dialect, sql) from error
