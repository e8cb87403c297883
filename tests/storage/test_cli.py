"""The command line, as the Secretariat uses it, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import main
from bot.config import load_settings
from storage.db import SqlStoreFactory, create_engine
from survey.model import Actor
from survey.questionnaire import load_questionnaire
from survey.service import SurveyService
from tests.conftest import make_postgres_database

from .helpers import answer_all

CODE = re.compile(r"^Code:\s+(\S+)$", re.MULTILINE)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def cli_db(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty database; the CLI must migrate it and load the Offices by itself."""
    monkeypatch.chdir(tmp_path)
    for name in ("BOT_TOKEN", "BOT_USERNAME", "QUESTIONNAIRE_PATH", "SURVEY_DEADLINE", "ADMIN_IDS"):
        monkeypatch.delenv(name, raising=False)
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    else:
        url = make_postgres_database(f"survey_cli_{os.getpid()}")
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def with_service(url: str, action: object) -> object:
    async def go() -> object:
        engine = create_engine(url)
        try:
            service = SurveyService(SqlStoreFactory(engine), load_questionnaire())
            assert callable(action)
            return await action(service)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_invite_then_redeem_verifies(
    cli_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_USERNAME", "cws_survey_bot")
    status, output = run("invite", "ep", "--uses", "2")
    assert status == 0
    found = CODE.search(output)
    assert found is not None
    code = found.group(1)
    assert f"https://t.me/cws_survey_bot?start={code}" in output
    assert "European Patent Office" in output

    async def redeem(service: SurveyService) -> str:
        return (await service.redeem(77, code, full_name="Eva")).office.code

    assert with_service(cli_db, redeem) == "EP"


def test_invite_an_unknown_office(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, _ = run("invite", "ZZ")
    assert status == 1
    err = capsys.readouterr().err.strip()
    assert err == "error: unknown Office code 'ZZ': see `python -m bot offices list`"


def test_invite_with_a_bad_expiry(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run("invite", "EP", "--expires", "2026-12-31T10:00")
    assert "needs a time zone" in capsys.readouterr().err
    status, _ = run("invite", "EP", "--expires", "2001-01-01")
    assert status == 1
    assert "already in the past" in capsys.readouterr().err


def test_revoke_by_code_and_by_office(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    codes = [CODE.search(run("invite", "JP")[1]) for _ in range(3)]
    first = codes[0]
    assert first is not None
    assert run("invites", "revoke", first.group(1)) == (0, "1 invitation code(s) revoked.\n")
    assert run("invites", "revoke", "JP") == (0, "2 invitation code(s) revoked.\n")
    assert run("invites", "revoke", "no-such-code-anywhere-000")[0] == 1
    assert capsys.readouterr().err.strip() == "error: no invitation has that code"

    async def redeem(service: SurveyService) -> str:
        try:
            await service.redeem(5, first.group(1))
        except Exception as exc:
            return str(exc)
        return "verified"

    assert with_service(cli_db, redeem) == "code_revoked"


def test_offices_import_and_list(cli_db: str, tmp_path: Path) -> None:
    extra = tmp_path / "extra.csv"
    extra.write_text(
        "code,kind,name_en,name_fr,name_es\nXK,national,,,\nEP,regional,EPO,OEB,OEP\n",
        encoding="utf-8",
    )
    status, output = run("offices", "import", str(extra))
    assert (status, output) == (0, "1 Offices added, 1 updated.\n")
    status, listing = run("offices", "list")
    assert status == 0
    lines = listing.splitlines()
    assert len(lines) == 1 + 202
    assert any(line.startswith("XK ") and "Kosovo" in line for line in lines)
    assert any(line.startswith("EP ") and line.endswith("EPO") for line in lines)


def test_bad_offices_file(cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("code,kind\nQQ,national\n", encoding="utf-8")
    assert run("offices", "import", str(bad))[0] == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "line 2" in err


def test_results_in_three_formats(cli_db: str, tmp_path: Path) -> None:
    async def seed(service: SurveyService) -> None:
        issued = await service.create_invitation("EP", Actor.cli())
        await service.redeem(1, issued.code, full_name="Eva")
        await answer_all(service, 1, "high")
        await service.record_comment(1, 4, "Priority for us")
        await service.submit(1)

    assert run("offices", "list")[0] == 0  # migrates and loads the Offices
    with_service(cli_db, seed)

    status, text = run("results")
    assert status == 0
    assert "submitted" in text.lower()
    assert "3.00" in text

    status, _ = run("results", "--format", "csv", "--output", str(tmp_path / "r.csv"))
    assert status == 0
    csv_text = (tmp_path / "r.csv").read_text(encoding="utf-8")
    assert csv_text.count("\n") == 41
    assert "Priority for us" in csv_text

    status, _ = run("results", "--format", "xlsx", "--output", str(tmp_path / "r.xlsx"))
    assert status == 0
    workbook = load_workbook(tmp_path / "r.xlsx")
    assert {"Summary", "Answers", "Comments"} <= set(workbook.sheetnames)


def test_xlsx_needs_an_output_file(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("results", "--format", "xlsx")[0] == 2
    assert "--output" in capsys.readouterr().err


def test_reopen(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("reopen", "EP")[0] == 1
    assert "nothing to reopen" in capsys.readouterr().err


def test_db_upgrade_and_downgrade(cli_db: str) -> None:
    assert run("db", "upgrade")[0] == 0
    assert run("db", "downgrade", "base")[0] == 0
    assert run("db", "upgrade")[0] == 0


def test_run_without_a_token_says_what_to_set(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("run")[0] == 2
    assert "BOT_TOKEN is not set" in capsys.readouterr().err


def test_questionnaire_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shipped = load_settings().questionnaire_path
    status, output = run("questionnaire", "check", str(shipped))
    assert status == 0
    assert "OK" in output
    assert "40 Recommendations" in output
    assert "working summary" in output

    broken = tmp_path / "broken.yaml"
    broken.write_text(shipped.read_text(encoding="utf-8").replace("number: 17", "number: 16"))
    assert run("questionnaire", "check", str(broken))[0] == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "16" in err
    assert "duplicate" in err


def _python_m_bot(*argv: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL: unsupported database 'mysql'"),
        (
            {"DATABASE_URL": "postgresql+asyncpg://survey:s3cret@127.0.0.1:1/survey"},
            "cannot use the database at postgresql+asyncpg://survey:***@127.0.0.1:1/survey",
        ),
        ({"QUESTIONNAIRE_PATH": "/nonexistent/q.yaml"}, "q.yaml"),
    ],
)
def test_startup_errors_are_one_line_without_traceback(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    result = _python_m_bot("offices", "list", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert expected in result.stderr
    assert "s3cret" not in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr


def test_run_logs_the_working_summary_warning(tmp_path: Path) -> None:
    result = _python_m_bot("run", env={"BOT_TOKEN": ""}, cwd=tmp_path)
    assert result.returncode == 2
    assert "working summary" in result.stderr
    assert "BOT_TOKEN is not set" in result.stderr


def test_run_with_an_unreachable_bot_api_says_so(tmp_path: Path) -> None:
    result = _python_m_bot(
        "run",
        env={"BOT_TOKEN": "123:abc", "TELEGRAM_API_URL": "http://127.0.0.1:9"},
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "error: cannot reach the Bot API at http://127.0.0.1:9" in result.stderr
