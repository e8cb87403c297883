"""`python -m bot db backup FILE` for SQLite: SQLite's online backup API, safe while the bot runs
(the copy is one consistent moment; the bot's writers are not stopped). PostgreSQL has pg_dump.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """The backup cannot be made; the message is one line for the operator."""


@dataclass(frozen=True, slots=True)
class Backup:
    source: Path
    target: Path
    size: int  # bytes
    revision: str | None  # the schema's Alembic revision in the copy


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite database URL; None for another database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("the database is in memory: there is no file to back up")
    return Path(url.database)


def backup_sqlite(source: Path, target: Path) -> Backup:
    """Copy the database at `source` to the new file `target` (never an existing one).

    The copy is a single file in rollback-journal mode, whatever mode the bot runs in (WAL),
    so restoring is copying it back: stop the bot, remove the old database's -wal and -shm
    files, copy the backup over the database file, start the bot.
    """
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    if target.exists():
        raise BackupError(f"{target} exists already; name a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    try:
        with _connect(source) as src, _connect(partial) as dst:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
            (check,) = dst.execute("PRAGMA quick_check").fetchone()
            if check != "ok":
                raise BackupError(f"the copy fails SQLite's check: {check}")
            revision = _revision(dst)
        if target.exists():  # appeared meanwhile
            raise BackupError(f"{target} exists already; name a new file")
        partial.rename(target)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot back up {source}: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    return Backup(source, target, target.stat().st_size, revision)


def _connect(path: Path) -> contextlib.closing[sqlite3.Connection]:
    """Closed on exit (sqlite3's own context manager only commits)."""
    return contextlib.closing(sqlite3.connect(path, isolation_level=None))


def _revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:  # never migrated
        return None
    return str(row[0]) if row else None
