"""Fixtures for the Bot API stand-in: the server, a raw HTTP client, aiogram's Bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web

from standin.telegram import TelegramStandIn

USER = 42


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramStandIn]:
    # Quick webhook retries keep the retry tests short.
    stand_in = TelegramStandIn(webhook_retry_delay=0.05, webhook_max_retry_delay=0.2)
    await stand_in.start()
    try:
        yield stand_in
    finally:
        await stand_in.stop()


@dataclass
class Api:
    """Plain HTTP against the stand-in: form fields or a JSON body, as a client chooses."""

    session: aiohttp.ClientSession
    base: str
    token: str

    async def form(self, method: str, **fields: Any) -> tuple[int, dict[str, Any]]:
        data = {k: str(v) for k, v in fields.items() if v is not None}
        async with self.session.post(f"{self.base}/bot{self.token}/{method}", data=data) as r:
            return r.status, await r.json()

    async def json(self, method: str, **fields: Any) -> tuple[int, dict[str, Any]]:
        async with self.session.post(f"{self.base}/bot{self.token}/{method}", json=fields) as r:
            return r.status, await r.json()

    async def ok(self, method: str, **fields: Any) -> Any:
        status, body = await self.json(method, **fields)
        assert status == 200, body
        assert body["ok"] is True, body
        return body["result"]

    async def sandbox(self, verb: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        async with self.session.request(verb, f"{self.base}/sandbox/{path}", **kwargs) as r:
            return r.status, await r.json()


@pytest.fixture
async def api(telegram: TelegramStandIn) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, telegram.url, telegram.token)


@pytest.fixture
async def bot(telegram: TelegramStandIn) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(telegram.url))
    bot = Bot(telegram.token, session=session)
    try:
        yield bot
    finally:
        await bot.session.close()


@dataclass
class WebhookReceiver:
    """A small aiohttp server standing for the bot's webhook endpoint."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    secrets: list[str | None] = field(default_factory=list)
    fail_next: int = 0  # answer 500 to this many deliveries first
    reply: dict[str, Any] | None = None  # a method call to answer with, once
    hold: asyncio.Event | None = None  # if given: each delivery is answered once it is set


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    state = WebhookReceiver()

    async def handle(request: web.Request) -> web.Response:
        if state.fail_next > 0:
            state.fail_next -= 1
            return web.Response(status=500, text="down")
        state.secrets.append(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        state.received.append(await request.json())
        if state.hold is not None:
            await state.hold.wait()
        if state.reply is not None:
            reply, state.reply = state.reply, None
            return web.json_response(reply)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    state.url = f"http://{host}:{port}/hook"
    try:
        yield state
    finally:
        await runner.cleanup()
