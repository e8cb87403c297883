"""What both benchmarks use: samples and their statistics, counting SQL statements, a fresh
SQLite or PostgreSQL database for the run, and the command line around a run."""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sqlite3
import statistics
import string
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self, TypeVar

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

R = TypeVar("R")

# The local CI server; override with --postgres-url, BENCH_POSTGRES_URL or TEST_POSTGRES_URL.
DEFAULT_POSTGRES_URL = "postgresql+asyncpg://survey_ci:survey_ci@127.0.0.1:5432/postgres"

# Office codes are two characters (WIPO ST.3): these are the 676 letter pairs.
LETTER_PAIRS = tuple(a + b for a in string.ascii_uppercase for b in string.ascii_uppercase)


# Measuring ---------------------------------------------------------------------------------


@contextmanager
def collector_paused() -> Iterator[None]:
    """The benchmark's own garbage collector held still while it measures another process.

    The stand-in keeps every call and message of the run: a full collection of that heap
    grew to 200-850 ms, every 14 s or so, and the bot's handlers, waiting for the stand-in's
    answer, logged those pauses as their own (bench/export_bench.py, seen by timing the
    collections against the bot's log). Telegram does not pause for our heap."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


@dataclass
class Samples:
    """Per-call wall time and process CPU time, in seconds, and the SQL statements sent."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    statements: int = 0  # SQL statements sent, BEGIN and COMMIT not included

    def __len__(self) -> int:
        return len(self.wall)

    @property
    def statements_per_call(self) -> float:
        return self.statements / len(self.wall)

    def percentile(self, p: int) -> float:
        if len(self.wall) < 2:
            return self.wall[0]
        return statistics.quantiles(self.wall, n=100, method="inclusive")[p - 1]

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_mean(self) -> float:
        return statistics.fmean(self.cpu)

    @property
    def per_second(self) -> float:
        return len(self.wall) / sum(self.wall)


class StatementCounter:
    """Counts the SQL statements an engine sends (not BEGIN, COMMIT, ROLLBACK or the pool's
    ping).

    The click's statements run on the driver itself, past SQLAlchemy's events
    (storage/prepared.py): SQLite's trace callback sees every statement; on PostgreSQL,
    asyncpg's query logger sees those (and not SQLAlchemy's own, counted by its event)."""

    _NOT_COUNTED = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", ";")

    def __init__(self) -> None:
        self.statements = 0

    def _traced(self, statement: str) -> None:
        if not statement.lstrip().upper().startswith(self._NOT_COUNTED):
            self.statements += 1

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self._traced(statement)

    def _logged(self, query: Any) -> None:
        self._traced(query.query)

    def _checked_out(self, dbapi_connection: Any, *_: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(self._traced)
        else:
            dbapi_connection.driver_connection.add_query_logger(self._logged)

    def _checked_in(self, dbapi_connection: Any, *_: Any) -> None:
        if dbapi_connection is None:  # invalidated on its way back
            return
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(None)
        else:
            dbapi_connection.driver_connection.remove_query_logger(self._logged)

    @contextmanager
    def watching(self, engine: AsyncEngine) -> Iterator[Self]:
        pool = engine.sync_engine.pool
        hooks: list[tuple[Any, str, Callable[..., None]]] = [
            (pool, "checkout", self._checked_out),
            (pool, "checkin", self._checked_in),
        ]
        if engine.dialect.name != "sqlite":
            hooks.append((engine.sync_engine, "before_cursor_execute", self._seen))
        for target, name, hook in hooks:
            event.listen(target, name, hook)
        try:
            yield self
        finally:
            for target, name, hook in hooks:
                event.remove(target, name, hook)


def log(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


# Databases ---------------------------------------------------------------------------------


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _recreate_postgres(server_url: str, name: str, *, create: bool = True) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


@asynccontextmanager
async def fresh_database(
    backend: str, server_url: str, name: str, *, prefix: str, keep: bool = False
) -> AsyncIterator[str]:
    """A fresh database's URL: for "sqlite" a file in a temporary folder (named with
    `prefix`), else a PostgreSQL database `name` created on `server_url` for the run (dropped
    first if it is there) and dropped afterwards unless `keep`."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix=prefix) as directory:
            yield f"sqlite+aiosqlite:///{Path(directory) / 'survey.db'}"
        return
    try:
        await _recreate_postgres(server_url, name)
    except (OSError, asyncpg.PostgresError) as error:
        raise SystemExit(f"cannot prepare PostgreSQL database {name!r}: {error}") from error
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            await _recreate_postgres(server_url, name, create=False)


# Seeding -----------------------------------------------------------------------------------

# The service keeps level_tally at each submission and reopening; the benchmarks insert
# submitted responses directly, so they make the tally from them once seeded.
_LEVEL_TALLY = (
    text("DELETE FROM level_tally"),
    text(
        "INSERT INTO level_tally (questionnaire_id, recommendation, level, answers) "
        "SELECT r.questionnaire_id, a.recommendation, a.level, count(*) "
        "FROM answer a JOIN response r ON r.id = a.response_id "
        "WHERE r.status = 'submitted' AND a.level IS NOT NULL "
        "GROUP BY r.questionnaire_id, a.recommendation, a.level"
    ),
)


async def tally_submitted(connection: AsyncConnection) -> None:
    """level_tally made again from every submitted answer, in the caller's transaction."""
    for statement in _LEVEL_TALLY:
        await connection.execute(statement)


async def server_version(engine: AsyncEngine) -> str:
    """ "PostgreSQL 16.4" or "SQLite 3.45.1"."""
    async with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            version = await connection.scalar(text("SHOW server_version"))
            return f"PostgreSQL {str(version).split()[0]}"
        return f"SQLite {await connection.scalar(text('SELECT sqlite_version()'))}"


# The command line --------------------------------------------------------------------------


def add_postgres_options(
    parser: argparse.ArgumentParser, database: str, *, keep: bool = False
) -> None:
    """--postgres-url, and with `keep` --keep (else the database is always dropped)."""
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL")
        or os.environ.get("TEST_POSTGRES_URL")
        or DEFAULT_POSTGRES_URL,
        help="for PostgreSQL: a server URL whose role may CREATE DATABASE; the benchmark uses "
        f"a fresh database {database!r} on it and drops it" + (" unless --keep" if keep else ""),
    )
    if keep:
        parser.add_argument(
            "--keep", action="store_true", help=f"keep the PostgreSQL database {database!r}"
        )


def main(
    argv: Sequence[str] | None,
    parse_args: Callable[[Sequence[str] | None], argparse.Namespace],
    run: Callable[[argparse.Namespace], Coroutine[Any, Any, R]],
    report: Callable[[R, argparse.Namespace], str],
) -> None:
    """Parse the options, run, print the report (stdout) and the total time."""
    options = parse_args(argv)
    started = time.perf_counter()
    result = asyncio.run(run(options))
    print(report(result, options))
    print(f"Total benchmark time: {time.perf_counter() - started:.0f} s")
