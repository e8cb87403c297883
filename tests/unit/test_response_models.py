"""The models aiogram reads Bot API answers with are built once per return type, not again
after every garbage collection (bot/response_models.py)."""

from __future__ import annotations

import gc
import weakref
from typing import Any

from aiogram.methods import GetUserChatBoosts, SetChatDescription
from aiogram.methods.base import Response

from bot.response_models import KeepResponseModels


def test_without_a_reference_pydantic_lets_the_model_go() -> None:
    # Why the middleware exists: pydantic's cache of generic models holds them weakly, so
    # the next call would build the class again.
    model = weakref.ref(Response[GetUserChatBoosts.__returning__])
    gc.collect()
    assert model() is None


async def test_a_method_called_through_the_session_keeps_its_model() -> None:
    keeper = KeepResponseModels()
    method = SetChatDescription(chat_id=1, description="x")
    answered: list[Any] = []

    async def make_request(bot: Any, called: Any) -> Any:
        answered.append(called)
        return "answer"

    assert await keeper(make_request, None, method) == "answer"  # type: ignore[arg-type]
    assert answered == [method]
    model = weakref.ref(Response[SetChatDescription.__returning__])
    gc.collect()
    assert model() is not None
    assert Response[SetChatDescription.__returning__] is model()  # not built again
