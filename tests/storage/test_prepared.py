"""The click's statements run on the driver's own connection (storage/prepared.py): the rows
they give are the ones SQLAlchemy gives, they belong to the unit of work they run in, and a
driver error leaves as the SQLAlchemy exception the session would have raised."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Executable, event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import click_statements as clicks
from storage.db import SqlStoreFactory
from storage.draft_writes import DraftWriting
from storage.models import AnswerRow, OfficeRow
from storage.prepared import DirectPostgres, DirectSqlite, prepare
from survey.model import Actor
from survey.service import SurveyService
from tests.support import Clock, answer_all, count_stored, verify


async def both_ways(
    engine: AsyncEngine, statement: Executable, parameters: dict[str, Any]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    async with engine.connect() as connection:
        through = [tuple(row) for row in (await connection.execute(statement, parameters)).all()]
        raw = await connection.get_raw_connection()
        driver: DirectSqlite | DirectPostgres
        if engine.dialect.name == "sqlite":
            driver = DirectSqlite(raw.driver_connection, engine.dialect)
        else:
            driver = DirectPostgres(raw.driver_connection, engine.dialect, owns_transaction=False)
        direct = await driver.all(statement, parameters)
    return through, [tuple(row) for row in direct]


async def test_every_click_statement_reads_what_sqlalchemy_reads(
    engine: AsyncEngine, service: SurveyService, clock: Clock
) -> None:
    member = await verify(service, 1, "EP", name="Eva Lind")
    await service.secretariat.set_deadline(clock.now + timedelta(days=9), Actor.cli())
    await answer_all(service, 1)
    await service.answering.record_comment(1, 3, "Depends on the <budget> & staff")
    submission = await service.answering.submit(1)
    office = (await service.secretariat.office("EP")).id
    response = submission.response.id
    questionnaire = service.questionnaire.id
    representative = member.representative.id

    cases: list[tuple[Executable, dict[str, Any]]] = [
        (clicks.REPRESENTATIVE_BY_USER, {"user": 1}),
        (clicks.REPRESENTATIVE_AND_DEADLINE, {"user": 1, "questionnaire": questionnaire}),
        (clicks.WRITER, {"user": 1, "questionnaire": questionnaire}),
        (clicks.DEADLINE_SETTING, {"questionnaire": questionnaire}),
        (clicks.RESPONSE, {"office": office, "questionnaire": questionnaire}),
        (clicks.LOCKED_RESPONSE, {"office": office, "questionnaire": questionnaire}),
        (clicks.NAME, {"representative": representative}),
        (clicks.ANSWERS, {"response": response}),
        (clicks.CHOICES, {"response": response}),
    ]
    for statement, parameters in cases:
        through, direct = await both_ways(engine, statement, parameters)
        assert through, str(statement)  # something to compare
        assert direct == through, statement
        assert [type(value) for value in direct[0]] == [type(value) for value in through[0]]
    _, answers = await both_ways(engine, clicks.ANSWERS, {"response": response})
    assert answers[2][2] == "Depends on the <budget> & staff"
    assert all(row[3].tzinfo is not None for row in answers)  # aware datetimes, as before


async def test_an_upsert_converts_its_values_as_sqlalchemy_does(
    engine: AsyncEngine, service: SurveyService, clock: Clock
) -> None:
    await verify(service, 1)
    await service.answering.record_answer(1, 5, "low")
    (answer,) = [item for item in (await service.answering.review(1)).items if item.level]
    assert (answer.number, answer.level) == (5, "low")
    assert answer.changed_at == clock.now  # written as naive UTC, read back aware


async def test_what_a_unit_of_work_did_not_commit_is_not_stored(
    engine: AsyncEngine, stores: SqlStoreFactory, service: SurveyService, clock: Clock
) -> None:
    member = await verify(service, 1)
    await service.answering.record_answer(1, 1, "high")
    response = (await service.answering.review(1)).response.id
    async with stores() as store:
        await store.save_answer(
            response,
            2,
            values={"level": "low"},
            by=member.representative.id,
            now=clock.now,
            version=1,
        )
        assert len(await store.answers(response)) == 2  # seen inside the unit of work
    # ... and gone with it: the session rolled the sqlite3 connection back.
    assert await count_stored(engine, AnswerRow) == 1


async def test_a_session_commits_and_rolls_back_what_ran_on_the_driver(
    engine: AsyncEngine, stores: SqlStoreFactory, service: SurveyService, clock: Clock
) -> None:
    # The driver's statements are in the session's own transaction (on PostgreSQL the first
    # one goes through SQLAlchemy, which begins it): its rollback undoes them, its commit
    # stores them.
    member = await verify(service, 1)
    await service.answering.record_answer(1, 1, "high")
    response = (await service.answering.review(1)).response.id
    for level, stored in (("low", 1), ("medium", 3)):  # rolled back, then committed
        async with stores() as store:
            await store.save_answer(
                response,
                2,
                values={"level": level},
                by=member.representative.id,
                now=clock.now,
                version=1,
            )
            await store.save_answer(
                response,
                3,
                values={"level": level},
                by=member.representative.id,
                now=clock.now,
                version=1,
            )
            if level == "low":
                await store.session.rollback()
            else:
                await store.commit()
        assert await count_stored(engine, AnswerRow) == stored


async def test_a_unit_of_work_from_the_pool_stores_only_what_it_committed(
    engine: AsyncEngine, stores: SqlStoreFactory, service: SurveyService, clock: Clock
) -> None:
    member = await verify(service, 1)
    await service.answering.record_answer(1, 1, "high")
    response = (await service.answering.review(1)).response.id
    upsert = clicks.save_answer(
        engine.dialect.name,
        frozenset({"level", "changed_at", "changed_by", "questionnaire_version"}),
    )
    values = {
        "response_id": response,
        "recommendation": 2,
        "level": "low",
        "changed_at": clock.now,
        "changed_by": member.representative.id,
        "questionnaire_version": 1,
    }

    async def write(unit: DraftWriting, *, commit: bool) -> None:
        assert await unit._execute(upsert, **values) == 1  # in a transaction the unit began
        if commit:
            await unit.commit()

    async with stores.draft_writes() as unit:
        await write(unit, commit=False)
    assert await count_stored(engine, AnswerRow) == 1  # never committed: rolled back
    async with stores.draft_writes() as unit:
        await write(unit, commit=True)
    assert await count_stored(engine, AnswerRow) == 2


async def test_a_click_runs_its_statements_past_sqlalchemy(
    engine: AsyncEngine, service: SurveyService
) -> None:
    await verify(service, 1)
    await service.answering.record_answer(1, 1, "low")  # the first one creates the response
    seen: list[str] = []

    def record(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await service.answering.record_answer(1, 1, "high")
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert seen == []  # all of it ran on the driver itself, BEGIN IMMEDIATE too (storage/db.py)
    assert prepare(clicks.ANSWERS, engine.dialect).sql.startswith("SELECT answer.recommendation")
    async with engine.connect() as connection:
        stored = await connection.scalar(text("SELECT level FROM answer"))
    assert stored == "high"


async def test_a_driver_error_is_the_sqlalchemy_error_the_session_raised_before(
    engine: AsyncEngine, stores: SqlStoreFactory, service: SurveyService, clock: Clock
) -> None:
    await verify(service, 1)
    await service.answering.record_answer(1, 1, "high")
    response = (await service.answering.review(1)).response.id
    async with stores() as store:
        with pytest.raises(IntegrityError) as raised:  # no such representative
            await store.save_answer(
                response, 2, values={"level": "low"}, by=999, now=clock.now, version=1
            )
    assert "999" not in str(raised.value)  # parameters stay out of messages and logs
    assert await count_stored(engine, AnswerRow) == 1
    await service.answering.record_answer(1, 2, "low")  # the connection is fine afterwards
    assert await count_stored(engine, AnswerRow) == 2


async def test_a_unit_of_work_that_failed_leaves_nothing_to_the_next(
    engine: AsyncEngine, stores: SqlStoreFactory, service: SurveyService, clock: Clock
) -> None:
    # Sessions are reused once closed (storage/db.py): what one left pending or half done
    # must not reach the next one.
    before = await count_stored(engine, OfficeRow)

    async def change_of_mind() -> None:
        async with stores() as store:
            store.session.add(OfficeRow(code="QQ", kind="national", names={}))
            await store.session.flush()
            raise RuntimeError("the use case changed its mind")

    with pytest.raises(RuntimeError, match="changed its mind"):
        await change_of_mind()
    for _ in range(3):  # whichever session comes next
        async with stores() as store:
            assert await store.office_by_code("QQ") is None
            await store.commit()
    await verify(service, 1)
    await service.answering.record_answer(1, 1, "high")
    assert await count_stored(engine, OfficeRow) == before
    assert await count_stored(engine, AnswerRow) == 1
