"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, a clock, the service."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import SqlStoreFactory, create_engine
from storage.migrate import upgrade
from storage.models import SQLModel
from survey.model import Actor
from survey.offices import shipped_offices
from survey.questionnaire import Questionnaire, load_questionnaire
from survey.service import SurveyService

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
    pytest.skip("set TEST_POSTGRES_URL to run the PostgreSQL tests (see README)")


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


_created_databases: list[tuple[str, str]] = []


async def _create_database(server_url: str, name: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_databases() -> None:
    for server_url, name in _created_databases:
        connection = await asyncpg.connect(_asyncpg_dsn(server_url))
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        except asyncpg.PostgresError:
            pass  # still in use by a straggler; the server is a throwaway in CI anyway
        finally:
            await connection.close()


def make_postgres_database(prefix: str) -> str:
    """A new, empty database on the test server; returns its SQLAlchemy URL.

    Every call gets a fresh name: dropping and re-creating one name races with background
    processes the test role may not terminate.
    """
    server = postgres_server_url()
    name = f"{prefix}_{next(_database_numbers)}"
    asyncio.run(_create_database(server, name))
    _created_databases.append((server, name))
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _created_databases:
        asyncio.run(_drop_databases())


@pytest.fixture(scope="session")
def questionnaire() -> Questionnaire:
    return load_questionnaire()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once; each test gets a copy, which is much faster than migrating again."""
    path = tmp_path_factory.mktemp("template") / "survey.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = make_postgres_database(f"survey_test_{os.getpid()}")
    upgrade(url)
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "survey.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    if engine.dialect.name == "postgresql":
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield engine
    await engine.dispose()


@pytest.fixture
def stores(engine: AsyncEngine) -> SqlStoreFactory:
    return SqlStoreFactory(engine)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cli() -> Actor:
    return Actor.cli()


@pytest.fixture
def admin() -> Actor:
    return Actor.telegram(ADMIN_ID, "Secretariat")


@pytest.fixture
async def service(
    stores: SqlStoreFactory, questionnaire: Questionnaire, clock: Clock, cli: Actor
) -> SurveyService:
    service = SurveyService(
        stores,
        questionnaire,
        deadline=clock.now + timedelta(days=30),
        admin_ids={ADMIN_ID},
        clock=clock,
    )
    await service.import_offices(shipped_offices(), cli)
    return service
