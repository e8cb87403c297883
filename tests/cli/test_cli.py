"""The command line, as the Secretariat uses it, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from bot.cli import main
from bot.config import load_settings
from standin.telegram import TelegramStandIn
from storage.db import SqlStoreFactory, create_engine
from survey.model import Actor
from survey.questionnaire import load_questionnaire, questionnaire_from_data, questionnaire_to_data
from survey.service import SurveyService
from tests.support import answer_all, drop_postgres_database, make_postgres_database

CODE = re.compile(r"^Code:\s+(\S+)$", re.MULTILINE)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def cli_db(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """An empty database; the CLI must migrate it and load the Offices by itself."""
    monkeypatch.chdir(tmp_path)
    for name in ("BOT_TOKEN", "BOT_USERNAME", "QUESTIONNAIRE_PATH", "SURVEY_DEADLINE", "ADMIN_IDS"):
        monkeypatch.delenv(name, raising=False)
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    else:
        url = make_postgres_database(f"survey_cli_{os.getpid()}")
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    if request.param == "postgres":
        drop_postgres_database(url)


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
        return (await service.enrolment.redeem(77, code, full_name="Eva")).office.code

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
    none_left = "No verified representatives of JP remain active.\n"
    assert run("invites", "revoke", first.group(1)) == (
        0,
        "1 invitation code(s) revoked.\n" + none_left,
    )
    assert run("invites", "revoke", "JP") == (0, "2 invitation code(s) revoked.\n" + none_left)
    assert run("invites", "revoke", "no-such-code-anywhere-000")[0] == 1
    assert capsys.readouterr().err.strip() == "error: no invitation has that code"

    async def redeem(service: SurveyService) -> str:
        try:
            await service.enrolment.redeem(5, first.group(1))
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
        issued = await service.secretariat.create_invitation("EP", Actor.cli())
        await service.enrolment.redeem(1, issued.code, full_name="Eva")
        await answer_all(service, 1, "high")
        await service.answering.record_comment(1, 4, "Priority for us")
        await service.answering.submit(1)

    assert run("offices", "list")[0] == 0  # migrates and loads the Offices
    with_service(cli_db, seed)

    status, text = run("results")
    assert status == 0
    assert "submitted" in text.lower()
    assert "3.00" in text

    status, _ = run("results", "--format", "csv", "--output", str(tmp_path / "r.csv"))
    assert status == 0
    assert (tmp_path / "r.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8
    csv_text = (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    assert csv_text.count("\n") == 41
    assert "Priority for us" in csv_text

    status, _ = run("results", "--format", "xlsx", "--output", str(tmp_path / "r.xlsx"))
    assert status == 0
    workbook = load_workbook(tmp_path / "r.xlsx")
    assert {"Summary", "Ranking", "Answers", "Offices"} <= set(workbook.sheetnames)
    offices = [row[0] for row in workbook["Offices"].iter_rows(min_row=2, values_only=True)]
    assert "EP" in offices

    status, _ = run(
        "results", "--format", "docx", "--lang", "fr", "--output", str(tmp_path / "r.docx")
    )
    assert status == 0
    document = Document(str(tmp_path / "r.docx"))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "R01" in text
    assert "EP" in text
    assert any(
        "Priority for us" in cell.text
        for t in document.tables
        for row in t.rows
        for cell in row.cells
    )


@pytest.mark.parametrize("kind", ["xlsx", "docx"])
def test_binary_formats_need_an_output_file(
    kind: str, cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("results", "--format", kind)[0] == 2
    assert "--output" in capsys.readouterr().err


def test_reopen(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("reopen", "EP")[0] == 1
    assert "nothing to reopen" in capsys.readouterr().err

    async def submit(service: SurveyService) -> None:
        for user_id in (1, 2):
            issued = await service.secretariat.create_invitation("EP", Actor.cli())
            await service.enrolment.redeem(user_id, issued.code)
        await answer_all(service, 1)
        await service.answering.submit(1)

    with_service(cli_db, submit)
    assert run("reopen", "EP", "--reason", "asked by e-mail") == (
        0,
        "EP is open again (draft).\n"
        "Its 2 active representative(s) can change and submit the answers again; set "
        "BOT_TOKEN to have them told (they were not).\n",
    )


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
    # Every problem at once, one a line: the number used twice, and the number left out.
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "error: broken.yaml: Recommendation 16: the number 16 is used twice (items 16 and 17)",
        "error: broken.yaml: no Recommendation has the number 17",
    ]


def test_questionnaire_template_check_and_import(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "questionnaire.xlsx"
    assert run("questionnaire", "template", str(template))[0] == 0
    assert f"Wrote {template}" in capsys.readouterr().err
    written = template.read_bytes()
    # Never replaces a file: the Secretariat's filled workbook survives a second template.
    assert run("questionnaire", "template", str(template))[0] == 2
    assert "already exists" in capsys.readouterr().err
    assert template.read_bytes() == written

    status, output = run("questionnaire", "check", str(template))
    assert status == 0
    assert "40 Recommendations" in output

    workbook = load_workbook(template)
    workbook["Recommendations"]["D7"] = None
    workbook["Recommendations"]["A24"] = 17
    workbook["Survey"]["B3"] = "official"
    broken = tmp_path / "broken.xlsx"
    workbook.save(broken)
    assert run("questionnaire", "check", str(broken))[0] == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: broken.xlsx: Recommendations: no Recommendation has the number 23",
        "error: broken.xlsx: Recommendations!D7: the title in French is missing",
        "error: broken.xlsx: Recommendations!A24: the number 17 is also in row 18",
    ]

    workbook["Recommendations"]["D7"] = "Titre corrigé"
    workbook["Recommendations"]["A24"] = 23
    fixed = tmp_path / "fixed.xlsx"
    workbook.save(fixed)
    output_yaml = tmp_path / "official.yaml"
    assert run("questionnaire", "import", str(fixed), "--output", str(output_yaml))[0] == 0
    imported = load_questionnaire(output_yaml)
    assert imported.wording == "official"
    assert imported.recommendation(6).title("fr") == "Titre corrigé"
    assert imported.checksum == load_questionnaire(fixed).checksum
    assert output_yaml.read_text(encoding="utf-8").startswith("# Questionnaire: cws-ict-2021")
    assert run("questionnaire", "import", str(fixed), "--output", str(output_yaml))[0] == 2


def test_the_template_holds_the_version_in_force_in_the_database(
    cli_db: str, tmp_path: Path
) -> None:
    async def put_new_wording_in_force(service: SurveyService) -> None:
        data = questionnaire_to_data(service.questionnaire)
        data["recommendations"][16]["statement"]["es"] += " (corregido)"
        new = questionnaire_from_data(data, origin="official.yaml")
        await service.questionnaires.put_in_force(new, actor=Actor.cli(), expected_number=1)

    assert run("db", "upgrade")[0] == 0
    with_service(cli_db, put_new_wording_in_force)
    template = tmp_path / "questionnaire.xlsx"
    assert run("questionnaire", "template", str(template))[0] == 0
    # Not the configured (shipped) file: the version the Secretariat put in force.
    assert load_questionnaire(template).recommendation(17).statement("es").endswith("(corregido)")


def _python_m_bot_refuses(*argv: str, env: dict[str, str], cwd: Path, one_line: bool = True) -> str:
    """`python -m bot` from a shell ends with status 2 and no traceback; what it said on stderr
    (one line unless `one_line` is False: `run` logs before it fails)."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    if one_line:
        assert result.stderr.strip().count("\n") == 0, result.stderr
    return result.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL: unsupported database 'mysql'"),
        (
            {"DATABASE_URL": "postgresql+asyncpg://survey:s3cret@127.0.0.1:1/survey"},
            "cannot use the database at postgresql+asyncpg://survey:***@127.0.0.1:1/survey",
        ),
        ({"QUESTIONNAIRE_PATH": "/nonexistent/q.yaml"}, "q.yaml"),
        (
            {"PRIVACY_NOTICE_PATH": "/nonexistent/notice.yaml"},
            "PRIVACY_NOTICE_PATH: cannot read /nonexistent/notice.yaml",
        ),
        ({"REMINDER_OFFSETS": "99999999999d"}, "REMINDER_OFFSETS: '99999999999d' is too long"),
        (
            {"SURVEY_DEADLINE": "9999-12-31T23:59:59-05:00"},
            "SURVEY_DEADLINE: the deadline must be before 9999-01-01 (UTC)",
        ),
    ],
)
def test_startup_errors_are_one_line_without_traceback(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    stderr = _python_m_bot_refuses("offices", "list", env=env, cwd=tmp_path)
    assert expected in stderr
    assert "s3cret" not in stderr


def test_run_logs_the_working_summary_warning(tmp_path: Path) -> None:
    stderr = _python_m_bot_refuses("run", env={"BOT_TOKEN": ""}, cwd=tmp_path, one_line=False)
    assert "working summary" in stderr
    assert "BOT_TOKEN is not set" in stderr


def test_run_with_an_unreachable_bot_api_says_so(tmp_path: Path) -> None:
    env = {"BOT_TOKEN": "123:abc", "TELEGRAM_API_URL": "http://127.0.0.1:9"}
    stderr = _python_m_bot_refuses("run", env=env, cwd=tmp_path, one_line=False)
    assert "error: cannot reach the Bot API at http://127.0.0.1:9" in stderr


def _seed_representatives(url: str) -> None:
    async def seed(service: SurveyService) -> None:
        for user_id, office, name in ((11, "EP", "Anna"), (12, "EP", "Bruno"), (13, "JP", "")):
            issued = await service.secretariat.create_invitation(office, Actor.cli())
            await service.enrolment.redeem(user_id, issued.code, full_name=name)
        await service.answering.record_answer(11, 1, "high")
        await service.answering.record_answer(11, 2, "low")

    assert run("offices", "list")[0] == 0  # migrates and loads the Offices
    with_service(url, seed)


def test_representatives_list_and_remove(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    _seed_representatives(cli_db)

    status, listing = run("representatives", "list", "ep")
    assert status == 0
    lines = listing.splitlines()
    assert lines[0] == "EP - European Patent Office: 2 active, 0 removed"
    assert lines[1].split() == [
        *("user", "id", "verified", "(UTC)", "status", "last", "changed", "name")
    ]
    assert lines[2].split()[0] == "11"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", " ".join(lines[2].split()[1:3]))
    assert lines[2].split()[3:] == ["active", "2", "Anna"]
    assert lines[3].split()[3:] == ["active", "0", "Bruno"]

    status, output = run("representatives", "remove", "EP", "12", "--reason", "left the Office")
    assert (status, output) == (
        0,
        "Removed 12 (Bruno) from EP: their next action in the bot is refused.\n",
    )
    lines = run("representatives", "list", "EP")[1].splitlines()
    assert lines[0] == "EP - European Patent Office: 1 active, 1 removed"
    assert lines[3].split()[3] == "removed"
    assert lines[3].split()[-2:] == ["0", "Bruno"]

    assert run("representatives", "remove", "EP", "12")[0] == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Telegram user 12 was already removed from EP on ")
    assert err.count("\n") == 1
    assert run("representatives", "remove", "EP", "13")[0] == 1
    assert capsys.readouterr().err == (
        "error: Telegram user 13 is not a representative of EP: "
        "see `python -m bot representatives list EP`\n"
    )

    assert run("representatives", "remove", "JP", "--all") == (
        0,
        "Removed 1 representative(s) of JP: 13.\n",
    )
    assert run("representatives", "remove", "JP", "--all") == (
        0,
        "JP has no active representatives: nobody removed.\n",
    )
    assert run("representatives", "list", "FR") == (
        0,
        "FR - France has no verified representatives.\n",
    )

    async def removed_answer(service: SurveyService) -> str:
        try:
            await service.answering.record_answer(12, 3, "high")
        except Exception as exc:
            return str(exc)
        return "answered"

    assert with_service(cli_db, removed_answer) == "representative_removed"


def test_revoke_says_how_many_verified_people_remain(cli_db: str) -> None:
    _seed_representatives(cli_db)
    assert run("invites", "revoke", "EP") == (
        0,
        "2 invitation code(s) revoked.\n"
        "2 verified representatives of EP remain active: remove them with "
        "`python -m bot representatives remove EP <id>` "
        "(see `python -m bot representatives list EP`).\n",
    )
    assert run("representatives", "remove", "EP", "11")[0] == 0
    assert run("invites", "revoke", "EP")[1].splitlines()[1] == (
        "1 verified representative of EP remains active: remove them with "
        "`python -m bot representatives remove EP <id>` "
        "(see `python -m bot representatives list EP`)."
    )


@pytest.mark.parametrize("target", ["folder", "under-a-file"])
def test_results_to_a_path_that_cannot_be_written(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    (tmp_path / "reports").mkdir()
    output = tmp_path / "reports" if target == "folder" else tmp_path / "a-file" / "r.csv"
    for fmt in ("text", "csv", "xlsx"):
        status, _ = run("results", "--format", fmt, "--output", str(output))
        assert status == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: cannot write the results to {output}: ")
        assert err.count("\n") == 1
    assert (tmp_path / "a-file").read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize(
    "argv", [("db", "upgrade", "nope"), ("db", "downgrade", "nope"), ("db", "downgrade", "-9")]
)
def test_db_with_an_unknown_revision_is_one_line(
    cli_db: str, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    assert run("db", "upgrade")[0] == 0
    assert run(*argv)[0] == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot migrate the database to revision {argv[-1]!r}: ")
    assert "known revisions: 0001, 0002" in err
    assert err.count("\n") == 1
    assert run("offices", "list")[0] == 0  # the database is still usable


def test_db_commands_from_a_shell_have_no_traceback(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'shell.db'}"}
    stderr = _python_m_bot_refuses("db", "upgrade", "nope", env=env, cwd=tmp_path)
    assert stderr.startswith("error: cannot migrate the database to revision 'nope'")


def test_run_with_a_malformed_token_names_it_without_echoing_it(tmp_path: Path) -> None:
    env = {"BOT_TOKEN": "s3cret token", "TELEGRAM_API_URL": "http://127.0.0.1:9"}
    stderr = _python_m_bot_refuses("run", env=env, cwd=tmp_path)
    assert "BOT_TOKEN:" in stderr
    assert "s3cret" not in stderr


def test_invite_every_pending_office_into_a_mail_merge_file(
    cli_db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("BOT_USERNAME", "cws_survey_bot")
    caplog.set_level(logging.DEBUG)
    assert run("invite", "EP")[0] == 0  # EP has a usable code already
    target = tmp_path / "mail" / "invitations.csv"

    status, output = run(
        "invite", "--all", "--uses", "3", "--expires", "2099-01-31", "--output", str(target)
    )

    assert status == 0
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for Excel
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["office_code", "name_en", "name_fr", "name_es", "code", "link", "expires_at"]
    lines = {row[0]: row for row in rows[1:]}
    assert "EP" not in lines
    assert lines["FR"][1:4] == ["France", "France", "Francia"]
    code = lines["FR"][4]
    assert lines["FR"][5] == f"https://t.me/cws_survey_bot?start={code}"
    assert lines["FR"][6] == "2099-01-31T23:59:59+00:00"
    assert output == (
        f"{len(lines)} invitation(s) written to {target}; the codes are only in that file "
        "(the database keeps their hashes).\n"
    )
    # The codes are in the file only: not in the output, the errors or the log.
    logged = capsys.readouterr().err + caplog.text
    assert not any(row[4] in output or row[4] in logged for row in rows[1:])

    async def redeem(service: SurveyService) -> str:
        return (await service.enrolment.redeem(77, code)).office.code

    assert with_service(cli_db, redeem) == "FR"

    # A second run never overwrites the first batch's codes.
    assert run("invite", "--all", "--output", str(target))[0] == 2
    assert "exists already" in capsys.readouterr().err
    assert target.read_bytes() == data
    again = tmp_path / "again.csv"
    assert run("invite", "--all", "--output", str(again)) == (
        0,
        f"0 invitation(s) written to {again}; the codes are only in that file "
        "(the database keeps their hashes).\n",
    )


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("invite", "--all"), "--all needs --output"),
        (("invite", "EP", "--all", "--output", "x.csv"), "name no Office"),
        (("invite", "--output", "x.csv", "EP"), "--output goes with --all"),
        (("invite",), "name an Office"),
    ],
)
def test_invite_all_is_asked_for_clearly(
    cli_db: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    expected: str,
) -> None:
    monkeypatch.setenv("BOT_USERNAME", "cws_survey_bot")
    assert run(*argv)[0] == 2
    assert expected in capsys.readouterr().err


def test_invite_all_needs_the_bot_username_and_creates_nothing_without_it(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("invite", "--all", "--output", str(tmp_path / "i.csv"))[0] == 2
    assert "BOT_USERNAME" in capsys.readouterr().err
    assert not (tmp_path / "i.csv").exists()
    past = run("invite", "--all", "--expires", "2001-01-01", "--output", str(tmp_path / "i.csv"))
    assert past[0] == 2  # still no username: refused before anything


def test_invite_all_refused_leaves_no_file(
    cli_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_USERNAME", "cws_survey_bot")
    target = tmp_path / "i.csv"
    assert run("invite", "--all", "--expires", "2001-01-01", "--output", str(target))[0] == 1
    assert "already in the past" in capsys.readouterr().err
    assert not target.exists()


def test_deadline_show_set_extend_and_clear(
    cli_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SURVEY_DEADLINE", "2099-06-30T18:00:00+02:00")
    assert run("deadline") == (0, "Deadline: 2099-06-30 16:00 UTC (open).\n")
    assert run("deadline", "set", "2099-07-15") == (0, "Deadline: 2099-07-15 23:59 UTC (open).\n")
    # Stored in the database: the setting is only the initial value.
    assert run("deadline") == (0, "Deadline: 2099-07-15 23:59 UTC (open).\n")
    assert run("deadline", "set", "2001-01-01")[0] == 1
    assert "the deadline must be in the future" in capsys.readouterr().err
    assert run("deadline", "clear") == (0, "No deadline: answering stays open.\n")
    assert run("deadline") == (0, "No deadline: answering stays open.\n")


def test_office_detail_and_revoking_an_invitation_by_id(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed_representatives(cli_db)
    status, listing = run("offices", "list", "--stage", "in_progress", "--stage", "verified")
    assert status == 0
    assert [line.split()[0] for line in listing.splitlines()[1:]] == ["EP", "JP"]
    assert listing.splitlines()[1].split()[5] == "in_progress"

    status, detail = run("offices", "show", "ep")
    assert status == 0
    lines = detail.splitlines()
    assert lines[0] == "EP - European Patent Office (regional)"
    assert "Stage:         in_progress" in lines
    assert "Answered:      2/40" in lines
    assert "Representatives: 2 active" in lines
    ids = [int(line.split()[1]) for line in lines if line.startswith("  id ")]
    assert len(ids) == 2
    assert all(line.endswith("usable") for line in lines if line.startswith("  id "))

    assert run("invites", "revoke", str(ids[0]))[1].startswith("1 invitation code(s) revoked.\n")
    revoked = [
        line for line in run("offices", "show", "EP")[1].splitlines() if f"id {ids[0]} " in line
    ]
    assert "revoked" in revoked[0]
    assert run("invites", "revoke", "999999")[0] == 1
    assert capsys.readouterr().err == (
        "error: no invitation has the id 999999: see `python -m bot offices show OFFICE`\n"
    )


@pytest.fixture
def telegram(monkeypatch: pytest.MonkeyPatch) -> Iterator[TelegramStandIn]:
    """The Bot API stand-in on a loop of its own: the command line runs its own loop."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    stand_in = TelegramStandIn()
    url = asyncio.run_coroutine_threadsafe(stand_in.start("127.0.0.1", 0), loop).result(10)
    monkeypatch.setenv("BOT_TOKEN", stand_in.token)
    monkeypatch.setenv("TELEGRAM_API_URL", url)
    stand_in.opened = lambda *users: [  # type: ignore[attr-defined]
        # Telegram delivers only to people who have opened a chat with the bot.
        asyncio.run_coroutine_threadsafe(stand_in.user_sends(user, "/start"), loop).result(10)
        for user in users
    ]
    yield stand_in
    asyncio.run_coroutine_threadsafe(stand_in.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_remind_lists_then_sends_through_the_bot(
    cli_db: str, telegram: TelegramStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    async def seed(service: SurveyService) -> None:
        for user_id, office in ((1, "EP"), (2, "FR")):
            issued = await service.secretariat.create_invitation(office, Actor.cli())
            await service.enrolment.redeem(user_id, issued.code, language="fr")
        await answer_all(service, 1)
        await service.answering.submit(1)  # EP is done: not reminded
        await service.secretariat.create_invitation("DE", Actor.cli())  # nobody verified

    assert run("offices", "list")[0] == 0
    with_service(cli_db, seed)
    telegram.opened(1, 2)  # type: ignore[attr-defined]
    status, text = run("remind")
    assert status == 0
    assert "1 representative(s) of 1 Office(s)" in text
    assert "write to them by e-mail): DE" in text
    assert "--send" in text
    assert len(telegram.history(2)) == 1  # only counted: their /start alone

    status, text = run("remind", "--send")
    assert status == 0
    assert "Reminders: 1 delivered, 0 blocked the bot, 0 failed." in text
    reminder = telegram.history(2)[-1]
    assert "Secrétariat" in reminder.text
    assert len(telegram.history(1)) == 1


def test_reopen_tells_the_representatives_when_the_bot_can(
    cli_db: str, telegram: TelegramStandIn
) -> None:
    async def submit(service: SurveyService) -> None:
        issued = await service.secretariat.create_invitation("EP", Actor.cli())
        await service.enrolment.redeem(1, issued.code, language="es")
        await answer_all(service, 1)
        await service.answering.submit(1)

    assert run("offices", "list")[0] == 0
    with_service(cli_db, submit)
    telegram.opened(1)  # type: ignore[attr-defined]
    status, text = run("reopen", "EP", "--reason", "pedido por correo")
    assert status == 0
    assert "told: 1 delivered" in text
    assert "pedido por correo" in telegram.history(1)[-1].text


def test_an_offices_workbook_and_pdf_from_the_command_line(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def seed(service: SurveyService) -> None:
        issued = await service.secretariat.create_invitation("EP", Actor.cli())
        await service.enrolment.redeem(1, issued.code, full_name="Eva")
        await answer_all(service, 1, "medium")
        await service.answering.record_comment(1, 4, "Priorité pour nous")

    assert run("offices", "list")[0] == 0
    with_service(cli_db, seed)

    status, _ = run("workbook", "EP", "--output", str(tmp_path / "ep.xlsx"), "--lang", "fr")
    assert status == 0
    sheet = load_workbook(tmp_path / "ep.xlsx").worksheets[0]
    cells = [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value]
    assert "Priorité pour nous" in cells
    assert "Moyenne" in cells

    status, _ = run("pdf", "EP", "--output", str(tmp_path / "ep.pdf"))
    assert status == 0
    pages = PdfReader(tmp_path / "ep.pdf").pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert "Priorité pour nous" in text
    assert "Medium" in text

    status, _ = run("pdf", "ZZ", "--output", str(tmp_path / "zz.pdf"))
    assert status != 0
    assert "ZZ" in capsys.readouterr().err
    assert not (tmp_path / "zz.pdf").exists()


# Odd values: each is one line on stderr and a non-zero status, never a traceback. ------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ("invite", "EP", "--expires", "9999-12-31T23:59:59-05:00"),
            "error: the expiry must be before 9999-01-01 (UTC)",
        ),
        (
            ("invite", "EP", "--uses", "99999999999999999999999"),
            "error: the number of uses can be at most 10000, or unlimited",
        ),
        (
            ("invites", "revoke", "99999999999999999999999"),
            "error: no invitation has the id 99999999999999999999999",
        ),
        (("invites", "revoke", "2147483648"), "error: no invitation has the id 2147483648"),
        (
            ("representatives", "remove", "EP", "99999999999999999999999"),
            "error: Telegram user 99999999999999999999999 is not a representative of EP",
        ),
        (
            ("deadline", "set", "9999-12-31T23:00:00-05:00"),
            "error: the deadline must be before 9999-01-01 (UTC)",
        ),
        (("deadline", "set", "9999-12-31"), "error: the deadline must be before 9999-01-01"),
    ],
)
def test_huge_numbers_and_far_dates_are_one_line_refusals(
    cli_db: str, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], expected: str
) -> None:
    assert run(*argv)[0] == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(expected), err
    assert "\n" not in err


def test_a_date_without_dashes_means_the_end_of_that_day(cli_db: str) -> None:
    assert run("deadline", "set", "20991231") == (0, "Deadline: 2099-12-31 23:59 UTC (open).\n")
    assert run("deadline", "set", "2099-12-30") == (0, "Deadline: 2099-12-30 23:59 UTC (open).\n")


@pytest.mark.parametrize("command", ["upgrade", "downgrade"])
def test_an_empty_revision_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        run("db", command, " ")
    assert exit_.value.code == 2
    assert "name a revision, e.g. head, base, -1 or 0004" in capsys.readouterr().err


def test_files_drop_the_characters_xml_cannot_hold(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def seed(service: SurveyService) -> None:
        issued = await service.secretariat.create_invitation("EP", Actor.cli())
        await service.enrolment.redeem(1, issued.code, full_name="Eva\ufffe")
        await answer_all(service, 1, "medium")
        await service.answering.record_comment(1, 4, "Pasted\uffff from a PDF")

    assert run("offices", "list")[0] == 0
    with_service(cli_db, seed)

    assert run("results", "--format", "xlsx", "--output", str(tmp_path / "r.xlsx"))[0] == 0
    sheets = load_workbook(tmp_path / "r.xlsx")
    cells = {str(c.value) for ws in sheets.worksheets for row in ws.iter_rows() for c in row}
    assert "Pasted from a PDF" in cells

    assert run("workbook", "EP", "--output", str(tmp_path / "ep.xlsx"))[0] == 0
    sheet = load_workbook(tmp_path / "ep.xlsx").worksheets[0]
    cells = {str(cell.value) for row in sheet.iter_rows() for cell in row}
    assert "Pasted from a PDF" in cells
    capsys.readouterr()

    (tmp_path / "a-file").write_text("")
    for command in ("workbook", "pdf"):
        target = tmp_path / "a-file" / f"ep.{command}"
        assert run(command, "EP", "--output", str(target))[0] == 2
        err = capsys.readouterr().err.strip()
        assert err == f"error: cannot write {target}: part of the path is a file, not a folder"


def test_invitations_that_cannot_be_written_are_revoked(
    cli_db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("BOT_USERNAME", "cws_survey_bot")
    target = tmp_path / "invitations.csv"

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", disk_full)
        assert run("invite", "--all", "--output", str(target))[0] == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: cannot write {target}: No space left on device; the ")
    assert err.endswith("new code(s) were revoked, so running this again makes new ones")
    assert not target.exists()

    async def usable(service: SurveyService) -> list[bool]:
        detail = await service.secretariat.office_detail("FR", Actor.cli())
        return [summary.usable for summary in detail.invitations]

    assert with_service(cli_db, usable) == [False]  # made, then revoked
    status, output = run("invite", "--all", "--output", str(target))
    assert status == 0  # a new batch, not "nothing pending"
    rows = target.read_text(encoding="utf-8-sig").splitlines()[1:]
    assert f"{len(rows)} invitation(s) written" in output
    assert len(rows) > 100


@pytest.mark.parametrize(
    "argv",
    [("reopen", "EP"), ("representatives", "remove", "EP", "--all")],
    ids=["reopen", "remove"],
)
def test_a_reason_longer_than_the_chat_takes_is_refused_before_anything_changes(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        run(*argv, "--reason", "x" * 1001)
    assert exit_.value.code == 2
    assert "a reason of 1001 characters; at most 1000" in capsys.readouterr().err


def test_the_sandbox_with_a_data_folder_it_cannot_make_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-file").write_text("")
    assert run("sandbox", "--data", str(tmp_path / "a-file"))[0] == 2
    err = capsys.readouterr().err.strip()
    folder = tmp_path / "a-file"
    assert err == f"error: cannot keep the sandbox's data in {folder}: it is a file, not a folder"
