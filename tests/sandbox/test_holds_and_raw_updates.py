"""The stand-in's test levers for delivery guarantees: a raw update queued as given, a call
held open (per chat) as by a Telegram that does not answer, and presses that expire."""

from __future__ import annotations

import asyncio

import aiohttp

from standin import limits
from standin.telegram import TelegramStandIn

from .conftest import USER, Api

UNREADABLE = {"update_id": 1, "poll": {"id": "9", "question": "Which first?"}}


async def test_a_raw_update_is_queued_as_given(api: Api, telegram: TelegramStandIn) -> None:
    # allowed_updates leaves polls out; a raw update comes all the same, fields untouched.
    await api.ok("getUpdates", allowed_updates=["message"], timeout=0)
    await telegram.user_sends(USER, "before")
    status, body = await api.sandbox("POST", "updates", json=UNREADABLE)
    assert status == 200
    raw_id = body["result"]["update_id"]
    await telegram.user_sends(USER, "after")

    updates = await api.ok("getUpdates", timeout=0)
    assert [u["update_id"] for u in updates] == [raw_id - 1, raw_id, raw_id + 1]
    assert updates[1] == {"update_id": raw_id, "poll": UNREADABLE["poll"]}  # its id replaced
    async with api.session.post(f"{api.base}/sandbox/updates", json=["not", "an", "object"]) as r:
        assert r.status == 400


async def test_a_held_call_waits_until_released_then_runs(
    api: Api, telegram: TelegramStandIn
) -> None:
    await telegram.user_sends(USER, "hi")
    await telegram.user_sends(USER + 1, "hi")
    status, _ = await api.sandbox(
        "POST", "faults", json={"method": "sendMessage", "chat_id": USER, "hold": True}
    )
    assert status == 200
    held = asyncio.create_task(api.json("sendMessage", chat_id=USER, text="held"))
    await telegram.wait_for(lambda t: t.holding == 1)
    # Other chats are not held.
    await api.ok("sendMessage", chat_id=USER + 1, text="free")
    assert [m.text for m in telegram.visible(USER)] == ["hi"]
    _, listed = await api.sandbox("GET", "faults")
    assert listed["result"][0]["holding"] == 1

    await api.sandbox("DELETE", "faults")
    status, body = await held
    assert (status, body["result"]["text"]) == (200, "held")
    assert [m.text for m in telegram.visible(USER)] == ["hi", "held"]
    assert telegram.holding == 0


async def test_a_held_call_whose_caller_hangs_up_never_happens(
    telegram: TelegramStandIn,
) -> None:
    await telegram.user_sends(USER, "hi")
    telegram.faults.add(method="sendMessage", hold=True)

    async def send() -> None:
        async with aiohttp.ClientSession() as session:
            await session.post(
                f"{telegram.url}/bot{telegram.token}/sendMessage",
                json={"chat_id": USER, "text": "never"},
            )

    caller = asyncio.create_task(send())
    await telegram.wait_for(lambda t: t.holding == 1)
    caller.cancel()  # the bot is killed: its connection closes
    await telegram.wait_for(lambda t: t.holding == 0)
    await telegram.release_held()
    assert [m.text for m in telegram.visible(USER)] == ["hi"]


async def test_a_press_expires_when_the_stand_in_says_so() -> None:
    now = [1_000.0]
    async with TelegramStandIn(clock=lambda: now[0], callback_query_lifetime=15) as telegram:
        await telegram.user_sends(USER, "hi")
        message = await _message_with_button(telegram)
        fresh = await telegram.user_clicks(USER, message, text="Go")
        stale = await telegram.user_clicks(USER, message, text="Go")
        async with aiohttp.ClientSession() as session:
            api = Api(session, telegram.url, telegram.token)
            assert await api.ok("answerCallbackQuery", callback_query_id=fresh) is True
            now[0] += 16
            status, body = await api.json("answerCallbackQuery", callback_query_id=stale)
    assert (status, body["description"]) == (400, limits.QUERY_TOO_OLD)


async def _message_with_button(telegram: TelegramStandIn) -> int:
    async with aiohttp.ClientSession() as session:
        api = Api(session, telegram.url, telegram.token)
        sent = await api.ok(
            "sendMessage",
            chat_id=USER,
            text="Choose",
            reply_markup={"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]},
        )
    return int(sent["message_id"])
