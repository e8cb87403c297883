"""Starting and stopping the stand-in, in-process and as `python -m standin`."""

from __future__ import annotations

import asyncio
import signal
import sys

import aiohttp
import pytest

from standin.telegram import TelegramStandIn

from .conftest import USER


async def test_standalone_process_prints_its_url_and_serves() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "standin",
        "--port",
        "0",
        "--username",
        "other_bot",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
        url = line.decode().strip()
        assert url.startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{url}/bot123456:sandbox/getMe") as response:
                assert (await response.json())["result"]["username"] == "other_bot"
            async with session.post(
                f"{url}/sandbox/users/{USER}/messages", json={"text": "hi"}
            ) as response:
                assert response.status == 200
            async with session.get(f"{url}/sandbox/chats") as response:
                [chat] = (await response.json())["result"]
                assert chat["id"] == USER
                assert chat["messages"] == 1
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0


async def test_loopback_only_and_restart() -> None:
    telegram = TelegramStandIn()
    with pytest.raises(ValueError, match="loopback"):
        await telegram.start("0.0.0.0")
    first = await telegram.start()
    await telegram.user_sends(USER, "kept")
    await telegram.stop()
    second = await telegram.start()
    try:
        assert first.startswith("http://127.0.0.1:")
        assert second.startswith("http://127.0.0.1:")
        assert [m.text for m in telegram.history(USER)] == ["kept"]
        with pytest.raises(TimeoutError):
            await telegram.wait_for(lambda t: t.history(USER)[1].text == "never", timeout=0.05)
    finally:
        await telegram.stop()
    with pytest.raises(ValueError, match="123456:secret"):
        TelegramStandIn("no-colon-token")
