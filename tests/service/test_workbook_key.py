"""The secret that signs the Office workbooks, on SQLite and PostgreSQL: made once on first
need, the same for every replica (even two racing to make it) and after a restart."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import SqlStoreFactory
from survey.service import SurveyService
from survey.workbook_key import KEY_BYTES
from tests.support import Clock


def replica(engine: AsyncEngine, service: SurveyService, clock: Clock) -> SurveyService:
    """Another process of the bot on the same database."""
    return SurveyService(SqlStoreFactory(engine), service.questionnaire, clock=clock)


async def test_replicas_racing_to_make_the_key_all_get_the_one_stored(
    engine: AsyncEngine, service: SurveyService, clock: Clock
) -> None:
    replicas = [replica(engine, service, clock) for _ in range(4)]
    keys = await asyncio.gather(*(r.answering.workbook_key() for r in replicas))
    assert len(set(keys)) == 1
    assert len(keys[0]) == KEY_BYTES
    assert await service.answering.workbook_key() == keys[0]
    restarted = replica(engine, service, clock)  # a new process reads it back
    assert await restarted.answering.workbook_key() == keys[0]


async def test_each_database_has_its_own_random_key(
    engine: AsyncEngine, service: SurveyService
) -> None:
    key = await service.answering.workbook_key()
    assert key != bytes(KEY_BYTES)
    assert len(set(key)) > 8  # random bytes, not a fixed or derived value
