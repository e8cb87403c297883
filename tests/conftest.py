"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, a clock, the service."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import sys
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import SqlStoreFactory, create_engine
from storage.migrate import upgrade
from survey.model import Actor
from survey.questionnaire import Questionnaire, load_questionnaire
from survey.service import SurveyService
from tests.support import (
    ADMIN_ID,
    BACKENDS,
    Clock,
    created_databases,
    drop_abandoned_databases,
    drop_databases,
    empty_tables,
    make_postgres_database,
    redis_server_url,
    survey_service,
)

if sys.version_info < (3, 13):

    class _WarnsWhenLeft(sqlite3.Connection):
        """Python 3.13 warns when a connection is collected unclosed, and the suite turns
        warnings into failures; this does the same on older Pythons, so that a leak fails
        on the developer's machine too, not only in CI's Debian 13 run."""

        closed = False

        def close(self) -> None:
            self.closed = True
            super().close()

        def __del__(self) -> None:
            if not self.closed:
                warnings.warn(f"unclosed database in {self!r}", ResourceWarning, stacklevel=1)

    _connect = sqlite3.connect

    def _connect_warning_when_left(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        kwargs.setdefault("factory", _WarnsWhenLeft)
        return _connect(*args, **kwargs)

    sqlite3.connect = _connect_warning_when_left


def pytest_sessionstart(session: pytest.Session) -> None:
    # A run killed before its end (kill -9, a time-out) could not drop its databases.
    server_url = os.environ.get("TEST_POSTGRES_URL")
    if server_url:
        asyncio.run(drop_abandoned_databases(server_url))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if created_databases:
        asyncio.run(drop_databases())


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


@pytest.fixture
def redis_url() -> str:
    """A Redis server the tests share (TEST_REDIS_URL): keep your keys apart, e.g. with a
    bot id of your own, since aiogram's keys start with it."""
    return redis_server_url()


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
    await empty_tables(engine)
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
async def service(engine: AsyncEngine, questionnaire: Questionnaire, clock: Clock) -> SurveyService:
    return await survey_service(engine, questionnaire, clock)
