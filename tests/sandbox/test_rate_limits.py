"""Telegram's flood limits in the stand-in: off by default; when on, a send past 30 a second
(any chats) or past 1 a second to one chat is refused with 429 and retry_after, as Telegram
does. The stand-in's clock is driven by the test, so no test waits on the wall clock."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter

from standin.ratelimits import RateLimits, max_in_window
from standin.telegram import TelegramStandIn

from .conftest import USER, Api

START = 1_750_000_000.0  # any instant; the stand-in's clock starts here


@dataclass
class Clock:
    now: float = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def limited(clock: Clock) -> AsyncIterator[TelegramStandIn]:
    async with TelegramStandIn(clock=clock, rate_limits=RateLimits()) as stand_in:
        yield stand_in


@pytest.fixture
async def limited_api(limited: TelegramStandIn) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, limited.url, limited.token)


async def chats(telegram: TelegramStandIn, *users: int) -> None:
    for user in users:
        await telegram.user_sends(user, "/start")


async def refused(api: Api, method: str = "sendMessage", **fields: object) -> int:
    """Asserts Telegram's 429 for this call; returns its retry_after."""
    status, body = await api.json(method, **fields)
    assert status == 429, body
    retry_after = body["parameters"]["retry_after"]
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {retry_after}",
        "parameters": {"retry_after": retry_after},
    }
    return int(retry_after)


async def test_off_by_default_any_pace_goes(api: Api, telegram: TelegramStandIn) -> None:
    await chats(telegram, USER)
    for i in range(40):  # past both limits at once
        await api.ok("sendMessage", chat_id=USER, text=f"#{i}")
    assert telegram.rate_limits is None
    assert telegram.refusals == []
    assert len(telegram.visible(USER)) == 41


async def test_one_message_a_second_per_chat(
    limited_api: Api, limited: TelegramStandIn, clock: Clock
) -> None:
    await chats(limited, USER, USER + 1)
    await limited_api.ok("sendMessage", chat_id=USER, text="first")
    assert await refused(limited_api, chat_id=USER, text="too soon") == 1
    # Another chat is not held up by this one.
    await limited_api.ok("sendMessage", chat_id=USER + 1, text="elsewhere")
    clock.now += 0.999
    assert await refused(limited_api, chat_id=USER, text="still too soon") == 1
    clock.now = START + 1.0  # the window is (now - 1 s, now]: the first send has just left
    await limited_api.ok("sendMessage", chat_id=USER, text="second")

    # A refused send sends nothing, and is not counted against the chat.
    assert [m.text for m in limited.visible(USER)] == ["/start", "first", "second"]
    assert [(r.limit, r.chat_id, r.at - START) for r in limited.refusals] == [
        ("chat", USER, 0.0),
        ("chat", USER, pytest.approx(0.999)),
    ]
    assert [s.chat_id for s in limited.sends] == [USER, USER + 1, USER]


async def test_thirty_messages_a_second_per_bot(
    limited_api: Api, limited: TelegramStandIn, clock: Clock
) -> None:
    users = [1000 + i for i in range(32)]
    await chats(limited, *users)
    for i, user in enumerate(users[:30]):  # 30 chats within 0.29 s: all go
        clock.now = START + i * 0.01
        await limited_api.ok("sendMessage", chat_id=user, text="hello")
    clock.now = START + 0.5
    # The first of the 30 leaves the window at START + 1.0: half a second, rounded up.
    assert await refused(limited_api, chat_id=users[30], text="31st") == 1
    assert limited.refusals[-1].limit == "bot"
    clock.now = START + 1.0
    await limited_api.ok("sendMessage", chat_id=users[30], text="31st, later")
    assert await refused(limited_api, chat_id=users[31], text="32nd") == 1
    clock.now = START + 1.01
    await limited_api.ok("sendMessage", chat_id=users[31], text="32nd, later")
    assert max_in_window([s.at for s in limited.sends]) == 30


async def test_retry_after_counts_whole_seconds_until_there_is_room(
    limited: TelegramStandIn, limited_api: Api, clock: Clock
) -> None:
    limited.set_rate_limits(RateLimits(per_bot=2, per_chat=2, window=10))
    await chats(limited, USER)
    await limited_api.ok("sendMessage", chat_id=USER, text="one")
    clock.now += 2.5
    await limited_api.ok("sendMessage", chat_id=USER, text="two")
    clock.now += 1
    # Room again when "one" leaves the window, at START + 10: 6.5 s from now, so 7.
    assert await refused(limited_api, chat_id=USER, text="three") == 7


async def test_only_new_messages_count(
    limited_api: Api, limited: TelegramStandIn, clock: Clock
) -> None:
    await chats(limited, USER)
    sent = await limited_api.ok("sendMessage", chat_id=USER, text="one")
    # Photos and documents are messages too.
    await refused(limited_api, "sendPhoto", chat_id=USER, photo="https://example.org/a.png")
    await refused(limited_api, "sendDocument", chat_id=USER, document="https://example.org/a.pdf")
    # Edits, chat actions and deletions are not new messages: never refused.
    for i in range(40):
        await limited_api.ok(
            "editMessageText", chat_id=USER, message_id=sent["message_id"], text=f"edit {i}"
        )
        await limited_api.ok("sendChatAction", chat_id=USER, action="typing")
    await limited_api.ok("deleteMessage", chat_id=USER, message_id=sent["message_id"])
    assert len(limited.refusals) == 2
    assert [s.method for s in limited.sends] == ["sendMessage"]


async def test_aiogram_sees_retry_after(limited: TelegramStandIn) -> None:
    await chats(limited, USER)
    bot = Bot(limited.token, session=AiohttpSession(api=TelegramAPIServer.from_base(limited.url)))
    try:
        await bot.send_message(USER, "one")
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(USER, "two")
        assert caught.value.retry_after == 1
    finally:
        await bot.session.close()


async def test_switched_over_http(api: Api, telegram: TelegramStandIn) -> None:
    await chats(telegram, USER)
    status, body = await api.sandbox("POST", "rate-limits", json={"per_chat": 2})
    assert status == 200
    assert body["result"]["limits"] == {"per_bot": 30, "per_chat": 2, "window": 1.0}
    assert telegram.rate_limits == RateLimits(per_chat=2)
    await api.ok("sendMessage", chat_id=USER, text="hello")
    _, listed = await api.sandbox("GET", "rate-limits")
    assert [s["chat_id"] for s in listed["result"]["sent"]] == [USER]
    assert listed["result"]["refused"] == []
    status, _ = await api.sandbox("POST", "rate-limits", json={"per_bot": 0})
    assert status == 400
    status, _ = await api.sandbox("DELETE", "rate-limits")
    assert status == 200
    assert telegram.rate_limits is None


async def test_command_line_flag_switches_them_on() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "standin",
        "--port",
        "0",
        "--rate-limits",
        "--per-bot",
        "20",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        url = (await asyncio.wait_for(process.stdout.readline(), timeout=30)).decode().strip()
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{url}/sandbox/rate-limits") as response,
        ):
            limits = (await response.json())["result"]["limits"]
        assert limits == {"per_bot": 20, "per_chat": 1, "window": 1.0}
    finally:
        process.terminate()
        await process.communicate()


def test_max_in_window() -> None:
    assert max_in_window([]) == 0
    assert max_in_window([0.0, 0.5, 1.0, 1.2, 1.9, 3.0]) == 3  # (0.2, 1.2] and (0.9, 1.9]
    assert max_in_window([0.0, 1.0, 2.0]) == 1  # half-open: one second apart never share one
