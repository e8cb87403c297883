"""A press delivered again (after a restart) can no longer be answered: that is not an error,
for answerCallbackQuery only. Through the Bot API stand-in, as the bot's session sees it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.retry import ExpiredPressMiddleware, RetryMiddleware
from standin.telegram import TelegramStandIn

USER = 77


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def telegram(clock: Clock) -> AsyncIterator[TelegramStandIn]:
    async with TelegramStandIn(clock=clock, callback_query_lifetime=15) as stand_in:
        yield stand_in


@pytest.fixture
async def bot(telegram: TelegramStandIn) -> AsyncIterator[Bot]:
    # Set up as bot.runner.create_bot does.
    session = AiohttpSession(api=TelegramAPIServer.from_base(telegram.url))
    session.middleware(RetryMiddleware())
    session.middleware(ExpiredPressMiddleware())
    bot = Bot(telegram.token, session=session)
    yield bot
    await bot.session.close()


async def press(telegram: TelegramStandIn, bot: Bot) -> str:
    """A person taps a button of a message the bot sent; returns the press's id."""
    await telegram.user_sends(USER, "/start")
    button = InlineKeyboardButton(text="High", callback_data="high")
    message = await bot.send_message(
        USER, "Pick one", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]])
    )
    return await telegram.user_clicks(USER, message.message_id, text="High")


async def test_answering_a_press_twice_is_not_an_error(
    telegram: TelegramStandIn, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.retry")
    query = await press(telegram, bot)
    assert await bot.answer_callback_query(query, text="Saved") is True
    # Delivered again after a restart, the press is answered again: Telegram refuses.
    assert await bot.answer_callback_query(query) is True
    assert [a.text for a in telegram.answers(USER)] == ["Saved"]  # the person saw one answer
    assert any("can no longer be answered" in r.getMessage() for r in caplog.records)
    assert all(r.levelno == logging.DEBUG for r in caplog.records if r.name == "bot.retry")


async def test_answering_an_expired_press_is_not_an_error(
    telegram: TelegramStandIn, bot: Bot, clock: Clock
) -> None:
    query = await press(telegram, bot)
    clock.now += 60
    assert await bot.answer_callback_query(query, text="Saved") is True
    assert telegram.answers(USER) == []


async def test_other_refusals_are_still_errors(telegram: TelegramStandIn, bot: Bot) -> None:
    query = await press(telegram, bot)
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query, text="x" * 201)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("changed", chat_id=USER, message_id=999)
