"""/mydata and /forgetme in the chat, on SQLite and PostgreSQL: a person gets exactly their
own data; after a confirmation they are forgotten (no trace of them in any table), the
Secretariat is told, the Office's answers and submission stay under a pseudonym, and the
bot treats them as a stranger."""

from __future__ import annotations

import json

import pytest
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from survey.model import Actor
from survey.questionnaire import Questionnaire
from survey.service import SurveyService
from tests.support import ADMIN_ID, Clock, answer_all, database_dump, survey_service

from .harness import App, Person, check_html, start_app

ANNA, BRUNO = 640_118_201, 640_118_202


@pytest.fixture
async def service(engine: AsyncEngine, questionnaire: Questionnaire, clock: Clock) -> SurveyService:
    """On both databases (the other dialog tests use SQLite only)."""
    return await survey_service(engine, questionnaire, clock)


@pytest.fixture
def app(settings: Settings, service: SurveyService, i18n: I18n) -> App:
    return start_app(settings, service, i18n)


async def _person(app: App, service: SurveyService, user_id: int, name: str, lang: str) -> Person:
    person = Person(app, user_id, lang, name)
    code = (await service.secretariat.create_invitation("EP", Actor.cli())).code
    await person.send(f"/start {code}")
    return person


async def test_my_data_sends_the_persons_own_data_and_nothing_of_a_colleague(
    app: App, service: SurveyService
) -> None:
    anna = await _person(app, service, ANNA, "Anna Lindqvist", "en")
    await _person(app, service, BRUNO, "Bruno Ém", "en")
    await service.answering.record_answer(ANNA, 1, "high")
    await service.answering.record_answer(BRUNO, 2, "low")
    await service.answering.record_comment(BRUNO, 2, "Bruno's comment")

    await anna.send("/mydata")

    summary = check_html(app.bot.sent(ANNA)[-1])
    assert "Anna Lindqvist" in summary
    assert "Answers you changed last: 1" in summary
    [(name, content)] = app.bot.files(ANNA)
    assert name == "my-data.json"
    data = json.loads(content)
    assert data["telegram_user_id"] == ANNA
    assert data["representative"]["name"] == "Anna Lindqvist"
    assert data["representative"]["office"] == "EP"
    assert [a["recommendation"] for a in data["answers_last_changed"]] == [1]
    text = content.decode()
    for colleague in ("Bruno", str(BRUNO), "Bruno's comment"):
        assert colleague not in text


async def test_forget_me_erases_the_person_tells_the_secretariat_and_keeps_the_answers(
    app: App, service: SurveyService, engine: AsyncEngine
) -> None:
    anna = await _person(app, service, ANNA, "Anna Lindqvist", "en")
    await _person(app, service, BRUNO, "Bruno Ém", "en")
    await answer_all(service, ANNA, "high")
    await service.answering.submit(ANNA)
    assert "Anna Lindqvist" in await database_dump(engine)

    await anna.send("/forgetme")
    assert "Erase your data?" in anna.text()
    await anna.click("🗑 Yes, erase my data")

    assert "Representative 1 of EP" in app.bot.sent(ANNA)[-1]
    [told] = app.bot.sent(ADMIN_ID)
    assert "asked to be forgotten" in told
    assert "Representative 1 of EP" in told
    assert "Anna" not in told
    dump = await database_dump(engine)
    assert str(ANNA) not in dump
    assert "Lindqvist" not in dump
    answers = await service.secretariat.office_answers("EP", Actor.cli())
    assert answers.response is not None
    assert answers.response.submitted
    assert answers.response.receipt is not None
    assert answers.response.receipt.submitted_by == "Representative 1 of EP"
    assert len(answers.answers) == len(service.questionnaire.numbers)

    await anna.send("/continue")  # a stranger now: asked for a code
    assert "code" in anna.text().lower()
    await anna.send("/mydata")
    assert "No representative's data is held about you." in app.bot.sent(ANNA)[-1]


async def test_keeping_the_data_erases_nothing(
    app: App, service: SurveyService, engine: AsyncEngine
) -> None:
    anna = await _person(app, service, ANNA, "Anna Lindqvist", "en")
    await anna.send("/forgetme")
    await anna.click("◀ No, keep it")
    assert "Nothing was erased." in app.bot.alerts()
    assert "Anna Lindqvist" in await database_dump(engine)
    assert await service.enrolment.whereabouts(ANNA) is not None


@pytest.mark.parametrize(
    ("lang", "title", "yes"),
    [
        ("fr", "Effacer vos données\u00a0?", "🗑 Oui, effacer mes données"),
        ("es", "¿Borrar sus datos?", "🗑 Sí, borrar mis datos"),
    ],
)
async def test_forget_me_speaks_the_persons_language(
    app: App, service: SurveyService, engine: AsyncEngine, lang: str, title: str, yes: str
) -> None:
    person = await _person(app, service, ANNA, "Anna Lindqvist", lang)
    await person.send("/forgetme")
    assert title in person.text()
    await person.click(yes)
    assert "Representative 1 of EP" in app.bot.sent(ANNA)[-1]
    assert "Done" not in app.bot.sent(ANNA)[-1]
    assert str(ANNA) not in await database_dump(engine)
