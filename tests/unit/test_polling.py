"""The polling loop against the Bot API stand-in: an update is confirmed only once handled,
never started twice, other chats go on meanwhile, one chat stays in order, an update aiogram
cannot decode is skipped once, and stopping finishes (or leaves for later) what is in flight.
A second process polling the same bot stops with one line instead of fighting the first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message
from aiogram.utils.backoff import BackoffConfig
from sqlalchemy.exc import OperationalError

from bot.holds import HOLDS, Holds, is_outage, pause_before
from bot.i18n import build_i18n
from bot.polling import CONFLICT_LIMIT, Poller, PollingConflictError
from standin.telegram import TelegramStandIn

GUARD = 30.0  # seconds; only keeps a broken loop from hanging the run
UNREADABLE = {"poll": {"id": "1", "question": "Which first?"}}  # required fields missing


@dataclass
class Echo:
    """A dispatcher that echoes each text, each text waiting on its gate if it has one."""

    gates: dict[str, asyncio.Event] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    arrivals: dict[str, asyncio.Event] = field(default_factory=dict)

    def dispatcher(self) -> Dispatcher:
        dispatcher = Dispatcher()

        @dispatcher.message()
        async def echo(message: Message) -> None:
            text = message.text or ""
            self.started.append(text)
            self._started(text).set()
            gate = self.gates.get(text)
            if gate is not None:
                await gate.wait()
            await message.answer(f"echo: {text}")
            self.finished.append(text)

        @dispatcher.startup()
        async def started() -> None:
            self.events.append("startup")

        @dispatcher.shutdown()
        async def stopped() -> None:
            self.events.append("shutdown")

        return dispatcher

    async def wait_started(self, text: str) -> None:
        await asyncio.wait_for(self._started(text).wait(), GUARD)

    def _started(self, text: str) -> asyncio.Event:
        return self.arrivals.setdefault(text, asyncio.Event())

    def gate(self, text: str) -> asyncio.Event:
        return self.gates.setdefault(text, asyncio.Event())


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramStandIn]:
    async with TelegramStandIn() as stand_in:
        yield stand_in


@pytest.fixture
async def bot(telegram: TelegramStandIn) -> AsyncIterator[Bot]:
    bot = Bot(telegram.token, session=AiohttpSession(api=TelegramAPIServer.from_base(telegram.url)))
    yield bot
    await bot.session.close()


@contextlib.asynccontextmanager
async def running(poller: Poller) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(poller.run(handle_signals=False))
    try:
        yield task
    finally:
        poller.stop()
        await asyncio.wait_for(task, GUARD)


def replies(telegram: TelegramStandIn, chat: int) -> list[str]:
    return [m.text for m in telegram.history(chat) if m.from_bot]


def offsets(telegram: TelegramStandIn) -> list[int | None]:
    return [call.get("offset") for call in telegram.calls_of("getUpdates")]


async def test_an_update_is_confirmed_only_once_handled_and_started_once(
    telegram: TelegramStandIn, bot: Bot
) -> None:
    echo = Echo()
    slow = echo.gate("slow")
    poller = Poller(echo.dispatcher(), bot)
    async with running(poller):
        await telegram.user_sends(1, "slow")
        slow_id = telegram.pending_updates[-1].update_id
        await echo.wait_started("slow")
        # Another person is served meanwhile...
        await telegram.user_sends(2, "hi")
        await telegram.wait_for(lambda t: replies(t, 2) == ["echo: hi"], GUARD)
        # ...and Telegram is asked again and again, each time handing back the slow update,
        # which is neither confirmed nor started a second time.
        asked = len(offsets(telegram))
        await telegram.wait_for(lambda t: len(offsets(t)) >= asked + 3, GUARD)
        assert slow_id in [u.update_id for u in telegram.pending_updates]
        assert all(offset is None or offset <= slow_id for offset in offsets(telegram))
        assert echo.started == ["slow", "hi"]

        slow.set()
        await telegram.wait_for(lambda t: replies(t, 1) == ["echo: slow"], GUARD)
        await telegram.wait_for(lambda t: not t.pending_updates, GUARD)
    assert echo.started == ["slow", "hi"]
    assert echo.events == ["startup", "shutdown"]


async def test_one_chat_in_order_other_chats_meanwhile(telegram: TelegramStandIn, bot: Bot) -> None:
    echo = Echo()
    first = echo.gate("first")
    async with running(Poller(echo.dispatcher(), bot)):
        await telegram.user_sends(1, "first")
        await telegram.user_sends(1, "second")
        await telegram.user_sends(2, "other")
        await telegram.wait_for(lambda t: replies(t, 2) == ["echo: other"], GUARD)
        assert "second" not in echo.started  # waits for the first of its chat
        first.set()
        await telegram.wait_for(lambda t: len(replies(t, 1)) == 2, GUARD)
    assert replies(telegram, 1) == ["echo: first", "echo: second"]


async def test_no_busy_loop_while_an_update_is_in_flight(
    telegram: TelegramStandIn, bot: Bot
) -> None:
    echo = Echo()
    slow = echo.gate("slow")
    # A wait far longer than the test: the loop may only wake up for a finished handler.
    async with running(Poller(echo.dispatcher(), bot, in_flight_wait=3600)):
        await telegram.user_sends(1, "slow")
        await echo.wait_started("slow")
        asked = len(offsets(telegram))
        await asyncio.sleep(0.3)  # a busy loop would ask hundreds of times meanwhile
        assert len(offsets(telegram)) <= asked + 1
        slow.set()
        # The finished handler wakes the loop at once, which confirms the update.
        await telegram.wait_for(lambda t: not t.pending_updates, GUARD)


async def test_an_update_aiogram_cannot_decode_is_skipped_and_logged_once(
    telegram: TelegramStandIn, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.polling")
    echo = Echo()
    slow = echo.gate("slow")
    async with running(Poller(echo.dispatcher(), bot)):
        # The slow update keeps the offset below the unreadable one, so Telegram hands it
        # back on every poll while the slow one is handled.
        await telegram.user_sends(1, "slow")
        await echo.wait_started("slow")
        unreadable = await telegram.enqueue_update(UNREADABLE)
        await telegram.user_sends(2, "after")
        await telegram.wait_for(lambda t: replies(t, 2) == ["echo: after"], GUARD)
        asked = len(offsets(telegram))
        await telegram.wait_for(lambda t: len(offsets(t)) >= asked + 3, GUARD)
        slow.set()
        await telegram.wait_for(lambda t: not t.pending_updates, GUARD)
        await telegram.user_sends(3, "later")
        await telegram.wait_for(lambda t: replies(t, 3) == ["echo: later"], GUARD)
    skipped = [r for r in caplog.records if r.getMessage().startswith("Skipped update")]
    assert [r.getMessage().split(":")[0] for r in skipped] == [f"Skipped update {unreadable}"]
    assert "poll.options" in skipped[0].getMessage()


async def test_stopping_finishes_the_update_in_flight_and_confirms_it(
    telegram: TelegramStandIn, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.polling")
    echo = Echo()
    slow = echo.gate("slow")
    poller = Poller(echo.dispatcher(), bot)
    task = asyncio.create_task(poller.run(handle_signals=False))
    await telegram.user_sends(1, "slow")
    await echo.wait_started("slow")
    poller.stop()
    async with asyncio.timeout(GUARD):
        while not any(r.getMessage().startswith("Stopping") for r in caplog.records):  # noqa: ASYNC110
            await asyncio.sleep(0.01)  # log records wake nothing up
    slow.set()
    await asyncio.wait_for(task, GUARD)
    assert replies(telegram, 1) == ["echo: slow"]
    assert telegram.pending_updates == []  # confirmed on the way out
    assert echo.events == ["startup", "shutdown"]


async def test_stopping_leaves_what_does_not_finish_in_time_for_the_next_process(
    telegram: TelegramStandIn, bot: Bot
) -> None:
    echo = Echo()
    echo.gate("stuck")
    poller = Poller(echo.dispatcher(), bot, shutdown_grace=0.05)
    task = asyncio.create_task(poller.run(handle_signals=False))
    await telegram.user_sends(1, "done")
    await telegram.wait_for(lambda t: replies(t, 1) == ["echo: done"], GUARD)
    await telegram.user_sends(1, "stuck")
    stuck_id = telegram.pending_updates[-1].update_id
    await echo.wait_started("stuck")
    poller.stop()
    await asyncio.wait_for(task, GUARD)
    assert [u.update_id for u in telegram.pending_updates] == [stuck_id]

    # The next process gets it again, and handles it.
    again = Echo()
    async with running(Poller(again.dispatcher(), bot)):
        await telegram.wait_for(lambda t: replies(t, 1) == ["echo: done", "echo: stuck"], GUARD)
    assert again.started == ["stuck"]


async def test_failing_get_updates_is_retried_after_a_pause(
    telegram: TelegramStandIn, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.polling")
    telegram.faults.add(method="getUpdates", status=502, times=2)
    telegram.faults.add(method="getUpdates", status=500, times=1)
    echo = Echo()
    quick = BackoffConfig(min_delay=0.01, max_delay=0.05, factor=1.5, jitter=0.0)
    async with running(Poller(echo.dispatcher(), bot, backoff=quick)):
        await telegram.user_sends(1, "hello")
        await telegram.wait_for(lambda t: replies(t, 1) == ["echo: hello"], GUARD)
    messages = [r.getMessage() for r in caplog.records]
    assert sum(m.startswith("Failed to fetch updates") for m in messages) == 3
    assert any(m.startswith("Fetching updates again") for m in messages)


QUICK = BackoffConfig(min_delay=0.01, max_delay=0.05, factor=1.5, jitter=0.0)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)


async def test_a_second_poller_stops_with_one_line_and_the_first_goes_on(
    telegram: TelegramStandIn, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.polling")
    first = Echo()
    async with running(Poller(first.dispatcher(), bot, backoff=QUICK)):
        await telegram.user_sends(1, "before")
        await telegram.wait_for(lambda t: replies(t, 1) == ["echo: before"], GUARD)
        # As Telegram does, the newcomer's long poll cuts the first one's ("terminated by
        # other getUpdates request"); the first asks again at once, which cuts the
        # newcomer's, whose very first getUpdates has then failed: it gives up.
        second_bot = Bot(telegram.token, session=bot.session)
        second = Echo()
        with pytest.raises(PollingConflictError) as stopped:
            await asyncio.wait_for(
                Poller(second.dispatcher(), second_bot, backoff=QUICK).run(handle_signals=False),
                GUARD,
            )
        assert "another process is already polling this bot" in str(stopped.value)
        assert "\n" not in str(stopped.value)
        assert second.events == ["startup", "shutdown"]
        await telegram.user_sends(1, "after")
        await telegram.wait_for(lambda t: replies(t, 1)[-1:] == ["echo: after"], GUARD)
    assert second.started == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum("another process polls this bot too" in m for m in warnings) == 1, warnings
    assert not any(m.startswith("Failed to fetch updates") for m in warnings)


async def test_a_webhook_in_the_way_stops_polling_at_once(
    telegram: TelegramStandIn, bot: Bot
) -> None:
    await bot.set_webhook("http://127.0.0.1:9/elsewhere")
    echo = Echo()
    with pytest.raises(PollingConflictError, match="a webhook is set for this bot"):
        await asyncio.wait_for(
            Poller(echo.dispatcher(), bot, backoff=QUICK).run(handle_signals=False), GUARD
        )
    assert len(telegram.calls_of("getUpdates")) == 1


async def test_a_poller_that_keeps_meeting_conflicts_gives_up(
    telegram: TelegramStandIn, bot: Bot
) -> None:
    echo = Echo()
    poller = Poller(echo.dispatcher(), bot, backoff=QUICK, long_poll=1)
    task = asyncio.create_task(poller.run(handle_signals=False))
    try:
        await telegram.user_sends(1, "hello")
        await telegram.wait_for(lambda t: replies(t, 1) == ["echo: hello"], GUARD)
        asked = len(telegram.calls_of("getUpdates"))
        # Another process that does not give up: every poll of this one is cut.
        telegram.faults.add(method="getUpdates", status=409, description=POLL_CONFLICT, times=None)
        with pytest.raises(PollingConflictError, match="another process is already polling"):
            await asyncio.wait_for(task, GUARD)
    finally:
        telegram.faults.clear()
        poller.stop()
        with contextlib.suppress(PollingConflictError):
            await asyncio.wait_for(task, GUARD)
    # The getUpdates of the poll that was waiting, then CONFLICT_LIMIT refused ones.
    assert len(telegram.calls_of("getUpdates")) - asked <= CONFLICT_LIMIT + 1


class FlakyDatabase:
    """A dispatcher whose handler meets an unreachable database until `back` is set."""

    def __init__(self) -> None:
        self.back = False
        self.attempts: list[str] = []
        self.handled: list[str] = []

    def dispatcher(self, limit: float = 120.0) -> Dispatcher:
        dispatcher = Dispatcher()

        @dispatcher.message()
        async def store(message: Message) -> None:
            text = message.text or ""
            self.attempts.append(text)
            if not self.back and text.startswith("tap"):
                raise OperationalError("INSERT", {}, ConnectionRefusedError("server gone"))
            self.handled.append(text)
            await message.answer(f"stored: {text}")

        dispatcher[HOLDS] = Holds(build_i18n(), lambda _user: "fr", limit=limit)
        return dispatcher


async def test_an_update_that_meets_an_outage_is_held_then_handled_once_in_order(
    telegram: TelegramStandIn, bot: Bot
) -> None:
    flaky = FlakyDatabase()
    async with running(Poller(flaky.dispatcher(), bot)):
        await telegram.user_sends(1, "tap 1")
        held_id = telegram.pending_updates[-1].update_id
        await telegram.user_sends(1, "tap 2")  # the same chat: after the first
        await telegram.user_sends(2, "other")  # another chat: served meanwhile
        await telegram.wait_for(lambda t: "stored: other" in replies(t, 2), GUARD)
        # The person is told once, in their language, that it is kept...
        await telegram.wait_for(lambda t: replies(t, 1), GUARD)
        assert len(replies(telegram, 1)) == 1
        assert "momentanément indisponible" in replies(telegram, 1)[0]
        # ...the update is not confirmed, and tried again.
        await telegram.wait_for(lambda t: flaky.attempts.count("tap 1") >= 3, GUARD)
        assert all(offset is None or offset <= held_id for offset in offsets(telegram))
        assert held_id in [u.update_id for u in telegram.pending_updates]
        assert "tap 2" not in flaky.attempts
        flaky.back = True
        await telegram.wait_for(lambda t: "stored: tap 2" in replies(t, 1), GUARD)
        await telegram.wait_for(lambda t: not t.pending_updates, GUARD)
    assert flaky.handled == ["other", "tap 1", "tap 2"]


async def test_an_outage_longer_than_the_hold_is_given_up_and_said(
    telegram: TelegramStandIn, bot: Bot
) -> None:
    flaky = FlakyDatabase()
    async with running(Poller(flaky.dispatcher(limit=0.6), bot)):
        await telegram.user_sends(1, "tap 1")
        await telegram.wait_for(lambda t: len(replies(t, 1)) == 2, GUARD)
        await telegram.wait_for(lambda t: not t.pending_updates, GUARD)  # confirmed now
    held, given_up = replies(telegram, 1)
    assert "momentanément indisponible" in held
    assert "n’a donc pas été prise en compte" in given_up
    assert flaky.handled == []


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (OperationalError("SELECT", {}, sqlite3.OperationalError("database is locked")), True),
        (ConnectionRefusedError("refused"), True),
        (RuntimeError("wrapped"), True),  # raised while handling a Redis error: see below
        (ValueError("a bug"), False),
        (KeyError("aiogd_context"), False),
    ],
)
def test_what_counts_as_an_outage(error: Exception, outage: bool) -> None:
    if isinstance(error, RuntimeError):
        from redis.exceptions import ConnectionError as RedisConnectionError

        try:
            try:
                raise RedisConnectionError("Error 111 connecting")
            except RedisConnectionError:
                raise error  # noqa: B904 - the context is the point
        except RuntimeError as raised:
            error = raised
    assert is_outage(error) is outage


def test_the_pause_between_tries_grows_to_a_bound() -> None:
    pauses = [pause_before(attempt) for attempt in range(1, 10)]
    assert pauses == sorted(pauses)
    assert pauses[0] < 1
    assert pauses[-1] == 10.0
