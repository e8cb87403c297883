"""The click's statements compiled once, and run on the driver's own connection.

A click's statements take microseconds each on SQLite, and a few tens of microseconds on a
PostgreSQL server next door, while SQLAlchemy spent far more than that around every one of
them: the compiled cache's key walked over the statement, an execution context, a result
object, the session's bookkeeping, and for asyncpg a greenlet switch on every call into the
driver. A statement of `storage/click_statements.py` is compiled here once per dialect into
its SQL text, the order of its parameters and the conversions of its values (the ones
SQLAlchemy applies, taken from the compiled form), then run straight on the driver connection
of the session's unit of work.

The transaction stays the unit of work's: the session's, or that of a unit of work taken
straight from the pool (storage/draft_writes.py). On SQLite it began with BEGIN IMMEDIATE
(waited for patiently, `storage/sqlite_in_loop.py`), and while a unit of work holds SQLite's
write lock nothing here can be refused with SQLITE_BUSY. On PostgreSQL it begins at the first
statement, as SQLAlchemy's asyncpg adapter would begin it, unless that statement is run
`alone`: then it is a transaction of its own. A driver error leaves here as the same
SQLAlchemy exception the session would have raised.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.expression import Executable
from sqlalchemy.types import TypeEngine

from storage.sqlite_in_loop import DRIVER as SQLITE_IN_LOOP
from storage.types import UTCDateTime

if TYPE_CHECKING:  # imported by the PostgreSQL dialect only: a SQLite bot loads none of it
    import asyncpg
    from asyncpg.transaction import Transaction

Convert = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Prepared:
    sql: str
    parameters: tuple[tuple[str, Convert | None], ...]  # in the order of the SQL's "?"
    columns: tuple[Convert | None, ...]  # one per result column, None: as the driver gives it
    converts: bool  # any column converted; else rows are used as the driver gives them

    def arguments(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            values[name] if convert is None else convert(values[name])
            for name, convert in self.parameters
        )

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        if not self.converts:
            return tuple(raw)
        return tuple(
            value if convert is None else convert(value)
            for value, convert in zip(raw, self.columns, strict=True)
        )


@cache
def prepare(statement: Executable, dialect: Dialect) -> Prepared:
    """`statement` as `dialect` runs it: compiled with SQLAlchemy, once, and each value
    converted as SQLAlchemy converts it (each type's own bind and result processors)."""
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    by_name = {compiled.bind_names[bind]: bind for bind in compiled.binds.values()}
    names: Sequence[str] = compiled.positiontup or ()
    result_types = [column.type for column in statement.exported_columns]  # type: ignore[attr-defined]
    columns = tuple(_result_converter(column_type, dialect) for column_type in result_types)
    return Prepared(
        sql=compiled.string,
        parameters=tuple(
            (name, by_name[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in names
        ),
        columns=columns,
        converts=any(columns),
    )


def _result_converter(column_type: TypeEngine[Any], dialect: Dialect) -> Convert | None:
    if isinstance(column_type, UTCDateTime) and dialect.name == "sqlite":
        return UTCDateTime.from_sqlite  # SQLAlchemy's two conversions in one
    return column_type.dialect_impl(dialect).result_processor(dialect, None)


class DirectSqlite:
    """The sqlite3 connection of one unit of work, running prepared statements."""

    def __init__(self, connection: sqlite3.Connection, dialect: Dialect) -> None:
        self._connection = connection
        self._dialect = dialect

    def in_transaction(self) -> bool:
        return self._connection.in_transaction

    # `alone` has no use here: the unit of work holds SQLite's write lock from its first
    # statement, so everything in it is one transaction.
    async def first(
        self, statement: Executable, parameters: Mapping[str, Any], *, alone: bool = False
    ) -> tuple[Any, ...] | None:
        prepared = prepare(statement, self._dialect)
        raw = self._run(prepared, parameters).fetchone()
        return None if raw is None else prepared.row(raw)

    async def all(
        self, statement: Executable, parameters: Mapping[str, Any], *, alone: bool = False
    ) -> Sequence[Sequence[Any]]:
        prepared = prepare(statement, self._dialect)
        rows = self._run(prepared, parameters).fetchall()
        if not prepared.converts:
            return rows
        return [prepared.row(raw) for raw in rows]

    async def execute(self, statement: Executable, parameters: Mapping[str, Any]) -> int:
        """Rows the statement wrote."""
        return self._run(prepare(statement, self._dialect), parameters).rowcount

    def _run(self, prepared: Prepared, parameters: Mapping[str, Any]) -> sqlite3.Cursor:
        try:
            return self._connection.execute(prepared.sql, prepared.arguments(parameters))
        except sqlite3.Error as error:
            raise wrapped(error, sqlite3.Error, self._dialect, prepared.sql) from error


class DirectPostgres:
    """The asyncpg connection of one unit of work, running prepared statements.

    In a session's unit of work the transaction is SQLAlchemy's (`in_transaction` tells the
    session to run the first statement itself, which begins it, so that its commit is the
    session's); in a unit of work straight from the pool (`owns_transaction`) it is asyncpg's
    own, begun at the first statement not run `alone`, committed by `commit`."""

    def __init__(
        self, connection: asyncpg.Connection, dialect: Dialect, *, owns_transaction: bool
    ) -> None:
        self._connection = connection
        self._dialect = dialect
        self._owns_transaction = owns_transaction
        self._transaction: Transaction | None = None

    def in_transaction(self) -> bool:
        in_transaction: bool = self._connection.is_in_transaction()
        return in_transaction

    # `alone`: outside the unit of work's transaction when none has begun yet, so that the
    # statement is a transaction of its own (no BEGIN, no COMMIT: round trips saved).
    async def first(
        self, statement: Executable, parameters: Mapping[str, Any], *, alone: bool = False
    ) -> tuple[Any, ...] | None:
        prepared = prepare(statement, self._dialect)
        raw = await self._run("fetchrow", prepared, prepared.arguments(parameters), alone)
        return None if raw is None else prepared.row(raw)

    async def all(
        self, statement: Executable, parameters: Mapping[str, Any], *, alone: bool = False
    ) -> Sequence[Sequence[Any]]:
        prepared = prepare(statement, self._dialect)
        rows: Sequence[Sequence[Any]]
        rows = await self._run("fetch", prepared, prepared.arguments(parameters), alone)
        if not prepared.converts:
            return rows  # asyncpg's records, read by position as tuples are
        return [prepared.row(raw) for raw in rows]

    async def execute(self, statement: Executable, parameters: Mapping[str, Any]) -> int:
        """Rows the statement wrote (from the server's command tag: "INSERT 0 1")."""
        prepared = prepare(statement, self._dialect)
        tag: str = await self._run("execute", prepared, prepared.arguments(parameters), False)
        count = tag.rpartition(" ")[2]
        return int(count) if count.isdigit() else 0

    async def commit(self) -> None:
        """The transaction this began, committed; nothing to do when none was."""
        transaction, self._transaction = self._transaction, None
        if transaction is not None:
            await self._step(transaction.commit, "COMMIT")

    async def rollback(self) -> None:
        transaction, self._transaction = self._transaction, None
        if transaction is not None:
            await self._step(transaction.rollback, "ROLLBACK")

    async def _run(
        self, method: str, prepared: Prepared, arguments: tuple[Any, ...], alone: bool
    ) -> Any:
        connection = self._connection
        if not alone and not connection.is_in_transaction():
            # A statement of a session's unit of work outside its transaction would be lost
            # at the session's commit: `SqlSurveyStore` runs the first one through SQLAlchemy.
            assert self._owns_transaction, "the session's transaction has not begun"
            transaction = connection.transaction()
            await self._step(transaction.start, "BEGIN")
            self._transaction = transaction
        try:
            return await getattr(connection, method)(prepared.sql, *arguments)
        except Exception as error:
            raise _as_sqlalchemy_error(error, connection, self._dialect, prepared.sql) from error

    async def _step(self, step: Callable[[], Awaitable[None]], sql: str) -> None:
        try:
            await step()
        except Exception as error:
            raise _as_sqlalchemy_error(error, self._connection, self._dialect, sql) from error


def sql_log_on(engine: Engine | AsyncEngine) -> bool:
    """Whether SQLAlchemy logs statements (`echo`, or its logger at INFO): then they go through
    SQLAlchemy, so that the log shows them."""
    return bool(engine.echo) or _ENGINE_LOG.isEnabledFor(logging.INFO)


_ENGINE_LOG = logging.getLogger("sqlalchemy.engine.Engine")


def runs_direct(dialect: Dialect) -> bool:
    """Whether the statements of this module run on the driver's own connections: sqlite3 on
    the loop (storage/sqlite_in_loop.py) or asyncpg; any other goes through SQLAlchemy."""
    return dialect.driver in (SQLITE_IN_LOOP, "asyncpg")


def direct_driver(
    pooled: Any, dialect: Dialect, *, owns_transaction: bool
) -> DirectSqlite | DirectPostgres | None:
    """The pooled connection `pooled` (its `driver_connection`), to run prepared statements
    on; None: not `runs_direct`."""
    if dialect.driver == SQLITE_IN_LOOP:
        return DirectSqlite(pooled.driver_connection, dialect)
    if dialect.driver == "asyncpg":
        return DirectPostgres(pooled.driver_connection, dialect, owns_transaction=owns_transaction)
    return None


@cache
def _dbapi_class_names() -> tuple[tuple[type[Exception], str], ...]:
    """asyncpg's errors by the PEP 249 class SQLAlchemy's asyncpg dialect raises for them,
    most specific first (classes of `dialect.loaded_dbapi`, whose names SQLAlchemy's own
    exceptions carry: IntegrityError, ProgrammingError...)."""
    from asyncpg import exceptions

    return (
        (exceptions.IntegrityConstraintViolationError, "IntegrityError"),
        (exceptions.SyntaxOrAccessError, "ProgrammingError"),
        (exceptions.InterfaceError, "InterfaceError"),
        (exceptions.InternalClientError, "InternalError"),
        (exceptions.InternalServerError, "InternalError"),
        (exceptions.PostgresError, "Error"),
    )


def _as_sqlalchemy_error(
    error: Exception, connection: asyncpg.Connection, dialect: Dialect, sql: str
) -> Exception:
    """`error` from asyncpg as the session would have raised it: first in its DB-API form
    (IntegrityError, InterfaceError...), then as SQLAlchemy's exception of that name."""
    dbapi = dialect.loaded_dbapi
    dbapi_error: type[Exception] = dbapi.Error
    if not isinstance(error, dbapi_error):
        for asyncpg_class, name in _dbapi_class_names():
            if isinstance(error, asyncpg_class):
                message = error.args[0] if error.args else str(error)
                adapted: Exception = getattr(dbapi, name)(message, error)
                adapted.__cause__ = error
                error = adapted
                break
    return wrapped(error, dbapi_error, dialect, sql, lost=connection.is_closed())


def wrapped(
    error: Exception,
    dbapi_error: type[Exception],
    dialect: Dialect,
    sql: str,
    *,
    lost: bool = False,
) -> Exception:
    """A DB-API error in SQLAlchemy's exception of the same name (what the error handlers and
    callers catch), marked as a lost connection when it is one. The parameters stay out of
    it: they are what people typed."""
    return DBAPIError.instance(
        sql,
        None,
        error,
        dbapi_error,
        hide_parameters=True,
        connection_invalidated=lost or dialect.is_disconnect(error, None, None),  # type: ignore[arg-type]
        dialect=dialect,
    )
