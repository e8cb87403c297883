"""The Mini App served by the real process (`python -m bot run`), beside the poller on its
own port, or beside the webhook on the webhook's: the page with Telegram's script put in,
the security headers, and the API answering launch data signed with the bot's token."""

from __future__ import annotations

import asyncio
import socket

import aiohttp

from standin.telegram import TelegramStandIn
from standin.web_app import signed_init_data
from survey.service import SurveyService
from tests.support import verify as verify_in_service
from webapp.auth import INIT_DATA_HEADER

from .conftest import STEP_TIMEOUT, TOKEN, BotProcess, Delegate, Launch, free_port

ANNA = 701


async def test_the_page_and_the_api_are_served_by_the_bot(
    launch: Launch, telegram: TelegramStandIn, service: SurveyService
) -> None:
    await verify_in_service(service, ANNA, office="EP", name="Anna")
    await service.answering.record_answer(ANNA, 1, "high")  # as if in the chat
    script = f"{telegram.url}/js/telegram-web-app.js"
    if launch.mode == "polling":
        port = free_port()
        launch.bot.env.update(WEBAPP_LISTEN_PORT=str(port))
    else:
        port = launch.port  # beside the webhook, on its server
    page_url = f"http://127.0.0.1:{port}/app/"
    launch.bot.env.update(WEBAPP_URL=page_url, WEBAPP_SCRIPT_URL=script)
    await launch.start()
    if launch.mode == "polling":
        await launch.bot.wait_for_log("Mini App served on")

    init_data = signed_init_data(TOKEN, ANNA, first_name="Anna", language_code="fr")
    async with aiohttp.ClientSession() as http:
        async with http.get(page_url) as response:
            html = await response.text()
            assert response.status == 200
            assert f'<script src="{script}"></script>' in html
            csp = response.headers["Content-Security-Policy"]
            assert "script-src 'self' http://127.0.0.1:" in csp
            assert "'unsafe-inline'" not in csp
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        async with http.get(page_url + "api/me", headers={INIT_DATA_HEADER: init_data}) as me:
            body = await me.json()
            assert me.status == 200
            assert me.headers["Cache-Control"] == "no-store"
        async with http.get(page_url + "api/me") as unsigned:
            assert unsigned.status == 401
    assert body["office"]["code"] == "EP"
    assert body["lang"] == "fr"
    assert body["answers"]["1"]["level"] == "high"
    # The chat goes on beside the page, by the poller or through the same server's webhook.
    anna = Delegate(telegram, ANNA, "fr")
    await anna.send("/help")
    await anna.expect(r"\S")

    assert launch.bot.stop() == 0  # SIGTERM: the page's server stops with the bot
    assert "Traceback" not in launch.bot.log()


async def test_a_taken_port_is_one_line_not_a_traceback(
    bot_process: BotProcess, telegram: TelegramStandIn
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        bot_process.start(WEBAPP_URL=f"http://127.0.0.1:{port}/app/", WEBAPP_LISTEN_PORT=str(port))
        assert bot_process.process is not None
        code = await asyncio.to_thread(bot_process.process.wait, STEP_TIMEOUT)
    assert code != 0
    log = bot_process.log()
    assert (
        f"cannot serve the Mini App on WEBAPP_LISTEN_HOST:WEBAPP_LISTEN_PORT 127.0.0.1:{port}"
        in log
    )
    assert "Traceback" not in log
