"""The SQL log, when an operator turns it on, shows statements, not what people typed."""

from __future__ import annotations

import logging

import pytest

from storage.db import SqlStoreFactory, create_engine
from survey.service import SurveyService
from tests.support import answer_of, verify

SECRET_COMMENT = "Our budget depends on the minister's decision"
SECRET_NAME = "Zygmunt Quayle-Ashworth"


@pytest.mark.parametrize("echo", [False, True], ids=["debug-logger", "echo"])
async def test_the_sql_log_hides_parameters_and_rows(
    service: SurveyService,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    echo: bool,
) -> None:
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    engine_logger = logging.getLogger("sqlalchemy.engine.Engine")
    handlers = list(engine_logger.handlers)
    engine = create_engine(database_url, echo="debug" if echo else False)
    try:
        logged = SurveyService(
            SqlStoreFactory(engine),
            service.questionnaire,
            deadline=service.setup.deadline,
            clock=service.now,
        )
        await verify(logged, 1, name=SECRET_NAME)
        await logged.answering.record_answer(1, 4, "high")
        await logged.answering.record_comment(1, 4, SECRET_COMMENT)
        assert (await answer_of(logged, 1, 4)).comment == SECRET_COMMENT
    finally:
        await engine.dispose()
        # echo adds its own stdout handler for good; later tests should not inherit it.
        engine_logger.handlers[:] = handlers

    sql = [r.getMessage() for r in caplog.records if r.name.startswith("sqlalchemy.engine")]
    assert any("INSERT INTO answer" in line for line in sql)  # the log is on
    assert not [line for line in sql if SECRET_COMMENT in line or SECRET_NAME in line]
