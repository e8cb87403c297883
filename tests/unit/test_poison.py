"""The record of updates in hand (bot/poison.py), and the polling loop with it: an update in
hand when its process died is counted at the next start, skipped after TRIES deaths with its
sender told in their language, and one held in an outage is not counted as a death.

A process's death is played by closing the record without finishing what it has in hand:
what a killed process leaves behind."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message, User
from sqlalchemy.exc import OperationalError

from bot import poison
from bot.holds import HOLDS, Holds
from bot.i18n import build_i18n
from bot.poison import (
    POISON,
    TRIES,
    InHandJournal,
    InHandRedis,
    Poison,
    UpdatesInHand,
    read_journal,
)
from bot.polling import Poller
from standin.telegram import TelegramStandIn
from tests.support import redis_server_url

from .test_polling import GUARD, replies, running

CONTACT = "cws.surveys@wipo.int"

# -- the record ----------------------------------------------------------------------------------

Opener = Callable[[], Awaitable[UpdatesInHand]]


@pytest.fixture(params=["journal", "redis"])
async def reopen(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Opener]:
    """Opens the record as a newly started process would (after the last one closed it)."""
    opened: list[UpdatesInHand] = []
    if request.param == "journal":

        async def journal() -> UpdatesInHand:
            record = InHandJournal(tmp_path / "dialog-state.db.in-hand")
            opened.append(record)
            return record

        yield journal
    else:
        from redis.asyncio import Redis

        client = Redis.from_url(redis_server_url())
        namespace = f"test_in_hand:{uuid.uuid4().hex}"

        async def redis() -> UpdatesInHand:
            return InHandRedis(client, namespace)

        yield redis
        for key in await client.keys(f"{namespace}:*"):
            await client.delete(key)
        await client.aclose()
    for record in opened:
        await record.close()


async def died(record: UpdatesInHand) -> None:
    if isinstance(record, InHandJournal):
        await record.close()


async def test_an_update_in_hand_when_its_process_dies_is_counted_at_the_next_start(
    reopen: Opener,
) -> None:
    first = await reopen()
    assert await first.take(101, "message") == 0
    assert await first.take(102, "callback_query") == 0
    await first.done(102)  # handled: forgotten
    await died(first)

    second = await reopen()
    assert await second.take(101, "message") == 1  # one process died with it
    assert await second.take(102, "callback_query") == 0  # handled before: not a death
    await died(second)

    third = await reopen()
    assert await third.take(101, "message") == 2
    await third.done(101)
    await died(third)
    assert await (await reopen()).take(101, "message") == 0  # skipped then: forgotten


async def test_an_update_put_down_is_not_a_death(reopen: Opener) -> None:
    first = await reopen()
    await first.take(201, "message")
    await first.put_down(201)  # held in an outage, or cut short at shutdown
    await died(first)
    second = await reopen()
    assert await second.take(201, "message") == 0
    await second.put_down(201)
    await second.take(201, "message")  # tried again, and the process dies this time
    await died(second)
    assert await (await reopen()).take(201, "message") == 1


async def test_the_journal_says_what_died_at_start_and_keeps_only_that(tmp_path: Path) -> None:
    path = tmp_path / "dialog-state.db.in-hand"
    first = InHandJournal(path)
    for update_id in range(1, 500):
        await first.take(update_id, "callback_query")
        await first.done(update_id)
    await first.take(500, "message-with-document")
    await first.take(501, "message")
    await first.put_down(501)
    await first.close()
    assert read_journal(path) == {500: ("message-with-document", 1)}

    second = InHandJournal(path)
    assert second.died == {500: ("message-with-document", 1)}
    # Compacted at start: one line for the one death, nothing of the 500 handled updates.
    assert path.read_text() == "X 500 message-with-document 1\n"
    await second.close()


async def test_the_journal_stays_small_however_many_updates_go_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(poison, "COMPACT_AT", 4096)
    path = tmp_path / "dialog-state.db.in-hand"
    journal = InHandJournal(path, remembered=3)
    await journal.take(7, "message")  # still in hand throughout
    for update_id in range(100, 5100):
        await journal.take(update_id, "callback_query")
        await journal.done(update_id)
        assert path.stat().st_size < 4096 + 100
    assert read_journal(path) == {7: ("message", 1)}
    await journal.close()
    # Deaths remembered are bounded too: the newest are kept.
    for update_id in (11, 12, 13, 14, 15):
        again = InHandJournal(path, remembered=3)
        await again.take(update_id, "message")
        await again.close()
    await InHandJournal(path, remembered=3).close()
    assert sorted(read_journal(path)) == [13, 14, 15]


async def test_a_second_process_does_not_take_the_journal_of_a_living_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "dialog-state.db.in-hand"
    living = poison.open_journal(path)
    assert living is not None
    await living.take(9, "message")
    with caplog.at_level(logging.WARNING, "bot.poison"):
        assert poison.open_journal(path) is None
    assert "Another process uses" in caplog.text
    assert read_journal(path) == {9: ("message", 1)}  # its record untouched
    await living.close()


# -- the polling loop with it --------------------------------------------------------------------


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramStandIn]:
    async with TelegramStandIn() as stand_in:
        yield stand_in


@pytest.fixture
async def bot(telegram: TelegramStandIn) -> AsyncIterator[Bot]:
    bot = Bot(telegram.token, session=AiohttpSession(api=TelegramAPIServer.from_base(telegram.url)))
    yield bot
    await bot.session.close()


async def french(_user: User | None) -> str:
    return "fr"


def dispatcher_with(record: UpdatesInHand, handled: list[str]) -> Dispatcher:
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        handled.append(message.text or "")
        await message.answer(f"echo: {message.text}")

    guard = Poison(build_i18n(), french, CONTACT)
    guard.use(record)
    dispatcher[POISON] = guard
    return dispatcher


async def test_an_update_two_processes_died_with_is_skipped_and_its_sender_told(
    telegram: TelegramStandIn, bot: Bot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "dialog-state.db.in-hand"
    await telegram.user_sends(1, "the workbook that kills")
    poisoned = telegram.pending_updates[-1].update_id
    for _death in range(TRIES):
        record = InHandJournal(path)
        await record.take(poisoned, "message")
        await record.close()
    await telegram.user_sends(2, "/start")

    handled: list[str] = []
    record = InHandJournal(path)
    with caplog.at_level(logging.INFO):
        async with running(Poller(dispatcher_with(record, handled), bot)):
            await telegram.wait_for(lambda t: "echo: /start" in replies(t, 2), GUARD)
            await telegram.wait_for(lambda t: replies(t, 1), GUARD)
            await telegram.wait_for(lambda t: not t.pending_updates, GUARD)  # confirmed
    await record.close()
    assert handled == ["/start"]
    assert replies(telegram, 1) == [
        "Désolé, votre dernier message n’a pas pu être traité. Veuillez réessayer autrement, "
        f"ou écrire à {CONTACT}."
    ]
    said = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert said == [
        f"Update {poisoned} (message) skipped: 2 process(es) died while handling it; "
        "its sender is told it could not be processed"
    ]
    assert "kills" not in caplog.text
    assert read_journal(path) == {}  # forgotten once skipped


async def test_an_update_one_process_died_with_is_handled_again(
    telegram: TelegramStandIn, bot: Bot, tmp_path: Path
) -> None:
    path = tmp_path / "dialog-state.db.in-hand"
    await telegram.user_sends(1, "unlucky")
    record = InHandJournal(path)
    await record.take(telegram.pending_updates[-1].update_id, "message")
    await record.close()

    handled: list[str] = []
    record = InHandJournal(path)
    async with running(Poller(dispatcher_with(record, handled), bot)):
        await telegram.wait_for(lambda t: not t.pending_updates, GUARD)
    await record.close()
    assert handled == ["unlucky"]
    assert read_journal(path) == {}


async def test_an_update_held_in_an_outage_is_not_counted_as_a_death(
    telegram: TelegramStandIn, bot: Bot, tmp_path: Path
) -> None:
    path = tmp_path / "dialog-state.db.in-hand"
    record = InHandJournal(path)
    attempts: list[str] = []
    back = asyncio.Event()
    inside = asyncio.Event()
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def store(message: Message) -> None:
        attempts.append(message.text or "")
        if not back.is_set():
            raise OperationalError("INSERT", {}, ConnectionRefusedError("server gone"))
        inside.set()
        await asyncio.sleep(3600)  # being handled when the process dies

    dispatcher[HOLDS] = Holds(build_i18n(), lambda _user: "fr")
    guard = Poison(build_i18n(), french, CONTACT)
    guard.use(record)
    dispatcher[POISON] = guard

    poller = Poller(dispatcher, bot)
    task = asyncio.create_task(poller.run(handle_signals=False))
    await telegram.user_sends(1, "tap 1")
    update_id = telegram.pending_updates[-1].update_id
    await telegram.wait_for(lambda t: len(attempts) >= 2, GUARD)
    # Held: what the process would leave behind, were it killed now, is no death.
    assert read_journal(path) == {}
    back.set()
    await asyncio.wait_for(inside.wait(), GUARD)
    # Being handled: in hand, a death if the process is killed now.
    assert read_journal(path) == {update_id: ("message", 1)}
    poller.shutdown_grace = 0.0
    poller.stop()
    await asyncio.wait_for(task, GUARD)
    # Cut short at shutdown: put down, no death either.
    assert read_journal(path) == {}
    await record.close()
