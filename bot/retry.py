"""Retry Bot API calls that Telegram asks us to repeat (429) or failed on its side (5xx).

aiogram raises on these and does not retry; without this, a flood limit at the wrong moment
would leave a person looking at an outdated window even though their answer is saved.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, cast

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import AnswerCallbackQuery
from aiogram.methods.base import Response, TelegramMethod, TelegramType

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)


class RetryMiddleware(BaseRequestMiddleware):
    def __init__(self, attempts: int = 4, max_wait: float = 30.0, backoff: float = 0.5) -> None:
        self.attempts = attempts
        self.max_wait = max_wait
        self.backoff = backoff

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if method.__api_method__ == "getUpdates":  # the polling loop has its own backoff
            return await make_request(bot, method)
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.attempts or exc.retry_after > self.max_wait:
                    raise
                wait = float(exc.retry_after)
            except (TelegramServerError, TelegramNetworkError):
                if attempt == self.attempts:
                    raise
                wait = self.backoff * 2 ** (attempt - 1)
            log.warning(
                "%s failed (attempt %d of %d); retrying in %.1fs",
                type(method).__name__,
                attempt,
                self.attempts,
                wait,
            )
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")


# Telegram's words when a press can no longer be answered: answered already, or too long ago.
QUERY_TOO_OLD = "query is too old"


class ExpiredPressMiddleware(BaseRequestMiddleware):
    """A press that can no longer be answered is not an error.

    Updates are confirmed only once handled, so after a restart a tap is delivered again;
    by then its callback query has been answered or has expired, and answerCallbackQuery
    fails with "query is too old and response timeout expired or query ID is invalid". The
    spinner on the person's button is long gone either way, and what they need (the answer
    stored, the window updated) does not depend on it, so the call counts as done rather
    than turning into an error message for them.
    """

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as exc:
            if not isinstance(method, AnswerCallbackQuery) or QUERY_TOO_OLD not in exc.message:
                raise
            log.debug("Press %s can no longer be answered: %s", method.callback_query_id, exc)
            # What answerCallbackQuery returns: make_request hands back the result itself,
            # whatever aiogram's annotation of the middleware says.
            return cast(Response[TelegramType], True)
