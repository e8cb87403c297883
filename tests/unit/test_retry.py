"""Bot API calls are repeated after a 429 (waiting as told) or a 5xx, then given up on."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates, SendMessage

from bot import retry
from bot.retry import RetryMiddleware


class Flaky:
    """make_request failing with the given errors first, then answering."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self, bot: Any, method: Any) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(retry.asyncio, "sleep", fake_sleep)
    return slept


def send() -> SendMessage:
    return SendMessage(chat_id=1, text="hi")


def too_many(seconds: int) -> TelegramRetryAfter:
    return TelegramRetryAfter(send(), "Too Many Requests: retry after", seconds)


async def test_429_waits_as_told_then_succeeds(waits: list[float]) -> None:
    flaky = Flaky(too_many(3))
    assert await RetryMiddleware()(flaky, None, send()) == "ok"  # type: ignore[arg-type]
    assert (flaky.calls, waits) == (2, [3.0])


async def test_5xx_backs_off_then_gives_up(waits: list[float]) -> None:
    errors = [TelegramServerError(send(), "Bad Gateway") for _ in range(4)]
    flaky = Flaky(*errors)
    with pytest.raises(TelegramServerError):
        await RetryMiddleware(attempts=4)(flaky, None, send())  # type: ignore[arg-type]
    assert flaky.calls == 4
    assert waits == [0.5, 1.0, 2.0]


async def test_client_errors_and_long_waits_are_not_retried(waits: list[float]) -> None:
    flaky = Flaky(TelegramBadRequest(send(), "Bad Request: message is too long"))
    with pytest.raises(TelegramBadRequest):
        await RetryMiddleware()(flaky, None, send())  # type: ignore[arg-type]
    flaky = Flaky(too_many(3600))
    with pytest.raises(TelegramRetryAfter):
        await RetryMiddleware(max_wait=30)(flaky, None, send())  # type: ignore[arg-type]
    assert waits == []


async def test_polling_is_left_to_its_own_backoff(waits: list[float]) -> None:
    flaky = Flaky(TelegramServerError(GetUpdates(), "Bad Gateway"))
    with pytest.raises(TelegramServerError):
        await RetryMiddleware()(flaky, None, GetUpdates())  # type: ignore[arg-type]
    assert flaky.calls == 1
