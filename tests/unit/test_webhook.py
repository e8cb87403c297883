"""The webhook endpoint answers Telegram only once an update has been handled (within a
bound), handles an update delivered twice once, answers 200 to a body it cannot decode, keeps
refusing posts without the secret, and at shutdown lets Telegram deliver again what it cuts."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Message
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from bot.webhook import HandledRequestHandler

SECRET = "s3cret_token"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
GUARD = 30.0  # seconds; only keeps a broken handler from hanging the run


def update(update_id: int, text: str, chat: int = 42) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "Eva"},
            "text": text,
        },
    }


@dataclass
class Recorder:
    """Handlers that note what they were given, waiting on a gate per text if it has one."""

    gates: dict[str, asyncio.Event] = field(default_factory=dict)
    started: list[int] = field(default_factory=list)
    finished: list[int] = field(default_factory=list)

    def dispatcher(self) -> Dispatcher:
        dispatcher = Dispatcher()

        @dispatcher.message()
        async def note(message: Message) -> None:
            self.started.append(message.message_id)
            gate = self.gates.get(message.text or "")
            if gate is not None:
                await gate.wait()
            self.finished.append(message.message_id)

        return dispatcher


@dataclass
class Endpoint:
    client: TestClient[web.Request, web.Application]
    handler: HandledRequestHandler
    recorder: Recorder

    async def post(self, body: Any, *, headers: dict[str, str] | None = None) -> ClientResponse:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return await self.client.post(
            "/hook",
            data=data,
            headers={
                "Content-Type": "application/json",
                **(HEADERS if headers is None else headers),
            },
        )


async def endpoint(bound: float = 50.0) -> AsyncIterator[Endpoint]:
    recorder = Recorder()
    bot = Bot("123456:test")
    handler = HandledRequestHandler(recorder.dispatcher(), bot, secret_token=SECRET, bound=bound)
    app = web.Application()
    app.router.add_post("/hook", handler.handle)
    async with TestClient(TestServer(app)) as client:
        yield Endpoint(client, handler, recorder)
    await bot.session.close()


@pytest.fixture
async def hook() -> AsyncIterator[Endpoint]:
    async for each in endpoint():
        yield each


@pytest.fixture
async def quick_hook() -> AsyncIterator[Endpoint]:
    async for each in endpoint(bound=0.05):
        yield each


async def test_telegram_gets_its_answer_only_once_the_update_is_handled(hook: Endpoint) -> None:
    gate = hook.recorder.gates["slow"] = asyncio.Event()
    posting = asyncio.create_task(hook.post(update(1, "slow")))
    await asyncio.wait_for(_until(lambda: hook.recorder.started == [1]), GUARD)
    await asyncio.sleep(0.1)
    assert not posting.done()  # a process killed now leaves Telegram without its 200
    gate.set()
    response = await asyncio.wait_for(posting, GUARD)
    assert response.status == 200
    assert hook.recorder.finished == [1]


async def test_an_update_delivered_twice_is_handled_once(hook: Endpoint) -> None:
    gate = hook.recorder.gates["slow"] = asyncio.Event()
    first = asyncio.create_task(hook.post(update(1, "slow")))
    await asyncio.wait_for(_until(lambda: hook.recorder.started == [1]), GUARD)
    second = asyncio.create_task(hook.post(update(1, "slow")))  # while being handled
    gate.set()
    assert (await first).status == 200
    assert (await second).status == 200
    assert (await hook.post(update(1, "slow"))).status == 200  # after it was handled
    assert hook.recorder.started == [1]


async def test_a_slow_update_is_answered_after_the_bound_and_still_handled(
    quick_hook: Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    gate = quick_hook.recorder.gates["slow"] = asyncio.Event()
    response = await asyncio.wait_for(quick_hook.post(update(1, "slow")), GUARD)
    assert response.status == 200  # before Telegram gives up on us
    assert quick_hook.recorder.finished == []
    # Telegram delivering it again meanwhile does not start it twice.
    assert (await quick_hook.post(update(1, "slow"))).status == 200
    gate.set()
    await asyncio.wait_for(_until(lambda: quick_hook.recorder.finished == [1]), GUARD)
    assert quick_hook.recorder.started == [1]
    assert any("still being handled" in r.getMessage() for r in caplog.records)


async def test_a_body_that_cannot_be_decoded_gets_200_and_one_log_line(
    hook: Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.webhook")
    unreadable = {"update_id": 7, "poll": {"id": "1", "question": "Which first?"}}
    assert (await hook.post(unreadable)).status == 200
    assert (await hook.post(b"{not json")).status == 200
    assert (await hook.post(update(8, "after"))).status == 200
    assert hook.recorder.finished == [8]
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.webhook"]
    assert len(lines) == 2
    assert lines[0].startswith("Skipped update 7: it cannot be decoded (poll.options")
    assert lines[1].startswith("Skipped a webhook request whose body is not JSON")


async def test_posts_without_the_secret_are_refused(hook: Endpoint) -> None:
    wrong = ["wrong", "sécret", SECRET + "é", "秘密", ""]
    for headers in [*({"X-Telegram-Bot-Api-Secret-Token": w} for w in wrong), {}]:
        response = await hook.post(update(1, "forged"), headers=headers)
        assert response.status == 401
    assert hook.recorder.started == []


async def test_at_shutdown_what_does_not_finish_in_time_is_left_to_telegram(
    hook: Endpoint,
) -> None:
    hook.recorder.gates["stuck"] = asyncio.Event()
    stuck = asyncio.create_task(hook.post(update(1, "stuck")))
    await asyncio.wait_for(_until(lambda: hook.recorder.started == [1]), GUARD)
    await hook.handler.drain(grace=0.05)
    # Not a 200: Telegram delivers it again, to the next process.
    assert (await stuck).status == 503
    assert (await hook.post(update(2, "late"))).status == 503
    assert hook.recorder.started == [1]


async def _until(condition: Any) -> None:
    while not condition():  # noqa: ASYNC110 - the handlers' lists wake nothing up
        await asyncio.sleep(0.01)
