"""Dialog tests run the real dispatcher against a real SQLite file."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiogram.utils.i18n import I18n

from bot.config import Settings
from bot.i18n import build_i18n
from storage.db import SqlStoreFactory, create_engine
from survey.model import Actor
from survey.offices import shipped_offices
from survey.questionnaire import Questionnaire
from survey.service import SurveyService
from tests.conftest import ADMIN_ID, Clock

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
    service = SurveyService(
        SqlStoreFactory(engine),
        questionnaire,
        deadline=clock.now + timedelta(days=30),
        admin_ids={ADMIN_ID},
        clock=clock,
    )
    await service.import_offices(shipped_offices(), Actor.cli())
    yield service
    await engine.dispose()


@pytest.fixture
def app(settings: Settings, service: SurveyService, i18n: I18n) -> App:
    return start_app(settings, service, i18n)
