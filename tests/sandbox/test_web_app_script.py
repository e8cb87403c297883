"""The stand-in serves its own telegram-web-app.js, which the pages load in the sandbox and the
tests instead of Telegram's."""

from __future__ import annotations

import aiohttp

from standin.telegram import TelegramStandIn


async def test_the_stand_in_serves_a_telegram_web_app_script() -> None:
    stand_in = TelegramStandIn("123456:sandbox")
    await stand_in.start("127.0.0.1", 0)
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{stand_in.url}/js/telegram-web-app.js") as reply,
        ):
            body = await reply.text()
            assert reply.status == 200
            assert reply.content_type == "text/javascript"
    finally:
        await stand_in.stop()
    for used_by_the_pages in ("initData", "themeParams", "showConfirm", "onEvent", "ready"):
        assert used_by_the_pages in body
