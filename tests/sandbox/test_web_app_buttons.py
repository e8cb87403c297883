"""The stand-in takes the Mini App's buttons as Telegram does (web_app inline buttons only in
private chats, https pages, or http on this machine for the sandbox; the chat's menu button),
and the terminal chat opens them as a signed local link."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import aiohttp
import pytest
from aiogram.utils.web_app import safe_parse_webapp_init_data

from standin.telegram import TelegramStandIn
from standin.terminal import TerminalChat

USER = 7
LOCAL_PAGE = "http://127.0.0.1:8081/app/"


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramStandIn]:
    stand_in = TelegramStandIn()
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


async def call(telegram: TelegramStandIn, method: str, **fields: Any) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{telegram.url}/bot{telegram.token}/{method}", json=fields) as response,
    ):
        body: dict[str, Any] = await response.json()
    return body


def page_button(url: str, text: str = "📝 Open the form") -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": text, "web_app": {"url": url}}]]}


async def test_web_app_buttons_need_https_or_this_machine_and_a_private_chat(
    telegram: TelegramStandIn,
) -> None:
    await telegram.user_sends(USER, "hello")
    for url in ("https://survey.example.org/app/", LOCAL_PAGE, "http://localhost:8081/app/"):
        sent = await call(
            telegram, "sendMessage", chat_id=USER, text="Hi", reply_markup=page_button(url)
        )
        assert sent["ok"], sent
        assert sent["result"]["reply_markup"] == page_button(url)

    refused = await call(
        telegram,
        "sendMessage",
        chat_id=USER,
        text="Hi",
        reply_markup=page_button("http://example.org/"),
    )
    assert refused["error_code"] == 400
    assert "Only HTTPS links are allowed" in refused["description"]

    await telegram.user_sends(USER, "hello", chat_type="group", chat_id=-100)
    in_group = await call(
        telegram, "sendMessage", chat_id=-100, text="Hi", reply_markup=page_button(LOCAL_PAGE)
    )
    assert in_group["description"] == "Bad Request: BUTTON_TYPE_INVALID"


async def test_the_menu_button_is_kept_per_chat(telegram: TelegramStandIn) -> None:
    await telegram.user_sends(USER, "hello")
    assert (await call(telegram, "getChatMenuButton", chat_id=USER))["result"] == {
        "type": "default"
    }
    button = {"type": "web_app", "text": "Ouvrir le formulaire", "web_app": {"url": LOCAL_PAGE}}
    assert (await call(telegram, "setChatMenuButton", chat_id=USER, menu_button=button))["ok"]
    assert (await call(telegram, "getChatMenuButton", chat_id=USER))["result"] == button
    assert (await call(telegram, "getChatMenuButton"))["result"] == {"type": "commands"}

    bad = {"type": "web_app", "text": "Open", "web_app": {"url": "http://example.org/"}}
    refused = await call(telegram, "setChatMenuButton", chat_id=USER, menu_button=bad)
    assert refused["error_code"] == 400
    assert (await call(telegram, "getChatMenuButton", chat_id=USER))["result"] == button

    await call(telegram, "setChatMenuButton", chat_id=USER, menu_button={"type": "default"})
    assert (await call(telegram, "getChatMenuButton", chat_id=USER))["result"] == {
        "type": "default"
    }


def signed_user(out: str, token: str) -> dict[str, Any]:
    link = next(line.strip() for line in out.splitlines() if line.strip().startswith("http"))
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == LOCAL_PAGE
    init_data = unquote(parse_qs(parts.fragment)["tgWebAppData"][0])
    user = safe_parse_webapp_init_data(token, init_data).user
    assert user is not None
    return {"id": user.id, "first_name": user.first_name, "language_code": user.language_code}


async def test_the_terminal_shows_a_page_button_and_prints_its_signed_link(
    telegram: TelegramStandIn,
) -> None:
    out = io.StringIO()
    chat = TerminalChat(telegram, USER, language="fr", name="Eva", out=out, color=False)
    await chat.send("hello")
    keyboard = {
        "inline_keyboard": [
            [{"text": "Go", "callback_data": "g"}],
            [{"text": "📝 Ouvrir le formulaire", "web_app": {"url": LOCAL_PAGE}}],
        ]
    }
    await call(telegram, "sendMessage", chat_id=USER, text="Pick", reply_markup=keyboard)
    chat.show_new_events()
    assert "[2] 📝 Ouvrir le formulaire (opens the page)" in out.getvalue()

    out.seek(0)
    out.truncate()
    assert await chat.handle("2") is True
    assert signed_user(out.getvalue(), telegram.token) == {
        "id": USER,
        "first_name": "Eva",
        "language_code": "fr",
    }
    assert telegram.history(USER)[-1].text == "Pick"  # nothing was sent to the bot
    assert telegram.state.queries == {}  # nor pressed


async def test_the_terminal_opens_the_menu_button_with_0(telegram: TelegramStandIn) -> None:
    out = io.StringIO()
    chat = TerminalChat(telegram, USER, language="en", name="Eva", out=out, color=False)
    await chat.send("hello")
    button = {"type": "web_app", "text": "Open the form", "web_app": {"url": LOCAL_PAGE}}
    await call(telegram, "setChatMenuButton", chat_id=USER, menu_button=button)
    chat.show_new_events()
    assert "(menu button: [0] Open the form, opens the page)" in out.getvalue()
    out.seek(0)
    out.truncate()
    await chat.handle("0")
    assert signed_user(out.getvalue(), telegram.token)["id"] == USER
