"""Redis or the database goes away under the real process (`python -m bot run`), by long
polling and by webhook, while a representative taps a level, types a comment and presses
Submit. Each is either stored exactly once when the service is back, or the person is told
it was not taken: never lost in silence, never applied twice (bot/holds.py).

Redis is a server of the test's own, stopped and started again with its data, or without
it (a cache flush: everyone's place comes back from the database). PostgreSQL sits behind a
TCP proxy the test cuts and restores, as a server or a network going away would.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from standin.telegram import TelegramStandIn
from storage.db import SqlStoreFactory, create_engine
from storage.migrate import upgrade_async
from survey.model import Actor
from survey.offices import shipped_offices
from survey.questionnaire import load_questionnaire
from survey.service import SurveyService
from tests.support import (
    CuttableProxy,
    RedisServer,
    answer_of,
    audit_events,
    make_postgres_database,
)

from .conftest import STEP_TIMEOUT, BotProcess, Delegate, Launch, answer, verify

HELD = "The survey is briefly unavailable"
NOT_TAKEN = "was not taken"
OUTAGE = 1.5  # seconds the service stays away once the person has been told


@dataclass
class Outage:
    """Take a service away and bring it back."""

    take_away: Callable[[], Awaitable[None]]
    restore: Callable[[], Awaitable[None]]
    telegram: TelegramStandIn

    async def cut(self) -> None:
        """Once the bot has finished with everything so far (each update confirmed): the
        outage meets the next action, not the end of the last one."""
        await self.telegram.wait_for(lambda t: not t.pending_updates, STEP_TIMEOUT)
        await self.take_away()


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    await server.start()
    yield server
    await server.stop()


def with_redis(
    bot_process: BotProcess, redis_server: RedisServer, telegram: TelegramStandIn
) -> Outage:
    bot_process.env["REDIS_URL"] = redis_server.url
    return Outage(redis_server.stop, redis_server.start, telegram)


@pytest.fixture
def outage_database() -> str:
    return make_postgres_database(f"survey_outage_{os.getpid()}")


@pytest.fixture
async def proxied_postgres(
    outage_database: str,
) -> AsyncIterator[tuple[SurveyService, CuttableProxy, str, str]]:
    """A migrated PostgreSQL database with the shipped Offices; the service the test uses
    reaches it directly, the bot only through the proxy (the URL returned)."""
    direct = outage_database
    await upgrade_async(direct)
    url = make_url(direct)
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    engine = create_engine(direct)
    service = SurveyService(SqlStoreFactory(engine), load_questionnaire())
    await service.secretariat.import_offices(shipped_offices(), Actor.cli())
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    yield service, proxy, proxied, direct
    await proxy.cut()
    await engine.dispose()


async def through_outages(
    telegram: TelegramStandIn, service: SurveyService, outage: Outage, user_id: int
) -> None:
    """A level tap, a typed comment and a Submit press, each made while the service is away:
    the person is told it is kept, and once the service is back it is stored, once."""
    eva = Delegate(telegram, user_id)
    await verify(eva, service)
    await answer(eva, 1)
    await eva.expect("Recommendation 2 of 40")

    # A level tap.
    await outage.cut()
    press = await eva.click("High")
    told = await telegram.wait_answered(press, STEP_TIMEOUT)
    assert told.text is not None
    assert HELD in told.text
    await asyncio.sleep(OUTAGE)
    await outage.restore()
    await eva.expect("Recommendation 3 of 40")
    assert (await answer_of(service, user_id, 2)).level == "high"

    # A typed comment.
    await eva.click("💬 Add a comment")
    prompt = await eva.expect("Send your comment on Recommendation 3")
    await outage.cut()
    await eva.send("Kept through the outage")
    await eva.expect(HELD, newer_than=prompt.message_id)
    await asyncio.sleep(OUTAGE)
    await outage.restore()
    await eva.expect("Kept through the outage")
    assert (await answer_of(service, user_id, 3)).comment == "Kept through the outage"

    # A Submit press.
    for number in range(3, 41):
        await service.answering.record_answer(user_id, number, "medium")
    await eva.send("/review")
    await eva.expect("Review: ")
    await eva.click("✅ Submit final answers")
    await eva.expect("Submit the final answers")
    await outage.cut()
    press = await eva.click("✅ Yes, submit now")
    told = await telegram.wait_answered(press, STEP_TIMEOUT)
    assert told.text is not None
    assert HELD in told.text
    await asyncio.sleep(OUTAGE)
    await outage.restore()
    await eva.expect("Reference")
    review = await service.answering.review(user_id)
    assert review.response.submitted
    assert (await answer_of(service, user_id, 2)).level == "high"
    assert (await answer_of(service, user_id, 3)).comment == "Kept through the outage"


def handled_once(bot_process: BotProcess) -> None:
    log = bot_process.log()
    assert "Traceback" not in log
    assert "handled after" in log  # the held updates were tried again and went through


@pytest.mark.redis
async def test_redis_stopped_and_restarted_with_its_data_loses_nothing(
    launch: Launch,
    bot_process: BotProcess,
    telegram: TelegramStandIn,
    service: SurveyService,
    redis_server: RedisServer,
) -> None:
    outage = with_redis(bot_process, redis_server, telegram)
    await launch.start()
    await through_outages(telegram, service, outage, 701)
    handled_once(bot_process)
    assert await submissions(bot_process.env["DATABASE_URL"]) == 1
    if launch.mode == "webhook":  # the operator sees the holds in the metrics
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{launch.port}/metrics") as response,
        ):
            metrics = await response.text()
        assert "survey_bot_updates_held_total 3.0" in metrics
        assert "survey_bot_updates_given_up_total 0.0" in metrics


@pytest.mark.postgres
async def test_database_cut_and_restored_loses_nothing(
    launch: Launch,
    bot_process: BotProcess,
    telegram: TelegramStandIn,
    proxied_postgres: tuple[SurveyService, CuttableProxy, str, str],
) -> None:
    service, proxy, proxied_url, direct_url = proxied_postgres
    bot_process.env["DATABASE_URL"] = proxied_url
    await launch.start()
    await through_outages(telegram, service, Outage(proxy.cut, proxy.start, telegram), 702)
    handled_once(bot_process)
    assert await submissions(direct_url) == 1


async def submissions(url: str) -> int:
    engine = create_engine(url)
    try:
        return len(await audit_events(engine, "response.submit"))
    finally:
        await engine.dispose()


@pytest.mark.redis
async def test_an_outage_longer_than_the_hold_is_given_up_and_the_person_told(
    launch: Launch,
    bot_process: BotProcess,
    telegram: TelegramStandIn,
    service: SurveyService,
    redis_server: RedisServer,
) -> None:
    outage = with_redis(bot_process, redis_server, telegram)
    bot_process.env["OUTAGE_HOLD_SECONDS"] = "2"
    await launch.start()
    eva = Delegate(telegram, 703)
    await verify(eva, service)
    window = await eva.expect("Recommendation 1 of 40")

    await outage.cut()
    await eva.click("High")
    await eva.expect(NOT_TAKEN, newer_than=window.message_id)
    await outage.restore()
    assert (await answer_of(service, 703, 1)).level is None  # not taken, as said

    await eva.send("/continue")  # and the person goes on from where the database says
    await answer(eva, 1)
    await eva.expect("Recommendation 2 of 40")
    assert (await answer_of(service, 703, 1)).level == "medium"
    assert "Traceback" not in bot_process.log()


@pytest.mark.redis
async def test_redis_restarted_without_its_data_everyone_goes_on_from_the_database(
    launch: Launch,
    bot_process: BotProcess,
    telegram: TelegramStandIn,
    service: SurveyService,
    redis_server: RedisServer,
) -> None:
    with_redis(bot_process, redis_server, telegram)
    await launch.start()
    eva, tom = Delegate(telegram, 704), Delegate(telegram, 705)
    await verify(eva, service, "EP")
    await verify(tom, service, "FR")
    await answer(eva, 1)
    await eva.expect("Recommendation 2 of 40")
    await tom.click("💬 Add a comment")
    await tom.expect("Send your comment on Recommendation 1")

    await telegram.wait_for(lambda t: not t.pending_updates, STEP_TIMEOUT)
    await redis_server.stop()
    await redis_server.start(keep_data=False)  # a cache flush: every dialog state gone

    await eva.click("Low")  # on the window she had: taken, and she is on the next one
    await eva.expect("Recommendation 3 of 40")
    assert (await answer_of(service, 704, 2)).level == "low"
    await tom.send("A comment typed after the flush")  # nowhere to go: told how to go on
    await tom.expect("/continue")
    await tom.send("/continue")
    await tom.expect("Recommendation 1 of 40")
    assert "Traceback" not in bot_process.log()
