"""The usual answer write (survey/setup.py `unlocked_draft`, store `save_draft_answer`): one
read that locks nothing, then the answer saved only if the Office's response is still a draft
at that moment; a submission that got there first is waited for and wins, and the person is
told, as with the locked path. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from storage.db import SqlStoreFactory, create_engine
from storage.models import AnswerRow, ResponseRow
from survey.errors import Reason, Refused
from survey.model import AnswerChoice, ResponseStatus
from survey.questionnaire import Questionnaire
from survey.service import SurveyService
from survey.views import Progress
from tests.support import Clock, answer_all, stored_values, survey_service, verify

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


async def test_a_draft_answer_comes_back_with_the_others_and_is_committed(
    service: SurveyService, stores: SqlStoreFactory, database_url: str
) -> None:
    member = await verify(service, 1)
    await service.answering.record_answer(1, 9, "low")
    await service.answering.record_comment(1, 2, "first")
    async with stores() as store:
        person, setting, response = await store.writer(1, service.questionnaire.id)
        assert person is not None
        assert person.id == member.representative.id
        assert response is not None
        assert response.status is ResponseStatus.DRAFT
        choices = await store.save_draft_answer(
            response.id,
            5,
            values={"level": "high"},
            by=person.id,
            now=NOW,
            version=1,
            setting=setting,
        )
    assert choices == [
        AnswerChoice(2, None, "first"),
        AnswerChoice(5, "high", None),
        AnswerChoice(9, "low", None),
    ]
    # Committed: another engine (another process) sees it.
    other = create_engine(database_url)
    try:
        levels = await stored_values(other, select(AnswerRow.level).order_by(AnswerRow.id))
    finally:
        await other.dispose()
    assert "high" in levels


async def test_a_submitted_response_takes_nothing(
    service: SurveyService, stores: SqlStoreFactory, engine: AsyncEngine
) -> None:
    member = await verify(service, 1)
    await answer_all(service, 1, "low")
    async with stores() as store:
        _, setting, response = await store.writer(1, service.questionnaire.id)
    assert response is not None
    await service.answering.submit(1)

    async with stores() as store:
        # As if read before the submission: the write itself checks again.
        choices = await store.save_draft_answer(
            response.id,
            5,
            values={"level": "high"},
            by=member.representative.id,
            now=NOW,
            version=1,
            setting=setting,
        )
        assert choices is None
    assert "high" not in await stored_values(engine, select(AnswerRow.level))


@asynccontextmanager
async def submission_in_progress(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """Another connection holding the response as a submission does (its row locked, its
    status changed), committed when the block ends unless rolled back inside it."""
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            await connection.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE (storage/db.py)
        else:
            await connection.execute(select(ResponseRow.id).with_for_update())
        await connection.execute(update(ResponseRow).values(status="submitted"))
        yield connection
        if connection.in_transaction():
            await connection.commit()


@pytest.fixture
async def all_answered(service: SurveyService) -> SurveyService:
    """Two representatives of one Office; the first has answered everything."""
    await verify(service, 1, name="Bruno")
    await verify(service, 2)
    await answer_all(service, 1, "low")
    return service


async def waiting_write(service: SurveyService, engine: AsyncEngine) -> asyncio.Task[Progress]:
    """The second representative answers Recommendation 5 while a submission holds the
    response; returned once the write is seen waiting for it."""
    write = asyncio.create_task(service.answering.record_answer(2, 5, "high"))
    for _ in range(20):
        await asyncio.sleep(0.05)
        assert not write.done(), write
    if engine.dialect.name == "postgresql":
        assert await _waiting_for_a_lock(engine) >= 1
    return write


async def _waiting_for_a_lock(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        )
    return int(count or 0)


async def test_a_write_waits_for_a_submission_in_progress_and_is_refused(
    all_answered: SurveyService, engine: AsyncEngine
) -> None:
    async with submission_in_progress(engine):
        write = await waiting_write(all_answered, engine)
    with pytest.raises(Refused) as refused:
        await write
    assert refused.value.reason is Reason.ALREADY_SUBMITTED
    assert "high" not in await stored_values(engine, select(AnswerRow.level))


async def test_a_write_waits_for_a_submission_that_is_undone_and_goes_through(
    all_answered: SurveyService, engine: AsyncEngine
) -> None:
    async with submission_in_progress(engine) as submitting:
        write = await waiting_write(all_answered, engine)
        await submitting.rollback()
    progress = await write
    answer = progress.answer(5)
    assert answer is not None
    assert answer.level == "high"
    assert progress.answered == 40


async def test_every_connection_goes_back_to_the_pool(
    service: SurveyService, engine: AsyncEngine
) -> None:
    await verify(service, 1)
    await service.answering.record_answer(1, 1, "high")  # the Office's first: the full path
    await service.answering.record_answer(1, 2, "low")  # the usual one
    await answer_all(service, 1, "low")
    await service.answering.submit(1)
    with pytest.raises(Refused):
        await service.answering.record_answer(1, 3, "high")  # refused: both paths tried
    assert engine.sync_engine.pool.checkedout() == 0


async def test_a_unit_left_unsaved_keeps_nothing_and_holds_nothing(
    service: SurveyService, stores: SqlStoreFactory, engine: AsyncEngine
) -> None:
    await verify(service, 1, name="Ada")
    await service.answering.record_answer(1, 1, "high")

    async def cut_short() -> None:
        async with stores.draft_writes() as draft:
            _, _, response = await draft.writer(1, service.questionnaire.id)
            assert response is not None
            # What a crash between the two steps would leave: nothing, and no lock held.
            raise RuntimeError("cut short")

    with pytest.raises(RuntimeError):
        await cut_short()
    assert engine.sync_engine.pool.checkedout() == 0
    progress = await service.answering.record_answer(1, 2, "low")
    assert progress.answered == 2
    assert (await service.answering.review(1)).items[1].changed_by == "Ada"


async def test_a_write_cancelled_while_waiting_leaves_the_pool_sound(
    all_answered: SurveyService, engine: AsyncEngine
) -> None:
    async with submission_in_progress(engine) as submitting:
        write = await waiting_write(all_answered, engine)
        write.cancel()
        with pytest.raises(asyncio.CancelledError):
            await write
        await submitting.rollback()
    assert engine.sync_engine.pool.checkedout() == 0
    progress = await all_answered.answering.record_answer(2, 5, "high")
    answer = progress.answer(5)
    assert answer is not None
    assert answer.level == "high"


async def test_connections_beyond_the_pool_are_closed_cleanly(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # PostgreSQL: on SQLite a unit holds the write lock, so two cannot be open at once.
    small = create_engine(postgres_url, pool_size=1, max_overflow=2)
    stores = SqlStoreFactory(small)
    try:
        caplog.set_level(logging.WARNING, logger="sqlalchemy.pool")
        # Three at once: two are the pool's overflow, closed when given back.
        async with stores.draft_writes(), stores.draft_writes(), stores.draft_writes():
            assert small.sync_engine.pool.checkedout() == 3
        assert small.sync_engine.pool.checkedout() == 0
        assert not [r for r in caplog.records if r.name.startswith("sqlalchemy.pool")]
    finally:
        await small.dispose()


async def test_a_driver_not_run_directly_writes_through_sqlalchemy(
    sqlite_template: Path, tmp_path: Path, questionnaire: Questionnaire, clock: Clock
) -> None:
    # SQLAlchemy's own aiosqlite driver (storage.db.create_engine would run SQLite on the
    # loop), as any other: the usual write takes a full unit of work instead.
    path = tmp_path / "survey.db"
    shutil.copy(sqlite_template, path)
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    try:
        service = await survey_service(engine, questionnaire, clock)
        await verify(service, 1)
        await service.answering.record_answer(1, 1, "low")
        progress = await service.answering.record_answer(1, 2, "high")  # the usual write
        assert progress.answered == 2
        assert engine.sync_engine.pool.checkedout() == 0
    finally:
        await engine.dispose()
