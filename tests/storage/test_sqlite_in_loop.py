"""SQLite on the event loop's thread (storage/sqlite_in_loop.py): a lock another process holds
is waited for without holding up anyone else's update, and nothing is lost or half-written."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import sqlite_in_loop
from storage.db import create_engine
from storage.migrate import upgrade_async


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, Path]]:
    path = tmp_path / "survey.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade_async(url)
    engine = create_engine(url)
    yield engine, path
    await engine.dispose()


async def _write(engine: AsyncEngine, key: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO survey_setting (questionnaire_id, deadline, updated_at, updated_by) "
                "VALUES (:key, NULL, '2026-11-25 12:00:00', 'test')"
            ),
            {"key": key},
        )


async def _stored(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT questionnaire_id FROM survey_setting"))
        return sorted(row[0] for row in rows)


def test_the_engine_reaches_sqlite_through_the_in_loop_driver(
    database: tuple[AsyncEngine, Path],
) -> None:
    engine, _ = database
    assert engine.dialect.driver == sqlite_in_loop.DRIVER


async def test_a_write_waits_for_another_process_lock_while_other_updates_go_on(
    database: tuple[AsyncEngine, Path],
) -> None:
    engine, path = database
    await _write(engine, "before")
    other = sqlite3.connect(path, isolation_level=None)  # as the command line would
    other.execute("BEGIN IMMEDIATE")
    beats = 0

    async def someone_else() -> None:  # another person's update, served meanwhile
        nonlocal beats
        while True:
            beats += 1
            await asyncio.sleep(0)

    served = asyncio.create_task(someone_else())
    waiting = asyncio.create_task(_write(engine, "waited"))
    try:
        for _ in range(200):  # plenty of turns of the loop while the lock is held
            await asyncio.sleep(0.001)
        assert not waiting.done()
        assert beats > 100  # the loop kept serving while the write waited for the lock
        other.execute("COMMIT")
        await asyncio.wait_for(waiting, 30)
    finally:
        served.cancel()
        other.close()

    assert await _stored(engine) == ["before", "waited"]


async def test_a_lock_held_too_long_fails_the_write_cleanly_and_keeps_what_was_saved(
    database: tuple[AsyncEngine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, path = database
    await _write(engine, "saved")
    monkeypatch.setattr(sqlite_in_loop, "BUSY_WAIT_SECONDS", 0.05)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            await _write(engine, "refused")
    finally:
        other.execute("ROLLBACK")
        other.close()

    await _write(engine, "after")  # the engine is still usable once the lock is gone
    assert await _stored(engine) == ["after", "saved"]


async def test_a_write_is_on_disk_before_the_unit_of_work_returns(
    database: tuple[AsyncEngine, Path],
) -> None:
    engine, path = database
    await _write(engine, "committed")

    # Another connection (another process after a kill -9 would be the same) sees it at once.
    reader = sqlite3.connect(path)
    try:
        stored = [row[0] for row in reader.execute("SELECT questionnaire_id FROM survey_setting")]
    finally:
        reader.close()
    assert stored == ["committed"]


async def test_a_read_only_engine_reads_a_snapshot_that_holds_back_no_writer(
    database: tuple[AsyncEngine, Path],
) -> None:
    """The Secretariat's files read every answer through a read-only engine: while that long
    read is open, a representative's answer is written at once (another process's unit of work
    begins IMMEDIATE with no wait allowed here), and the read never writes."""
    writer, path = database
    await _write(writer, "before")
    reader = create_engine(f"sqlite+aiosqlite:///{path}", read_only=True)
    try:
        async with reader.connect() as connection, connection.begin():
            seen = await connection.scalar(text("SELECT count(*) FROM survey_setting"))
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")  # "database is locked" if the read held it
                other.execute(
                    "INSERT INTO survey_setting (questionnaire_id, deadline, updated_at, "
                    "updated_by) VALUES ('during', NULL, '2026-11-25 12:00:00', 'test')"
                )
                other.execute("COMMIT")
            finally:
                other.close()
            # Still the snapshot it began with: the file is made of one moment's answers.
            again = await connection.scalar(text("SELECT count(*) FROM survey_setting"))
            assert again == seen == 1
            with pytest.raises(OperationalError, match=r"readonly|read-only|query_only"):
                await connection.execute(
                    text("DELETE FROM survey_setting WHERE questionnaire_id = 'before'")
                )
    finally:
        await reader.dispose()
    async with writer.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM survey_setting")) == 2
