"""The sandbox's terminal chat keeps working when the bot changes a message under it."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from standin.telegram import TelegramStandIn
from standin.terminal import StdinLines, TerminalChat

USER = 7


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramStandIn]:
    stand_in = TelegramStandIn()
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


async def bot_call(telegram: TelegramStandIn, method: str, **fields: object) -> dict[str, object]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{telegram.url}/bot{telegram.token}/{method}", json=fields) as response,
    ):
        body = await response.json()
    assert body["ok"], body
    result = body["result"]
    assert isinstance(result, dict)
    return result


async def test_a_number_for_buttons_that_are_gone_is_answered_not_fatal(
    telegram: TelegramStandIn,
) -> None:
    out = io.StringIO()
    chat = TerminalChat(telegram, USER, language="en", name="Eva", out=out, color=False)
    await chat.send("hello")
    keyboard = {"inline_keyboard": [[{"text": "Go", "callback_data": "g"}]]}
    sent = await bot_call(telegram, "sendMessage", chat_id=USER, text="Pick", reply_markup=keyboard)
    chat.show_new_events()
    assert "[1] Go" in out.getvalue()

    # The bot removes the buttons (as aiogram-dialog does to an older window).
    await bot_call(telegram, "editMessageReplyMarkup", chat_id=USER, message_id=sent["message_id"])
    chat.show_new_events()
    assert await chat.handle("1") is True  # still running
    # With no buttons left, "1" is just text sent to the bot, not a press on a vanished button.
    assert telegram.history(USER)[-1].text == "1"
    assert telegram.answers(USER) == []


async def test_a_press_racing_an_edit_is_explained(telegram: TelegramStandIn) -> None:
    out = io.StringIO()
    chat = TerminalChat(telegram, USER, language="en", name="Eva", out=out, color=False)
    await chat.send("hello")
    keyboard = {"inline_keyboard": [[{"text": "Go", "callback_data": "g"}]]}
    sent = await bot_call(telegram, "sendMessage", chat_id=USER, text="Pick", reply_markup=keyboard)
    chat.show_new_events()
    # The edit lands but the terminal has not shown it yet when the person types "1".
    await bot_call(telegram, "editMessageReplyMarkup", chat_id=USER, message_id=sent["message_id"])
    assert await chat.handle("1") is True
    assert "that button is no longer there" in out.getvalue()


async def upload(
    telegram: TelegramStandIn, method: str, field: str, name: str, data: bytes
) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(USER))
    form.add_field(field, data, filename=name)
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{telegram.url}/bot{telegram.token}/{method}", data=form) as response,
    ):
        assert (await response.json())["ok"]


async def test_photos_and_documents_are_saved_where_the_person_can_open_them(
    telegram: TelegramStandIn, tmp_path: Path
) -> None:
    out = io.StringIO()
    files = tmp_path / "files"
    chat = TerminalChat(
        telegram, USER, language="en", name="Eva", out=out, color=False, files_dir=files
    )
    await chat.send("/results")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (400).to_bytes(4) + (800).to_bytes(4)
    await upload(telegram, "sendPhoto", "photo", "results.png", png)
    await upload(telegram, "sendDocument", "document", "answers.csv", b"\xef\xbb\xbfa,b\n")
    chat.show_new_events()

    saved = sorted(files.iterdir())
    assert [path.name.split("-", 1)[1] for path in saved] == ["results.png", "answers.csv"]
    assert saved[0].read_bytes() == png
    assert saved[1].read_bytes() == b"\xef\xbb\xbfa,b\n"
    for path in saved:
        assert f"saved: {path}" in out.getvalue()


async def test_a_script_file_on_stdin_is_read_like_a_pipe(tmp_path: Path) -> None:
    # `python -m bot sandbox < script.txt`: the event loop cannot watch a regular file.
    script = tmp_path / "script.txt"
    script.write_text("/help\n1\n/quit", encoding="utf-8")
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    with script.open("rb") as source:
        stdin = StdinLines(source.fileno(), lines)
        got = [await lines.get() for _ in range(4)]
        stdin.close()
    assert got == ["/help", "1", "/quit", None]
