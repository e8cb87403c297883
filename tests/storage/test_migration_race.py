"""Replicas started at once on a fresh database: each migrates and loads the shipped Offices
first (bot.bootstrap.open_service, what `python -m bot run` does), and nothing runs twice.

Two processes, not two tasks: Alembic keeps its migration context in a module global, so two
upgrades in one process would not be two independent replicas. Both wait at a barrier (a line
on their standard input) with everything imported, so that their upgrades start together.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.bootstrap import _seed_offices
from storage.db import SqlStoreFactory, create_engine
from storage.migrate import revisions, upgrade
from storage.models import OfficeRow
from survey.offices import shipped_offices
from survey.questionnaire import Questionnaire
from survey.service import SurveyService
from tests.support import BACKENDS, audit_events, make_postgres_database, stored_values

from .test_migrations import _schema_diff

RACER = """
import asyncio, logging, sys
from bot.bootstrap import open_service
from bot.config import Settings

logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="%(name)s: %(message)s")
logging.getLogger("alembic.runtime.migration").setLevel(logging.INFO)
logging.getLogger("bot.bootstrap").setLevel(logging.INFO)
settings = Settings(_env_file=None, database_url=sys.argv[1])
sys.stdin.readline()  # the barrier

async def start():
    async with open_service(settings):
        pass

asyncio.run(start())
print("started")
"""
RACERS = 2
TIMEOUT = 120.0


@pytest.fixture(params=BACKENDS)
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'race.db'}"
    return make_postgres_database(f"survey_race_{os.getpid()}")


async def _race(url: str) -> list[tuple[int, str]]:
    racers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            RACER,
            url,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(RACERS)
    ]
    await asyncio.sleep(1.5)  # both have imported everything and wait at the barrier
    outputs = await asyncio.wait_for(
        asyncio.gather(*(racer.communicate(b"go\n") for racer in racers)), TIMEOUT
    )
    return [
        (racer.returncode or 0, out.decode(errors="replace"))
        for racer, (out, _) in zip(racers, outputs, strict=True)
    ]


async def test_replicas_starting_at_once_migrate_and_seed_once(fresh_database: str) -> None:
    results = await _race(fresh_database)

    for code, output in results:
        assert code == 0, output
        assert output.rstrip().endswith("started"), output
        assert "Traceback" not in output, output
    # Alembic says "Running upgrade <from> -> <to>" for each migration it runs.
    ran = Counter(
        line.split("-> ", 1)[1].split(",", 1)[0].strip()
        for _, output in results
        for line in output.splitlines()
        if "Running upgrade" in line
    )
    assert ran == dict.fromkeys(revisions(fresh_database), 1)

    engine = create_engine(fresh_database)
    try:
        assert await stored_values(engine, text("SELECT version_num FROM alembic_version")) == [
            revisions(fresh_database)[-1]
        ]
        [offices] = await stored_values(engine, select(func.count()).select_from(OfficeRow))
        assert offices == len(shipped_offices())
        assert len(await audit_events(engine, "offices.import")) == 1
    finally:
        await engine.dispose()
    assert await _schema_diff(fresh_database) == []


@pytest.mark.postgres
async def test_two_processes_seeding_an_empty_database_at_once_load_the_offices_once(
    questionnaire: Questionnaire,
) -> None:
    # Migrations are serialized, so in the race above the second seeder usually finds the
    # Offices there; here both count none at once and insert: the second meets the unique
    # constraint, which means someone else loaded them, not a failed start.
    url = await asyncio.to_thread(make_postgres_database, f"survey_seed_{os.getpid()}")
    await asyncio.to_thread(upgrade, url)
    engines = [create_engine(url) for _ in range(RACERS)]
    try:
        services = [SurveyService(SqlStoreFactory(e), questionnaire) for e in engines]
        await asyncio.gather(*(_seed_offices(service) for service in services))
        [offices] = await stored_values(engines[0], select(func.count()).select_from(OfficeRow))
        assert offices == len(shipped_offices())
        assert len(await audit_events(engines[0], "offices.import")) == 1
    finally:
        for engine in engines:
            await engine.dispose()
