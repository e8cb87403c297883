"""The notifier paces messages to other people as Telegram requires and honours its waits."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import SendMessage

from bot import notify
from bot.notify import Delivery, Notifier
from standin.ratelimits import max_in_window


class FakeTime:
    """A clock that only moves when the notifier sleeps: no real waiting in tests."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


class Telegram:
    """Records (time, chat, text); answers with the errors it is given, in order."""

    def __init__(self, clock: FakeTime, errors: dict[int, list[Exception]] | None = None) -> None:
        self.clock = clock
        self.sent: list[tuple[float, int, str]] = []
        self.errors = errors or {}

    async def send_message(self, chat_id: int, text: str) -> Any:
        pending = self.errors.get(chat_id)
        if pending:
            raise pending.pop(0)
        self.sent.append((self.clock.now, chat_id, text))
        return True


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(notify.asyncio, "sleep", fake.sleep)
    return fake


async def test_messages_keep_below_telegrams_limits(clock: FakeTime) -> None:
    telegram = Telegram(clock)
    notifier = Notifier(per_second=25, per_chat_interval=1.0, clock=clock)
    messages = [(chat, f"hello {chat}") for chat in range(100)] + [(7, "again"), (7, "thrice")]
    assert await notifier.send(telegram, messages) == Delivery(sent=len(messages))  # type: ignore[arg-type]

    times = [at for at, _, _ in telegram.sent]
    assert all(later - earlier >= 1 / 25 - 1e-9 for earlier, later in pairwise(times))
    to_seven = [at for at, chat, _ in telegram.sent if chat == 7]
    assert all(later - earlier >= 1.0 for earlier, later in pairwise(to_seven))
    assert [text for _, _, text in telegram.sent] == [text for _, text in messages]


async def test_a_flood_wait_pauses_everything_then_the_message_goes(clock: FakeTime) -> None:
    flood = TelegramRetryAfter(SendMessage(chat_id=2, text="?"), "Too Many Requests", 30)
    telegram = Telegram(clock, errors={2: [flood]})
    notifier = Notifier(clock=clock)
    started = clock.now
    assert await notifier.send(telegram, [(1, "a"), (2, "b"), (3, "c")]) == Delivery(sent=3)  # type: ignore[arg-type]
    sent_at = {chat: at for at, chat, _ in telegram.sent}
    assert sent_at[2] >= started + 30  # waited as told
    assert sent_at[3] >= sent_at[2]  # and nobody jumped the queue meanwhile


async def test_someone_who_blocked_the_bot_is_skipped(clock: FakeTime) -> None:
    blocked = TelegramForbiddenError(SendMessage(chat_id=2, text="?"), "bot was blocked")
    telegram = Telegram(clock, errors={2: [blocked]})
    notifier = Notifier(clock=clock)
    assert await notifier.send(telegram, [(1, "a"), (2, "b"), (3, "c")]) == Delivery(  # type: ignore[arg-type]
        sent=2, blocked=1
    )
    assert [chat for _, chat, _ in telegram.sent] == [1, 3]


async def test_a_flood_wait_beyond_the_limit_gives_that_message_up(clock: FakeTime) -> None:
    flood = TelegramRetryAfter(SendMessage(chat_id=2, text="?"), "Too Many Requests", 600)
    telegram = Telegram(clock, errors={2: [flood]})
    notifier = Notifier(max_wait=30, clock=clock)
    started = clock.now
    reports: list[Delivery] = []

    async def report(delivery: Delivery) -> None:
        reports.append(delivery)

    notifier.post(telegram, [(2, "b")], then=report)  # type: ignore[arg-type]
    await notifier.drain()
    assert telegram.sent == []
    assert reports == [Delivery(failed=1)]
    assert clock.now - started < 30  # not waited for


class SlowTelegram(Telegram):
    """A network with uneven delays: every other message reaches Telegram 30 ms after it is
    sent, the others at once; each answer comes back 1 ms after arrival. Records arrivals."""

    async def send_message(self, chat_id: int, text: str) -> Any:
        await self.clock.sleep(0.03 if len(self.sent) % 2 == 0 else 0.0)
        self.sent.append((self.clock.now, chat_id, text))
        await self.clock.sleep(0.001)
        return True


async def test_the_pace_holds_where_telegram_sees_it(clock: FakeTime) -> None:
    telegram = SlowTelegram(clock)
    notifier = Notifier(per_second=25, per_chat_interval=1.0, clock=clock)
    messages = [(chat % 40, f"hello {chat}") for chat in range(200)]
    assert await notifier.send(telegram, messages) == Delivery(sent=len(messages))  # type: ignore[arg-type]

    arrivals = [at for at, _, _ in telegram.sent]
    # Evenly spaced starts would let 26 arrive within one second here (a late one, then 24,
    # then an early one); counted from the answers, never more than 25.
    assert max_in_window(arrivals) <= 25
    for chat in range(40):
        to_chat = [at for at, to, _ in telegram.sent if to == chat]
        assert all(later - earlier > 1.0 for earlier, later in pairwise(to_chat))
    # The price: about one round trip a second, not more.
    assert arrivals[-1] - arrivals[0] < (len(messages) / 25) * 1.05


async def test_a_message_is_claimed_right_before_each_request_and_lost_claims_send_nothing(
    clock: FakeTime,
) -> None:
    wait = TelegramRetryAfter(SendMessage(chat_id=1, text="x"), "Flood control", retry_after=2)
    telegram = Telegram(clock, {1: [wait]})
    notifier = Notifier(clock=clock)
    asked: list[tuple[float, bool]] = []

    async def claim(again: bool) -> bool:
        asked.append((clock.now, again))
        return True

    async def lost(again: bool) -> bool:
        return False

    assert await notifier.deliver(telegram, 1, "a", claim=claim) is notify.Outcome.SENT  # type: ignore[arg-type]
    # Claimed again after the flood wait, at the moment of the second request.
    assert [again for _, again in asked] == [False, True]
    assert asked[1][0] == telegram.sent[0][0]
    assert await notifier.deliver(telegram, 2, "b", claim=lost) is None  # type: ignore[arg-type]
    assert [chat for _, chat, _ in telegram.sent] == [1]
