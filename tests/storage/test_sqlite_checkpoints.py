"""WAL checkpoints made by a thread of their own (storage/sqlite_checkpoints.py): a commit on
the event loop never copies the log back into the file, the log still stays bounded, and
nothing written is lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from bot.dialog_state import SqliteStorage
from storage.db import create_engine
from storage.migrate import upgrade_async
from storage.sqlite_checkpoints import Checkpointer, no_checkpoint_on_commit


def _wal_pages(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size // 4096 if wal.exists() else 0


def _fill(connection: sqlite3.Connection, rows: int) -> None:
    for start in range(0, rows, 100):
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO t (v) VALUES (?)", [("x" * 2000,) for _ in range(start, start + 100)]
        )
        connection.execute("COMMIT")


def test_a_commit_leaves_the_log_to_the_checkpointer_which_bounds_it(tmp_path: Path) -> None:
    path = tmp_path / "survey.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE t (v TEXT)")
    no_checkpoint_on_commit(writer)
    _fill(writer, 3000)  # about 1,500 pages: past SQLite's own threshold of 1,000
    # No commit checkpointed: the rows (6 MB) are all in the log, none in the file yet.
    assert _wal_pages(path) > 1000
    assert path.stat().st_size < 100_000

    checkpoints = Checkpointer(path, every=3600)  # driven by hand below
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        assert checkpoints.checkpoint_if_written(reader)
        assert path.stat().st_size > 6_000_000
        assert not checkpoints.checkpoint_if_written(reader)  # nothing written since
        _fill(writer, 100)
        assert checkpoints.checkpoint_if_written(reader)
        # The log started again from its beginning: it holds the last 100 rows, not 3,100.
        busy, frames, copied = reader.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0
        assert frames == copied < 200
        assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 3100
    finally:
        reader.close()
        writer.close()


def test_the_thread_checkpoints_and_stops(tmp_path: Path) -> None:
    path = tmp_path / "survey.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE t (v TEXT)")
    no_checkpoint_on_commit(writer)
    checkpoints = Checkpointer(path, every=0.01)
    checkpoints.start()
    try:
        _fill(writer, 200)
    finally:
        checkpoints.stop()  # its last checkpoint is made before it returns
    assert checkpoints.checkpoints >= 1
    assert path.stat().st_size > 400_000  # the 200 rows are in the file itself
    writer.close()


async def test_the_engine_and_the_dialog_state_commit_without_checkpointing(tmp_path: Path) -> None:
    path = tmp_path / "survey.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade_async(url)
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("PRAGMA wal_autocheckpoint")) == 0
    finally:
        await engine.dispose()
    reader = create_engine(url, read_only=True)  # a reader never checkpoints anyway
    try:
        async with reader.connect() as connection:
            assert await connection.scalar(text("PRAGMA wal_autocheckpoint")) == 1000
    finally:
        await reader.dispose()

    storage = SqliteStorage(tmp_path / "dialog-state.db")
    try:
        assert storage._connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    finally:
        await storage.close()
