"""Alembic stays honest: every revision goes up, down and up again on both databases, and the
newest revision builds exactly the tables the models describe."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from storage.db import create_engine
from storage.migrate import downgrade_async, revisions, upgrade_async
from storage.models import SQLModel
from storage.schema_version import HEAD_REVISION, at_head
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


async def test_level_tally_is_filled_from_the_responses_already_submitted(
    empty_database: str,
) -> None:
    # 0004 adds the tally the digest reads: a database that has submissions already must get
    # their counts, and drafts and unanswered rows must stay out.
    await upgrade_async(empty_database, "0003")
    now = "2026-05-20 14:00:00+00:00"
    engine = create_engine(empty_database)
    try:
        async with engine.begin() as connection:
            for statement in (
                "INSERT INTO office (id, code, kind, names) VALUES (1, 'EP', 'regional', '{}'),"
                " (2, 'JP', 'national', '{}'), (3, 'FR', 'national', '{}')",
                "INSERT INTO representative (id, telegram_user_id, office_id, full_name,"
                f" verified_at) VALUES (1, 11, 1, 'A', '{now}')",
                "INSERT INTO response (id, office_id, questionnaire_id, status, created_at)"
                f" VALUES (1, 1, 'q', 'submitted', '{now}'), (2, 2, 'q', 'submitted', '{now}'),"
                f" (3, 3, 'q', 'draft', '{now}')",
                "INSERT INTO answer (response_id, recommendation, level, changed_at, changed_by)"
                f" VALUES (1, 1, 'high', '{now}', 1), (1, 2, NULL, '{now}', 1),"
                f" (2, 1, 'high', '{now}', 1), (2, 2, 'low', '{now}', 1),"
                f" (3, 1, 'low', '{now}', 1)",
            ):
                await connection.execute(text(statement))
    finally:
        await engine.dispose()

    await upgrade_async(empty_database)
    engine = create_engine(empty_database)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT questionnaire_id, recommendation, level, answers FROM level_tally")
            )
            assert sorted(tuple(row) for row in rows) == [("q", 1, "high", 2), ("q", 2, "low", 1)]
    finally:
        await engine.dispose()


async def test_the_start_knows_the_newest_revision_without_alembic(empty_database: str) -> None:
    # storage/schema_version.py spares every start Alembic when nothing is to be migrated: it
    # must name the newest migration, and tell a fresh or older database from a current one.
    assert revisions(empty_database)[-1] == HEAD_REVISION, "update HEAD_REVISION"
    assert not await at_head(empty_database)  # nothing at all yet
    await upgrade_async(empty_database, revisions(empty_database)[-2])
    assert not await at_head(empty_database)
    await upgrade_async(empty_database)
    assert await at_head(empty_database)


async def test_answers_from_before_versions_are_given_under_version_1(empty_database: str) -> None:
    # 0007 records each answer's questionnaire version: the answers already stored were given
    # under the configured file, which the first process to start stores as version 1.
    await upgrade_async(empty_database, "0006")
    now = "2026-05-20 14:00:00+00:00"
    engine = create_engine(empty_database)
    try:
        async with engine.begin() as connection:
            for statement in (
                "INSERT INTO office (id, code, kind, names) VALUES (1, 'EP', 'regional', '{}')",
                "INSERT INTO representative (id, telegram_user_id, office_id, full_name,"
                f" verified_at) VALUES (1, 11, 1, 'A', '{now}')",
                "INSERT INTO response (id, office_id, questionnaire_id, status, created_at)"
                f" VALUES (1, 1, 'q', 'draft', '{now}')",
                "INSERT INTO answer (response_id, recommendation, level, changed_at, changed_by)"
                f" VALUES (1, 1, 'high', '{now}', 1), (1, 2, NULL, '{now}', 1)",
            ):
                await connection.execute(text(statement))
    finally:
        await engine.dispose()

    await upgrade_async(empty_database, "0007")
    engine = create_engine(empty_database)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT recommendation, questionnaire_version FROM answer")
            )
            assert sorted(tuple(row) for row in rows) == [(1, 1), (2, 1)]
            versions = await connection.execute(text("SELECT count(*) FROM questionnaire_version"))
            assert versions.scalar_one() == 0  # stored by the first process that starts
    finally:
        await engine.dispose()

    await downgrade_async(empty_database, "0006")  # the answers stay, without their version
    assert "questionnaire_version" not in await _tables(empty_database)
    engine = create_engine(empty_database)
    try:
        async with engine.connect() as connection:
            count = await connection.execute(text("SELECT count(*) FROM answer"))
            assert count.scalar_one() == 2
    finally:
        await engine.dispose()
