"""`python -m bot privacy purge`: a dry run in counts, then --apply, refused before the deadline
unless --force; the dialog state file is cleared with the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.dialog_state import SqliteStorage
from storage.db import SqlStoreFactory, create_engine
from survey.model import Actor
from survey.questionnaire import load_questionnaire
from survey.service import SurveyService
from tests.cli.test_cli import _seed_representatives, cli_db, run

__all__ = ["cli_db"]  # the fixture, shared with test_cli


def _someone_on_screen(path: Path) -> None:
    async def write() -> None:
        storage = SqliteStorage(path)
        await storage.set_state(StorageKey(bot_id=1, chat_id=11, user_id=11), "Answering:level")
        await storage.set_data(StorageKey(bot_id=1, chat_id=11, user_id=11), {"comment": "draft"})
        await storage.close()

    asyncio.run(write())


def _names_held(url: str) -> list[str]:
    async def read() -> list[str]:
        engine = create_engine(url)
        try:
            service = SurveyService(SqlStoreFactory(engine), load_questionnaire())
            _, people = await service.secretariat.representatives("EP", Actor.cli())
            return [entry.representative.full_name for entry in people]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_a_dry_run_then_the_purge_after_the_deadline(
    cli_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SURVEY_DEADLINE", "2001-01-01T00:00:00Z")
    _seed_representatives(cli_db)
    _someone_on_screen(tmp_path / "data" / "dialog-state.db")

    status, said = run("privacy", "purge")

    assert status == 0
    assert said.startswith(
        "3 representative(s) would be replaced by a pseudonym, 3 invitation code(s) would be "
        "deleted, 0 stored language choice(s) would be deleted, 1 dialog state entry(ies) "
        "would be cleared."
    )
    assert "Add --apply to do it." in said
    assert _names_held(cli_db) == ["Anna", "Bruno"]

    status, said = run("privacy", "purge", "--apply")

    assert status == 0
    assert said.startswith("3 representative(s) were replaced by a pseudonym, 3 invitation")
    assert _names_held(cli_db) == ["Representative 1 of EP", "Representative 2 of EP"]
    with closing(sqlite3.connect(tmp_path / "data" / "dialog-state.db")) as db:
        assert db.execute("SELECT count(*) FROM dialog_state").fetchone() == (0,)
    assert run("privacy", "purge")[1].startswith("0 representative(s) would be replaced")


def test_the_purge_is_refused_before_the_deadline_unless_forced(
    cli_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SURVEY_DEADLINE", "2099-06-30T18:00:00+02:00")
    _seed_representatives(cli_db)

    status, said = run("privacy", "purge")
    assert status == 0
    assert "The survey is open until 2099-06-30 16:00 UTC: --apply needs --force" in said

    assert run("privacy", "purge", "--apply")[0] == 1
    assert capsys.readouterr().err == (
        "error: the survey has not closed (deadline 2099-06-30 16:00 UTC): a purge waits for "
        "the deadline; add --force to purge now\n"
    )
    assert _names_held(cli_db) == ["Anna", "Bruno"]

    assert run("privacy", "purge", "--force")[0] == 2  # --force only with --apply
    assert run("privacy", "purge", "--apply", "--force")[0] == 0
    assert _names_held(cli_db) == ["Representative 1 of EP", "Representative 2 of EP"]
