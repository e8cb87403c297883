"""The PostgreSQL databases the tests create are gone after the run, however it ended.

Each case runs a small pytest session of its own, with this suite's conftest as a plugin, and
then looks at the server.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.support import postgres_server_url

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]

FAILS_WITH_A_CONNECTION_OPEN = """
import asyncio, os
from pathlib import Path
import asyncpg
from sqlalchemy.engine import make_url
from tests.support import make_postgres_database

held = []

def test_fails_with_a_connection_left_open():
    url = make_postgres_database(f"survey_leak_{os.getpid()}")
    Path(os.environ["SURVEY_TEST_DATABASE_FILE"]).write_text(url)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    loop = asyncio.new_event_loop()
    held.append((loop, loop.run_until_complete(asyncpg.connect(dsn))))
    assert False
"""

KILLED = """
import os, signal
from pathlib import Path
from tests.support import make_postgres_database

def test_killed():
    url = make_postgres_database(f"survey_killed_{os.getpid()}")
    Path(os.environ["SURVEY_TEST_DATABASE_FILE"]).write_text(url)
    os.kill(os.getpid(), signal.SIGKILL)
"""

PASSES = """
def test_nothing():
    pass
"""


def _session(tmp_path: Path, source: str, report: Path) -> subprocess.CompletedProcess[str]:
    test_file = tmp_path / f"test_inner_{len(list(tmp_path.glob('test_inner_*')))}.py"
    test_file.write_text(source)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TEST_POSTGRES_URL": postgres_server_url(),
        "SURVEY_TEST_DATABASE_FILE": str(report),
    }
    plugins = ["-p", "tests.conftest", "-p", "no:cacheprovider"]
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *plugins, test_file.name],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _exists(url: str) -> bool:
    async def look() -> bool:
        server = make_url(postgres_server_url()).set(drivername="postgresql")
        connection = await asyncpg.connect(server.render_as_string(hide_password=False))
        try:
            name = make_url(url).database
            return bool(
                await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            )
        finally:
            await connection.close()

    return asyncio.run(look())


def test_a_failed_test_holding_a_connection_leaves_no_database(tmp_path: Path) -> None:
    report = tmp_path / "database.txt"
    run = _session(tmp_path, FAILS_WITH_A_CONNECTION_OPEN, report)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed" in run.stdout
    assert not _exists(report.read_text())


def test_a_killed_run_s_database_is_dropped_by_the_next_run(tmp_path: Path) -> None:
    report = tmp_path / "database.txt"
    killed = _session(tmp_path, KILLED, report)
    assert killed.returncode == -9
    url = report.read_text()
    assert _exists(url)
    after = _session(tmp_path, PASSES, tmp_path / "unused.txt")
    assert after.returncode == 0, after.stdout + after.stderr
    assert not _exists(url)
