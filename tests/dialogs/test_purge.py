"""/purge in the chat for the Secretariat, after a confirmation, and the automatic purge
RETENTION_DAYS after the deadline, done by one of two processes and told to the
Secretariat once."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from aiogram.utils.i18n import I18n

from bot.config import Settings
from bot.dialog_state import SqliteStorage
from bot.scheduler import Scheduler
from survey.model import Actor
from survey.service import SurveyService
from tests.support import ADMIN_ID, Clock, answer_all

from .harness import Person, start_app, verified

PURGED = "🧹 Personal data purged."


def _chats_on_file(path: Path) -> set[int]:
    """The chats whose dialog state the file holds (keys are fsm:bot:chat:user:...)."""
    with closing(sqlite3.connect(path)) as db:
        return {int(key.split(":")[2]) for (key,) in db.execute("SELECT key FROM dialog_state")}


@pytest.fixture
async def state_on_file(tmp_path: Path) -> AsyncIterator[SqliteStorage]:
    storage = SqliteStorage(tmp_path / "dialog-state.db")
    yield storage
    await storage.close()


async def test_the_secretariat_purges_from_the_chat_after_a_confirmation(
    settings: Settings,
    service: SurveyService,
    i18n: I18n,
    tmp_path: Path,
    clock: Clock,
    state_on_file: SqliteStorage,
) -> None:
    path = tmp_path / "dialog-state.db"
    app = start_app(settings, service, i18n, storage=state_on_file)
    person = await verified(app, service, 1, office="EP", lang="es")
    await person.send("/language")
    await person.click("Français")  # stored, and kept in the process's language cache
    await answer_all(service, 1, "high")
    await service.secretariat.create_invitation("JP", Actor.cli())
    assert 1 in _chats_on_file(path)
    admin = Person(app, ADMIN_ID, "en")

    await admin.send("/purge")

    assert "Purge personal data?" in admin.text()
    assert "Representatives replaced by a pseudonym: 1. Invitation codes deleted: 2." in (
        admin.text()
    )
    assert "still open" in admin.text()
    assert admin.buttons() == ["⚠ Purge anyway", "◀ Cancel"]
    await admin.click("◀ Cancel")
    assert (await service.enrolment.whereabouts(1)) is not None  # nothing done

    clock.now += timedelta(days=31)  # past the deadline
    await admin.send("/purge")
    assert "The survey closed on" in admin.text()
    await admin.click("🧹 Purge now")

    assert "Purged. Representatives replaced by a pseudonym: 1" in admin.text()
    assert PURGED in app.bot.sent(ADMIN_ID)[-1]
    assert await service.enrolment.whereabouts(1) is None
    assert 1 not in _chats_on_file(path)
    # afterwards a stranger to the bot, spoken to in their Telegram client's language: the
    # French they chose is forgotten, in the database and in the process's cache
    await person.send("/continue")
    assert "Envíe el código de invitación" in person.text()


async def test_a_deadline_moved_while_the_confirmation_shows_stops_the_purge(
    settings: Settings, service: SurveyService, i18n: I18n, clock: Clock
) -> None:
    app = start_app(settings, service, i18n)
    await verified(app, service, 1)
    clock.now += timedelta(days=31)
    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/purge")
    await service.secretariat.set_deadline(clock.now + timedelta(days=7), Actor.cli())

    await admin.click("🧹 Purge now")

    assert app.bot.alerts()[-1].startswith("Nothing was purged: the survey is open again.")
    assert await service.enrolment.whereabouts(1) is not None


async def test_purge_looks_unknown_to_a_representative(
    settings: Settings, service: SurveyService, i18n: I18n
) -> None:
    app = start_app(settings, service, i18n)
    person = await verified(app, service, 1)
    await person.send("/nosuchcommand")
    unknown = app.bot.sent(1)[-1]
    await person.send("/purge")
    assert app.bot.sent(1)[-1] == unknown
    assert await service.enrolment.whereabouts(1) is not None


async def test_the_automatic_purge_is_done_once_by_one_of_two_processes(
    settings: Settings, service: SurveyService, i18n: I18n, clock: Clock
) -> None:
    with_retention = settings.model_copy(update={"retention_days": 7})
    first, second = (start_app(with_retention, service, i18n) for _ in range(2))
    await verified(first, service, 1, office="EP")
    deadline = await service.secretariat.deadline(Actor.cli())
    assert deadline is not None
    schedulers: list[Scheduler] = [app.dispatcher["scheduler"] for app in (first, second)]

    clock.now = deadline + timedelta(days=7) - timedelta(minutes=1)
    for scheduler, app in zip(schedulers, (first, second), strict=True):
        assert not await scheduler.purge_if_due(app.bot)
    assert await service.enrolment.whereabouts(1) is not None

    clock.now = deadline + timedelta(days=7)
    for _ in range(2):
        for scheduler, app in zip(schedulers, (first, second), strict=True):
            await scheduler.tick(app.bot)
            await app.dispatcher["notifier"].drain()

    assert await service.enrolment.whereabouts(1) is None
    told = [text for app in (first, second) for text in app.bot.sent(ADMIN_ID) if PURGED in text]
    assert len(told) == 1
    assert "Representatives replaced by a pseudonym: 1" in told[0]


async def test_without_retention_days_the_scheduler_never_purges(
    settings: Settings, service: SurveyService, i18n: I18n, clock: Clock
) -> None:
    app = start_app(settings, service, i18n)
    await verified(app, service, 1)
    clock.now += timedelta(days=3650)
    await app.dispatcher["scheduler"].tick(app.bot)
    assert await service.enrolment.whereabouts(1) is not None
