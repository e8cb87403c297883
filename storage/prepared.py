"""The click's statements compiled once, and run on SQLite's own connection.

On SQLite a click's statements take microseconds each, and SQLAlchemy spent ten times that
around every one of them: the compiled cache's key walked over the statement, an execution
context, a result object, the ORM session's bookkeeping. A statement of
`storage/click_statements.py` is compiled here once per dialect into its SQL text, the order
of its parameters and the conversions of its values (the same ones SQLAlchemy applies, taken
from the compiled form), then run straight on the sqlite3 connection of the session's unit of
work. The transaction is still the session's: it began with BEGIN IMMEDIATE (waited for
patiently, `storage/sqlite_in_loop.py`) and ends with the session's commit or rollback; while a
unit of work holds SQLite's write lock nothing here can be refused with SQLITE_BUSY.

PostgreSQL keeps SQLAlchemy's path: there the round trips are the cost, not the Python.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import Executable

Convert = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Prepared:
    sql: str
    parameters: tuple[tuple[str, Convert | None], ...]  # in the order of the SQL's "?"
    columns: tuple[Convert | None, ...]  # one per result column, None: as SQLite gives it

    def arguments(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            values[name] if convert is None else convert(values[name])
            for name, convert in self.parameters
        )

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        if not any(self.columns):
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
    return Prepared(
        sql=compiled.string,
        parameters=tuple((name, binds.get(name)) for name in names),
        columns=tuple(
            entry.type._cached_result_processor(dialect, None) for entry in compiled._result_columns
        ),
    )


class DirectSqlite:
    """The sqlite3 connection of one unit of work, running prepared statements."""

    def __init__(self, connection: sqlite3.Connection, dialect: Dialect) -> None:
        self._connection = connection
        self._dialect = dialect

    def first(self, statement: Executable, parameters: Mapping[str, Any]) -> tuple[Any, ...] | None:
        prepared = prepare(statement, self._dialect)
        raw = self._connection.execute(prepared.sql, prepared.arguments(parameters)).fetchone()
        return None if raw is None else prepared.row(raw)

    def all(self, statement: Executable, parameters: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        prepared = prepare(statement, self._dialect)
        rows = self._connection.execute(prepared.sql, prepared.arguments(parameters)).fetchall()
        if not any(prepared.columns):
            return rows
        return [prepared.row(raw) for raw in rows]

    def execute(self, statement: Executable, parameters: Mapping[str, Any]) -> None:
        prepared = prepare(statement, self._dialect)
        self._connection.execute(prepared.sql, prepared.arguments(parameters))
