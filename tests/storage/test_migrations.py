"""Alembic stays honest: every revision goes up, down and up again on both databases, and the
newest revision builds exactly the tables the models describe."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage.db import create_engine
from storage.migrate import downgrade_async, revisions, upgrade_async
from storage.models import SQLModel
from tests.support import BACKENDS, make_postgres_database


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'stairs.db'}"
    else:
        yield make_postgres_database(f"survey_stairs_{os.getpid()}")


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def _schema_diff(url: str) -> list[object]:
    def compare(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


async def test_stairway_up_down_up(empty_database: str) -> None:
    steps = revisions(empty_database)
    assert steps, "no migrations found"
    previous = "base"
    for revision in steps:
        await upgrade_async(empty_database, revision)
        await downgrade_async(empty_database, previous)
        await upgrade_async(empty_database, revision)
        previous = revision
    assert set(SQLModel.metadata.tables) <= await _tables(empty_database)

    await downgrade_async(empty_database, "base")
    assert await _tables(empty_database) <= {"alembic_version"}


async def test_migrations_match_the_models(empty_database: str) -> None:
    await upgrade_async(empty_database)
    assert await _schema_diff(empty_database) == []
