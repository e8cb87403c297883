"""The async engine and the unit of work that the survey service asks for."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util.concurrency import await_

from storage.draft_writes import DraftUnit, DraftWriting
from storage.prepared import runs_direct, sql_log_on, wrapped
from storage.repositories import SqlSurveyStore
from storage.sqlite_checkpoints import Checkpointer, no_checkpoint_on_commit
from storage.sqlite_in_loop import in_loop


class _NoRowValues(logging.Filter):
    """SQLAlchemy logs every row read at DEBUG; rows hold names and comments."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.INFO


_ROW_FILTER = _NoRowValues()


def _keep_people_out_of_the_sql_log() -> None:
    # Statements stay loggable for debugging; what people typed does not belong in a log file.
    # Parameters are hidden per engine (hide_parameters); rows through the engine's logger,
    # which is shared by every engine without a logging_name.
    engine_logger = logging.getLogger("sqlalchemy.engine.Engine")
    if _ROW_FILTER not in engine_logger.filters:
        engine_logger.addFilter(_ROW_FILTER)


def create_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> AsyncEngine:
    """The engine for `url`. `read_only` is for a process that only reads (the Secretariat's
    files): on SQLite its transactions then begin deferred, on a snapshot that takes no lock,
    where every other unit of work begins IMMEDIATE and holds the write lock throughout.
    Reading 400,000 answers that way held the lock for seconds, and every tap's write waited
    for it. (PostgreSQL readers never hold writers back.)"""
    _keep_people_out_of_the_sql_log()
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_async_engine(url, **kwargs)
        _ping_unless_just_used(engine)
        return engine

    checkpointer: Checkpointer | None = None
    if parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        if not read_only:  # a reader's transactions never checkpoint
            checkpointer = Checkpointer(path)
    # The units of work are short; see storage/sqlite_in_loop.py for why they run on the loop.
    engine = create_async_engine(in_loop(parsed), **kwargs)

    # SQLite's default deferred transactions fail at once ("database is locked") when two
    # writers both read first and then write; BEGIN IMMEDIATE makes the second one wait
    # instead, which gives the same one-at-a-time guarantee PostgreSQL's row locks give.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if read_only:  # a write by mistake fails rather than waits for the lock
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()
        if checkpointer is not None:  # checkpoints in their thread, not in a tap's commit
            no_checkpoint_on_commit(dbapi_connection)
            checkpointer.start()

    if checkpointer is not None:

        @event.listens_for(engine.sync_engine, "engine_disposed")
        def _on_dispose(_engine: Any) -> None:
            checkpointer.stop()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"
        if sql_log_on(connection.engine):  # the SQL log is on: through SQLAlchemy, so that it shows
            connection.exec_driver_sql(begin)
            return
        # Straight to sqlite3 (a lock held elsewhere is waited for patiently all the same):
        # SQLAlchemy's execution of a statement costs more than the statement.
        try:
            connection.connection.driver_connection.cursor().execute(begin)
        except sqlite3.Error as error:
            raise wrapped(error, sqlite3.Error, connection.dialect, begin) from error

    return engine


# A connection given back to the pool less than this long ago is not pinged again before its
# next unit of work, as HikariCP does (its aliveBypassWindowMs, 500 ms by default): when people
# are answering, every unit of work would otherwise begin with a round trip to check a
# connection that worked a moment ago. A server lost within that moment fails the unit of work
# with a lost-connection error, as it would have failed a moment later mid-transaction, and
# the pool replaces the connection.
JUST_USED = 0.5  # seconds


def _ping_unless_just_used(engine: AsyncEngine) -> None:
    """SQLAlchemy's pool_pre_ping, except for connections just given back."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _given_back(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None:  # None: it was invalidated
            record.info["given_back"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _taken(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        given_back = record.info.get("given_back")
        if given_back is not None and time.monotonic() - given_back < JUST_USED:
            return
        try:
            if engine.dialect.driver == "asyncpg":
                _ping_asyncpg(record.driver_connection)
            else:
                engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool discards the connection and takes another (SQLAlchemy's documented
            # way for a checkout handler to refuse a dead one).
            raise DisconnectionError(str(error)) from error


def _ping_asyncpg(connection: Any) -> None:
    """The pool's check of an asyncpg connection before a unit of work, in one round trip.

    SQLAlchemy's asyncpg ping wraps its ";" in BEGIN and ROLLBACK, for PgBouncer's
    transaction mode: three round trips before every unit of work. One statement outside a
    transaction is a transaction of its own, there as anywhere."""
    await_(connection.fetchrow(";"))


# Closed sessions kept for reuse: on SQLite a process's units of work rarely overlap.
IDLE_SESSIONS = 4


class SqlStoreFactory:
    """Opens one `SqlSurveyStore` per unit of work; uncommitted work is rolled back."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        # SQLAlchemy closes a session in a task of its own, shielded from cancellation, so
        # that a cancelled caller cannot leave its connection half returned: a trip through
        # the event loop for every unit of work. On SQLite, which runs on the loop's thread
        # (storage/sqlite_in_loop.py), closing never waits for anything, so nothing can
        # interrupt it and it is done in place.
        self._close_in_place = engine.dialect.name == "sqlite"
        self._idle: list[AsyncSession] = []

    @asynccontextmanager
    async def reads(self) -> AsyncIterator[DraftWriting]:
        """`draft_writes` for a read alone, which begins no transaction (on SQLite it takes
        no lock): what every update starts with (the questionnaire version in force)."""
        async with self._direct_unit(begin=False) as unit:
            yield unit

    @asynccontextmanager
    async def draft_writes(self) -> AsyncIterator[DraftWriting]:
        """A unit of work for the usual answer write alone (storage/draft_writes.py), on a
        connection straight from the pool; a full one while the SQL log is on (so that the
        log shows its statements) or for a driver the prepared statements do not run on."""
        async with self._direct_unit(begin=True) as unit:
            yield unit

    @asynccontextmanager
    async def _direct_unit(self, *, begin: bool) -> AsyncIterator[DraftWriting]:
        if sql_log_on(self.engine) or not runs_direct(self.engine.dialect):
            async with self() as store:
                yield store
            return
        pooled = await self.engine.raw_connection()
        unit = DraftUnit(pooled, self.engine.dialect)
        failed: BaseException | None = None
        try:
            if begin:
                await unit.begin()
            yield unit
        except BaseException as error:
            failed = error
            raise
        finally:
            await unit.end(failed)

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[SqlSurveyStore]:
        if not self._close_in_place:
            async with self._sessions() as session:
                yield SqlSurveyStore(session)
            return
        # A closed session is as good as new (SQLAlchemy says so): reused rather than built.
        session = self._idle.pop() if self._idle else self._sessions()
        try:
            yield SqlSurveyStore(session)
        finally:
            await session.close()
            if len(self._idle) < IDLE_SESSIONS:
                self._idle.append(session)
