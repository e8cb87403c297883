"""The bot's own part of an update's handling: the time it took, less the waits for the Bot
API's answers, which are Telegram's round trip (bot/metrics.py)."""

from __future__ import annotations

import asyncio
import contextlib

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods.base import Response, TelegramMethod, TelegramType
from aiogram.types import Message

from bot.metrics import ApiWaitMiddleware, Metrics, UpdateMiddleware
from tests.unit.test_ops import message_update

TELEGRAM_TAKES = 0.2  # seconds each call waits for its answer


class SlowTelegram(BaseRequestMiddleware):
    """A Bot API that answers after a while, with a network error (no server needed)."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        self.calls += 1
        await asyncio.sleep(TELEGRAM_TAKES)
        raise TelegramNetworkError(method, "no answer in time")


async def test_the_bots_own_time_leaves_out_every_wait_for_the_bot_api() -> None:
    metrics = Metrics()
    dispatcher = Dispatcher()
    dispatcher.update.outer_middleware(UpdateMiddleware(metrics))
    session = AiohttpSession()
    session.middleware(ApiWaitMiddleware())
    telegram = SlowTelegram()
    session.middleware(telegram)
    bot = Bot("123456:test", session=session)

    @dispatcher.message()
    async def handle(message: Message) -> None:
        for _ in range(2):
            with contextlib.suppress(TelegramNetworkError):
                await message.answer("hello")

    try:
        await dispatcher.feed_update(bot, message_update(7, 42, "hello"))
        # A call made for no update (a broadcast, a job) is nobody's wait, and no error.
        with contextlib.suppress(TelegramNetworkError):
            await bot.send_message(42, "reminder")
    finally:
        await bot.session.close()

    assert telegram.calls == 3
    labels = {"type": "message"}
    took = metrics.registry.get_sample_value("survey_bot_update_handling_seconds_sum", labels)
    own = metrics.registry.get_sample_value("survey_bot_update_own_seconds_sum", labels)
    assert took is not None
    assert own is not None
    assert took >= 2 * TELEGRAM_TAKES * 0.95
    assert 0 <= own <= took - 2 * TELEGRAM_TAKES * 0.95  # both waits left out
    assert metrics.registry.get_sample_value("survey_bot_update_own_seconds_count", labels) == 1
