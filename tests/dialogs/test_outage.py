"""The database goes away and comes back: everyone is told, in their language, and the bot
carries on without a restart. PostgreSQL behind a TCP proxy the test can cut."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from aiogram.utils.i18n import I18n
from sqlalchemy.engine import make_url

from bot.config import Settings
from storage.db import create_engine
from survey.model import Actor
from survey.questionnaire import Questionnaire
from survey.service import SurveyService
from tests.support import Clock, CuttableProxy, answer_of, empty_tables, survey_service

from .harness import Person, start_app

pytestmark = pytest.mark.postgres

UNAVAILABLE = (
    "The survey is temporarily unavailable. Everything you saved is safe; please try again in "
    "a few minutes."
)


@pytest.fixture
async def proxied_service(
    postgres_url: str, questionnaire: Questionnaire, clock: Clock
) -> AsyncIterator[tuple[SurveyService, CuttableProxy]]:
    url = make_url(postgres_url)
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    engine = create_engine(
        url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    )
    await empty_tables(engine)
    yield await survey_service(engine, questionnaire, clock), proxy
    with contextlib.suppress(Exception):
        await proxy.cut()
    await engine.dispose()


async def test_while_the_database_is_down_everyone_is_told_and_service_resumes_after(
    proxied_service: tuple[SurveyService, CuttableProxy],
    settings: Settings,
    i18n: I18n,
) -> None:
    service, proxy = proxied_service
    app = start_app(settings, service, i18n)
    claire = Person(app, 1, "en", name="Claire Dubois")  # her client is English...
    code = (await service.secretariat.create_invitation("FR", Actor.cli())).code
    await claire.send(f"/start {code}")
    await claire.send("/language")
    await claire.click("Français")  # ...but she chose French (remembered by this process)
    await claire.send("/continue")
    await claire.acknowledge_notice()
    window = claire.last()
    pablo = Person(app, 2, "es-419", name="Pablo Ruiz")  # never seen by this process

    await proxy.cut()
    await claire.click("Élevée", message=window)
    await claire.send("/continue")
    await pablo.send("/start")

    french = i18n.gettext(UNAVAILABLE, locale="fr")
    spanish = i18n.gettext(UNAVAILABLE, locale="es")
    assert french != UNAVAILABLE
    assert spanish != UNAVAILABLE
    assert app.bot.alerts()[-1] == french
    assert app.bot.sent(1)[-1] == french
    assert app.bot.sent(2) == [spanish]

    await proxy.start()  # the database is back: no restart of the bot
    await claire.click("Élevée", message=window)
    assert (await answer_of(service, 1, 1)).level == "high"
    assert "Recommandation 2 sur 40" in claire.text()
    await pablo.send("/start")
    assert "código de invitación" in pablo.text()
