"""The Mini App's server against the real dispatcher's wiring and a real SQLite file,
driven over HTTP by aiohttp's test client; launch data signed as Telegram signs it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiogram.utils.i18n import I18n
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from survey.service import SurveyService
from tests.dialogs.conftest import i18n, service, settings, upload_checker
from tests.dialogs.harness import App, start_app
from tests.support import Clock
from tests.webapp.client import PageClient
from webapp.context import WebAppContext
from webapp.server import add_webapp

__all__ = ["i18n", "service", "settings", "upload_checker"]


@pytest.fixture
def app(settings: Settings, service: SurveyService, i18n: I18n) -> App:
    return start_app(settings, service, i18n)


@pytest.fixture
def context(app: App, clock: Clock) -> WebAppContext:
    found = WebAppContext.from_dispatcher(app.dispatcher, app.bot)  # type: ignore[arg-type]
    return replace(found, clock=clock)


@pytest.fixture
async def page(
    context: WebAppContext, settings: Settings, clock: Clock
) -> AsyncIterator[PageClient]:
    root = web.Application()
    add_webapp(root, context)
    async with TestClient(TestServer(root)) as client:
        assert settings.bot_token is not None
        yield PageClient(client, settings.bot_token.get_secret_value(), clock)
