"""`python -m bot db backup FILE`: a SQLite copy made while the database is in use, restored by
copying it back; on PostgreSQL, a pointer to pg_dump."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from survey.model import Actor
from survey.service import SurveyService

from .test_cli import run, with_service


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("BOT_TOKEN", "QUESTIONNAIRE_PATH", "SURVEY_DEADLINE", "ADMIN_IDS"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "data" / "survey.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path


def levels(database: Path) -> dict[int, str]:
    async def read(service: SurveyService) -> dict[int, str]:
        review = await service.answering.review(77)
        return {item.number: item.level for item in review.items if item.level}

    result = with_service(f"sqlite+aiosqlite:///{database}", read)
    assert isinstance(result, dict)
    return result


def test_backup_then_restore_by_copying_the_file_back(database: Path) -> None:
    async def enrol_and_answer(service: SurveyService) -> None:
        code = (await service.secretariat.create_invitation("EP", Actor.cli())).code
        await service.enrolment.redeem(77, code, full_name="Eva")
        for number in (1, 2, 3):
            await service.answering.record_answer(77, number, "high")

    assert run("offices", "list")[0] == 0  # migrated, Offices loaded
    url = f"sqlite+aiosqlite:///{database}"
    with_service(url, enrol_and_answer)

    # Online: another connection is in the middle of a write while the copy is made; the
    # copy holds what was committed, not the half-done write.
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE answer SET level = 'low'")
    status, said = run("db", "backup", "backups/monday.db")
    writer.execute("ROLLBACK")
    writer.close()
    assert status == 0
    assert "schema revision" in said
    assert "To restore: stop the bot" in said
    backup = database.parent.parent / "backups" / "monday.db"
    # closing(): a connection's own `with` commits but leaves it open.
    with contextlib.closing(sqlite3.connect(backup)) as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert not list(backup.parent.glob(".monday.db.partial-*"))

    async def change(service: SurveyService) -> None:
        await service.answering.record_answer(77, 1, "low")
        await service.answering.record_answer(77, 4, "medium")

    with_service(url, change)
    assert levels(database) == {1: "low", 2: "high", 3: "high", 4: "medium"}

    # Restore as docs/operations.md says: the bot stopped, -wal and -shm gone, the copy put back.
    for leftover in database.parent.glob("survey.db-*"):
        leftover.unlink()
    shutil.copyfile(backup, database)
    assert levels(database) == {1: "high", 2: "high", 3: "high"}
    assert run("offices", "show", "EP")[0] == 0  # and the bot's commands work on it


def test_backup_never_overwrites_and_needs_a_database(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("db", "backup", "copy.db")[0] == 2
    assert "there is no database at" in capsys.readouterr().err
    assert not database.exists()  # a backup does not create (nor migrate) the database

    assert run("offices", "list")[0] == 0
    Path("copy.db").write_bytes(b"earlier backup")
    assert run("db", "backup", "copy.db")[0] == 2
    assert "copy.db exists already" in capsys.readouterr().err
    assert Path("copy.db").read_bytes() == b"earlier backup"


def test_on_postgresql_backup_points_to_pg_dump(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://survey:pa55word@db:5432/survey")
    assert run("db", "backup", "survey.dump")[0] == 1
    err = capsys.readouterr().err
    assert "pg_dump --format=custom --file=survey.dump 'postgresql://survey@db:5432/survey'" in err
    assert "pa55word" not in err
