"""SQLite called from the event loop's own thread, as a driver for SQLAlchemy's asyncio engine.

aiosqlite hands every call (execute, fetch, commit, even reading a cursor's description) to a
worker thread and waits for the answer: nine thread round trips for ``BEGIN; SELECT 1;
COMMIT``, more than a millisecond on a loaded 2-core machine, while the statements themselves
take microseconds. The survey's units of work are short reads and writes of indexed rows, so
this driver runs them directly, the way ``bot.dialog_state`` already keeps the dialog state.
A unit of work then never yields to the loop in the middle, so two of the same process never
wait for each other's write lock.

The one thing that must not block the loop is waiting for a lock another process holds (the
command line, a backup). The driver's busy timeout is therefore zero, and a statement that
SQLite refuses with SQLITE_BUSY (which it does before changing anything) is tried again after
an ``asyncio.sleep``, for as long as a blocking driver would have waited.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine.url import URL
from sqlalchemy.util.concurrency import await_, in_greenlet

DRIVER = "inloop"
BUSY_WAIT_SECONDS = 30.0  # as long as the former driver's busy timeout
_FIRST_PAUSE = 0.001
_LONGEST_PAUSE = 0.05

T = TypeVar("T")


def _busy(error: sqlite3.OperationalError) -> bool:
    return getattr(error, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _pauses() -> Iterator[float]:
    """The waits between tries while another connection holds the lock, growing, for as long
    as BUSY_WAIT_SECONDS."""
    give_up = time.monotonic() + BUSY_WAIT_SECONDS
    pause = _FIRST_PAUSE
    while time.monotonic() < give_up:
        yield pause
        pause = min(pause * 2, _LONGEST_PAUSE)


def _patiently(call: Callable[[], T]) -> T:
    """Run `call`; while SQLite says another connection holds the lock, wait on the event loop
    (not in SQLite's busy handler, which would block it) and try again."""
    for pause in _pauses():
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not _busy(error):
                raise
        await_(asyncio.sleep(pause))
    return call()  # the last try: refused again, its error is the caller's


async def patiently(call: Callable[[], T]) -> T:
    """`_patiently` for a caller on the loop outside SQLAlchemy's greenlets."""
    for pause in _pauses():
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not _busy(error):
                raise
        await asyncio.sleep(pause)
    return call()


async def _nothing() -> None:
    return None


def _show_the_engine_a_wait() -> None:
    # SQLAlchemy's AsyncConnection.execute insists that a statement awaited something (a
    # guard against synchronous drivers). Awaiting a finished coroutine is two greenlet
    # switches and no trip through the event loop.
    if in_greenlet():
        await_(_nothing())


class PatientCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> PatientCursor:
        _show_the_engine_a_wait()
        _patiently(lambda: super(PatientCursor, self).execute(sql, parameters))
        return self

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> PatientCursor:
        # A refused executemany has changed nothing (SQLite refuses at the first statement
        # that needs the lock), so running the whole batch again is safe.
        rows = list(seq_of_parameters)
        _show_the_engine_a_wait()
        _patiently(lambda: super(PatientCursor, self).executemany(sql, rows))
        return self

    async def _async_soft_close(self) -> None:
        # Asked of async drivers' cursors before a result leaves the engine; the rows of this
        # one stay readable from any context, so there is nothing to do.
        return None


class PatientConnection(sqlite3.Connection):
    def cursor(self, factory: Any = PatientCursor) -> Any:  # sqlite3 types it loosely too
        return super().cursor(factory)

    def commit(self) -> None:
        _patiently(super().commit)


class SQLiteDialect_inloop(SQLiteDialect_pysqlite):  # noqa: N801 (SQLAlchemy's naming)
    """pysqlite, declared asynchronous: SQLAlchemy's asyncio engine runs its synchronous calls
    in a greenlet on the loop's thread; only the waits above go back to the loop."""

    driver = DRIVER
    is_async = True
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        if cls._is_url_file_db(url):
            return pool.AsyncAdaptedQueuePool
        return pool.StaticPool

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        cparams["factory"] = PatientConnection
        cparams["timeout"] = 0
        # Connections are made and used on the loop's thread; the pool may close one from
        # another (garbage collection at exit), which sqlite3 allows only with this off.
        cparams["check_same_thread"] = False
        return super().connect(*cargs, **cparams)


registry.register(f"sqlite.{DRIVER}", __name__, "SQLiteDialect_inloop")


def in_loop(url: URL) -> URL:
    """The same SQLite database, reached through this driver (whatever driver `url` names:
    settings keep saying ``sqlite+aiosqlite://``)."""
    return url.set(drivername=f"sqlite+{DRIVER}")
