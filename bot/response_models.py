"""aiogram's models of Bot API answers, kept alive.

aiogram reads every answer with `Response[method.__returning__]`, a pydantic generic model
that pydantic builds on first use and keeps only in a weak-valued cache. Once the garbage
collector has taken such a class, the next call of that method builds it again: a new class
and its validator, about as much work as everything else in the call. py-spy on the running
bot showed this in about a twelfth of the time spent on Bot API calls. Holding one reference
per return type keeps pydantic's cache warm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods.base import Response, TelegramMethod, TelegramType

if TYPE_CHECKING:
    from aiogram import Bot


class KeepResponseModels(BaseRequestMiddleware):
    def __init__(self) -> None:
        self.kept: dict[Any, type[Any]] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in self.kept:
            self.kept[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)
