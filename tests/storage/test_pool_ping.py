"""PostgreSQL connections are checked before a unit of work (storage/db.py), except those
given back to the pool a moment ago (JUST_USED), as HikariCP does."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import db
from storage.db import create_engine
from tests.support import _asyncpg_dsn


@pytest.fixture
async def pg_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(postgres_url, pool_size=1, max_overflow=0)
    yield engine
    await engine.dispose()


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        pid = await connection.scalar(text("SELECT pg_backend_pid()"))
    assert isinstance(pid, int)
    return pid


async def terminate(postgres_url: str, pid: int) -> None:
    """What a server restart or an idle timeout does to a pooled connection."""
    admin = await asyncpg.connect(_asyncpg_dsn(postgres_url))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


async def test_a_connection_lost_while_idle_is_replaced_unnoticed(
    pg_engine: AsyncEngine, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "JUST_USED", 0.0)  # every connection has been idle long enough
    first = await backend_pid(pg_engine)
    await terminate(postgres_url, first)

    second = await backend_pid(pg_engine)  # no error: the ping found it dead
    assert second != first


async def test_a_connection_lost_just_after_use_fails_one_unit_of_work_only(
    pg_engine: AsyncEngine, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "JUST_USED", 3600.0)  # never idle long enough to be pinged
    first = await backend_pid(pg_engine)
    await terminate(postgres_url, first)

    with pytest.raises(DBAPIError) as lost:
        await backend_pid(pg_engine)
    assert lost.value.connection_invalidated  # so the pool drops it
    assert await backend_pid(pg_engine) != first
