"""Helpers the tests share: the clock, the Secretariat's id, test databases, a ready service,
the small steps many service tests take, and a look at the stored rows past the service.

Fixtures live in the conftest files and use these; test modules import from here, never from
a conftest.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import shutil
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import Executable, Row, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from storage.db import SqlStoreFactory
from storage.models import AuditEventRow, SQLModel
from survey.model import Actor
from survey.offices import shipped_offices
from survey.questionnaire import Questionnaire
from survey.service import SurveyService
from survey.views import Membership

ADMIN_ID = 9_000_001
_database_numbers = itertools.count(1)
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass
class Clock:
    """A clock the tests move by hand, so deadlines and expiry need no sleeping."""

    now: datetime = field(default_factory=lambda: datetime(2026, 6, 1, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def postgres_server_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL")
    if url:
        return url
    if os.environ.get("SURVEY_REQUIRE_POSTGRES"):
        pytest.fail("SURVEY_REQUIRE_POSTGRES is set but TEST_POSTGRES_URL is not")
    pytest.skip("set TEST_POSTGRES_URL to run the PostgreSQL tests (see docs/development.md)")


def redis_server_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        return url
    if os.environ.get("SURVEY_REQUIRE_REDIS"):
        pytest.fail("SURVEY_REQUIRE_REDIS is set but TEST_REDIS_URL is not")
    pytest.skip("set TEST_REDIS_URL to run the Redis tests (see docs/development.md)")


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


created_databases: list[tuple[str, str]] = []

# What make_postgres_database names look like: the callers put the test process's pid after
# the kind, and a counter follows. A database of this shape whose process is gone was left by
# a run that never reached its end (a kill -9, a CI time-out).
_TEST_DATABASE = re.compile(r"survey_[a-z_]+?_(?P<pid>[0-9]+)_[0-9]+")


async def _create_database(server_url: str, name: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_database(server_url: str, name: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        # A failed test can leave a pool it never disposed (its traceback keeps the engine
        # alive), and that connection would keep the database for good: ended first. Not
        # DROP ... WITH (FORCE): it refuses outright when an autovacuum worker is in the
        # database (not this role's process), which a plain DROP stops and waits for.
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND usename = current_user AND pid <> pg_backend_pid()",
            name,
        )
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await connection.close()


async def drop_databases() -> None:
    """Every database this process made and has not dropped yet, dropped."""
    while created_databases:
        server_url, name = created_databases.pop()
        await _drop_database(server_url, name)


def drop_postgres_database(url: str) -> None:
    """One database from make_postgres_database, dropped now rather than at the session's end."""
    name = make_url(url).database
    for entry in [entry for entry in created_databases if entry[1] == name]:
        created_databases.remove(entry)
        asyncio.run(_drop_database(entry[0], entry[1]))


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def drop_abandoned_databases(server_url: str) -> list[str]:
    """Test databases of this role whose process is gone, dropped; returns their names.

    One still in use is kept (no FORCE): its process may live where this one cannot see it.
    """
    connection = await asyncpg.connect(_asyncpg_dsn(server_url))
    dropped = []
    try:
        names = await connection.fetch(
            "SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba"
            " WHERE r.rolname = current_user"
        )
        for (name,) in names:
            found = _TEST_DATABASE.fullmatch(name)
            if found is None or _process_alive(int(found["pid"])):
                continue
            try:
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            except asyncpg.ObjectInUseError:
                continue
            dropped.append(name)
    finally:
        await connection.close()
    return dropped


def make_postgres_database(prefix: str) -> str:
    """A new, empty database on the test server; returns its SQLAlchemy URL.

    Every call gets a fresh name: dropping and re-creating one name races with background
    processes the test role may not terminate. The session's end drops it (tests/conftest.py),
    or drop_postgres_database sooner.
    """
    server = postgres_server_url()
    name = f"{prefix}_{next(_database_numbers)}"
    asyncio.run(_create_database(server, name))
    created_databases.append((server, name))
    return make_url(server).set(database=name).render_as_string(hide_password=False)


async def empty_tables(engine: AsyncEngine) -> None:
    """A shared PostgreSQL database back to empty (SQLite tests copy a fresh file instead)."""
    if engine.dialect.name == "postgresql":
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


async def survey_service(
    engine: AsyncEngine, questionnaire: Questionnaire, clock: Clock
) -> SurveyService:
    """The service as the bot builds it, open for 30 days, with the shipped Offices."""
    service = SurveyService(
        SqlStoreFactory(engine),
        questionnaire,
        deadline=clock.now + timedelta(days=30),
        admin_ids={ADMIN_ID},
        clock=clock,
    )
    await service.secretariat.import_offices(shipped_offices(), Actor.cli())
    return service


async def verify(
    service: SurveyService, user_id: int, office: str = "EP", name: str = ""
) -> Membership:
    """Verified, and the privacy notice acknowledged, as through the chat (tests of the notice
    itself redeem a code without this)."""
    from dialogs.privacy import CATALOG_VERSION

    issued = await service.secretariat.create_invitation(office, Actor.cli())
    membership = await service.enrolment.redeem(
        user_id, issued.code, full_name=name or f"Delegate {user_id}"
    )
    await service.privacy.acknowledge(user_id, CATALOG_VERSION)
    return membership


@dataclass(frozen=True)
class ShownAnswer:
    """One Recommendation's answer as its window shows it."""

    level: str | None
    comment: str | None
    read_only: bool


async def answer_of(service: SurveyService, user_id: int, number: int) -> ShownAnswer:
    progress = await service.answering.progress(user_id)
    stored = progress.answer(number)
    return ShownAnswer(
        stored.level if stored else None, stored.comment if stored else None, progress.read_only
    )


async def answer_all(
    service: SurveyService, user_id: int, level: str = "high", *, skip: tuple[int, ...] = ()
) -> None:
    for number in service.questionnaire.numbers:
        if number not in skip:
            await service.answering.record_answer(user_id, number, level)


# What is stored, read on a connection of its own, past the service and the store: for the
# tests that check what the database holds (one row, no plain code, an audit entry).


async def stored_rows(engine: AsyncEngine, query: Executable) -> Sequence[Row[Any]]:
    async with engine.connect() as connection:
        return (await connection.execute(query)).all()


async def stored_values(engine: AsyncEngine, query: Executable) -> list[Any]:
    """The first column of every row."""
    return [row[0] for row in await stored_rows(engine, query)]


async def count_stored(engine: AsyncEngine, table: type[SQLModel]) -> int:
    [count] = await stored_values(engine, select(func.count()).select_from(table))
    return int(count)


async def database_dump(engine: AsyncEngine) -> str:
    """Every row of every table as text, JSON columns both as Python and as JSON writes them
    (a name with accents escaped): what "no trace of that person anywhere" is checked on."""
    lines: list[str] = []
    async with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in (await connection.execute(select(table))).all():
                lines.append(f"{table.name}: {tuple(row)!r} {json.dumps(list(row), default=str)}")
    return "\n".join(lines)


async def audit_events(engine: AsyncEngine, action: str) -> Sequence[Row[Any]]:
    return await stored_rows(
        engine, select(AuditEventRow).where(col(AuditEventRow.action) == action)
    )


class CuttableProxy:
    """Forwards TCP connections to the database; `cut()` drops them all and refuses new ones,
    as a database server that went down would."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self._writers.update({writer, upstream_writer})

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while chunk := await source.read(65536):
                    sink.write(chunk)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


class RedisServer:
    """A Redis server of the test's own, which it may stop and start again, with its data
    (written at shutdown, read at start, as a restarted server with persistence does) or
    without it (a cache flush). Needs Debian's redis-server, which CI installs."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("SURVEY_REQUIRE_REDIS"):
                pytest.fail("SURVEY_REQUIRE_REDIS is set but redis-server is not installed")
            pytest.skip("redis-server is not installed")
        self.binary = binary
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self, *, keep_data: bool = True) -> None:
        if not keep_data:
            (self.folder / "dump.rdb").unlink(missing_ok=True)
        self.process = await asyncio.create_subprocess_exec(
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.folder),
            "--save", "",
            "--appendonly", "no",
            "--logfile", str(self.folder / "redis.log"),
        )  # fmt: skip
        for _ in range(200):
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            await asyncio.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    async def stop(self) -> None:
        """Shut down, writing the data to disk first (SHUTDOWN SAVE)."""
        if self.process is None or self.process.returncode is not None:
            return
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            writer.write(b"SHUTDOWN SAVE\r\n")
            await writer.drain()
            writer.close()
        async with asyncio.timeout(30):
            await self.process.wait()
        self.process = None
