"""Dialog tests run the real dispatcher against a real SQLite file."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiogram.utils.i18n import I18n

from bot.config import Settings
from bot.i18n import build_i18n
from bot.upload_checker import UploadChecker, pool_limits
from storage.db import create_engine
from survey.questionnaire import Questionnaire
from survey.service import SurveyService
from tests.support import ADMIN_ID, Clock, survey_service

from .harness import App, start_app


@pytest.fixture(scope="session")
def i18n() -> I18n:
    return build_i18n()


@pytest.fixture
def settings() -> Settings:
    return Settings(
        bot_token="123:TEST",  # type: ignore[arg-type]
        admin_ids=frozenset({ADMIN_ID}),
        contact_email="cws.surveys@wipo.int",
    )


@pytest.fixture
async def service(
    tmp_path: Path, sqlite_template: Path, questionnaire: Questionnaire, clock: Clock
) -> AsyncIterator[SurveyService]:
    path = tmp_path / "survey.db"
    shutil.copy(sqlite_template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    yield await survey_service(engine, questionnaire, clock)
    await engine.dispose()


@pytest.fixture(scope="session")
def upload_checker() -> Iterator[UploadChecker]:
    """One set of checking workers for the session: a worker's start costs a second."""
    checker = UploadChecker(pool_limits(Settings()))
    yield checker
    checker.pool.close()


@pytest.fixture
def app(
    settings: Settings, service: SurveyService, i18n: I18n, upload_checker: UploadChecker
) -> App:
    return start_app(settings, service, i18n, upload_checker=upload_checker)
