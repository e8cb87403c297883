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

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable

from storage.sqlite_in_loop import DRIVER as SQLITE_IN_LOOP
from storage.types import UTCDateTime

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
    """`statement` as `dialect` runs it: compiled with SQLAlchemy, once."""
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    binds: Mapping[str, Convert] = compiled._bind_processors
    names: Sequence[str] = compiled.positiontup or ()
    columns = tuple(_result_converter(entry.type, dialect) for entry in compiled._result_columns)
    return Prepared(
        sql=compiled.string,
        parameters=tuple((name, binds.get(name)) for name in names),
        columns=columns,
        converts=any(columns),
    )


def _result_converter(column_type: Any, dialect: Dialect) -> Convert | None:
    if isinstance(column_type, UTCDateTime) and dialect.name == "sqlite":
        return UTCDateTime.from_sqlite  # SQLAlchemy's two conversions in one
    converter: Convert | None = column_type._cached_result_processor(dialect, None)
    return converter


class DirectSqlite:
    """The sqlite3 connection of one unit of work, running prepared statements."""

    def __init__(self, connection: sqlite3.Connection, dialect: Dialect) -> None:
        self._connection = connection
        self._dialect = dialect

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
    """The asyncpg connection of one unit of work (through SQLAlchemy's adapter of it, whose
    transaction this shares), running prepared statements."""

    def __init__(self, adapter: Any, dialect: Dialect) -> None:
        self._adapter = adapter  # sqlalchemy.dialects.postgresql.asyncpg's connection adapter
        self._dialect = dialect

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

    async def _run(
        self, method: str, prepared: Prepared, arguments: tuple[Any, ...], alone: bool
    ) -> Any:
        adapter = self._adapter
        try:
            async with adapter._execute_mutex:  # the adapter's own guard of the connection
                if adapter._transaction is None and not alone:
                    await adapter._start_transaction()  # BEGIN, as the adapter would
                return await getattr(adapter._connection, method)(prepared.sql, *arguments)
        except Exception as error:
            raise _as_sqlalchemy_error(error, adapter, self._dialect, prepared.sql) from error


def runs_direct(dialect: Dialect) -> bool:
    """Whether the statements of this module run on the driver's own connections: sqlite3 on
    the loop (storage/sqlite_in_loop.py) or asyncpg; any other goes through SQLAlchemy."""
    return dialect.driver in (SQLITE_IN_LOOP, "asyncpg")


def direct_driver(pooled: Any, dialect: Dialect) -> DirectSqlite | DirectPostgres | None:
    """The pooled connection `pooled`, to run prepared statements on; None: not `runs_direct`."""
    if dialect.driver == SQLITE_IN_LOOP:
        return DirectSqlite(pooled.driver_connection, dialect)
    if dialect.driver == "asyncpg":
        return DirectPostgres(pooled.dbapi_connection, dialect)
    return None


def _as_sqlalchemy_error(error: Exception, adapter: Any, dialect: Dialect, sql: str) -> Exception:
    """`error` from asyncpg as the session would have raised it: first in the adapter's
    DB-API form (IntegrityError, OperationalError...)."""
    dbapi_error: type[Exception] = adapter.dbapi.Error
    if not isinstance(error, dbapi_error):
        try:
            adapter._handle_exception(error)  # raises the DB-API form, or `error` itself
        except dbapi_error as adapted:
            error = adapted
        except Exception:  # noqa: S110 - not a driver error: wrapped as it is below
            pass
    return wrapped(error, dbapi_error, dialect, sql, adapter)


def wrapped(
    error: Exception,
    dbapi_error: type[Exception],
    dialect: Dialect,
    sql: str,
    connection: Any = None,
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
        connection_invalidated=dialect.is_disconnect(error, connection, None),  # type: ignore[arg-type]
        dialect=dialect,
    )
