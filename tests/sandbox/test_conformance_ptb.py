"""python-telegram-bot, an independent client, against the stand-in: it shows the stand-in
speaks the Bot API itself, not only what aiogram happens to send.

PTB appends the token to `base_url` (`.../bot` + token), posts form fields (objects
JSON-encoded) or multipart for files, and parses results into its own types.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
import telegram as ptb
from telegram.error import BadRequest, RetryAfter
from telegram.request import HTTPXRequest

from standin.telegram import TelegramStandIn

from .conftest import USER


def _request() -> HTTPXRequest:
    # No proxy from the environment: everything stays on 127.0.0.1.
    return HTTPXRequest(httpx_kwargs={"trust_env": False})


@pytest.fixture
async def ptb_bot(telegram: TelegramStandIn) -> AsyncIterator[ptb.Bot]:
    bot = ptb.Bot(
        telegram.token,
        base_url=f"{telegram.url}/bot",
        base_file_url=f"{telegram.url}/file/bot",
        request=_request(),
        get_updates_request=_request(),
    )
    async with bot:
        yield bot


async def test_get_me(ptb_bot: ptb.Bot) -> None:
    me = await ptb_bot.get_me()
    assert isinstance(me, ptb.User)
    assert (me.id, me.is_bot, me.username) == (123456, True, "survey_sandbox_bot")
    assert me.can_join_groups is True
    assert ptb_bot.base_url.endswith("/bot123456:sandbox")


async def test_messages_keyboards_and_callback_queries(
    ptb_bot: ptb.Bot, telegram: TelegramStandIn
) -> None:
    await telegram.user_sends(USER, "/start", first_name="Ana", language_code="fr")
    [update] = await ptb_bot.get_updates(timeout=1)
    assert isinstance(update.message, ptb.Message)
    assert update.message.text == "/start"
    assert update.message.from_user is not None
    assert (update.message.from_user.first_name, update.message.from_user.language_code) == (
        "Ana",
        "fr",
    )
    assert update.message.entities[0].type == ptb.constants.MessageEntityType.BOT_COMMAND

    markup = ptb.InlineKeyboardMarkup(
        [
            [
                ptb.InlineKeyboardButton("High", callback_data="level:high"),
                ptb.InlineKeyboardButton("Low", callback_data="level:low"),
            ]
        ]
    )
    sent = await ptb_bot.send_message(
        USER, "<b>Recommendation 1</b>", parse_mode="HTML", reply_markup=markup
    )
    assert sent.text == "Recommendation 1"
    assert sent.entities[0].type == ptb.constants.MessageEntityType.BOLD
    assert sent.reply_markup == markup
    assert telegram.history(USER)[-1].buttons == [[("High", "level:high"), ("Low", "level:low")]]

    # Long poll: confirm the first update, wait, and receive the click as it happens.
    poll = asyncio.create_task(ptb_bot.get_updates(offset=update.update_id + 1, timeout=20))
    await telegram.wait_for(lambda t: len(t.calls_of("getUpdates")) == 2)
    query_id = await telegram.user_clicks(USER, sent.message_id, text="Low")
    [click] = await poll
    query = click.callback_query
    assert isinstance(query, ptb.CallbackQuery)
    assert (query.id, query.data) == (query_id, "level:low")
    assert query.from_user.id == USER
    assert isinstance(query.message, ptb.Message)
    assert query.message.message_id == sent.message_id

    assert await ptb_bot.answer_callback_query(query_id, text="Saved: Low", show_alert=True)
    [alert] = telegram.alerts(USER)
    assert (alert.text, alert.show_alert) == ("Saved: Low", True)
    with pytest.raises(BadRequest, match="Query is too old"):
        await ptb_bot.answer_callback_query(query_id)

    edited = await ptb_bot.edit_message_text(
        "Recommendation 1: <i>Low</i>",
        chat_id=USER,
        message_id=sent.message_id,
        parse_mode="HTML",
    )
    assert isinstance(edited, ptb.Message)
    assert edited.text == "Recommendation 1: Low"
    assert edited.edit_date is not None
    assert edited.reply_markup is None  # not sent again, so removed
    with pytest.raises(BadRequest, match="Message is not modified"):
        await ptb_bot.edit_message_text(
            "Recommendation 1: <i>Low</i>",
            chat_id=USER,
            message_id=sent.message_id,
            parse_mode="HTML",
        )
    assert telegram.history(USER)[-1].revisions == [
        "Recommendation 1",
        "Recommendation 1: Low",
    ]
    # The confirmed click is gone.
    assert await ptb_bot.get_updates(offset=click.update_id + 1) == ()


async def test_send_document_and_download(ptb_bot: ptb.Bot, telegram: TelegramStandIn) -> None:
    await telegram.user_sends(USER, "/export")
    payload = b"office,score\nEP,2.5\n"
    sent = await ptb_bot.send_document(
        USER, payload, filename="results.csv", caption="<b>Results</b>", parse_mode="HTML"
    )
    assert isinstance(sent.document, ptb.Document)
    assert sent.document.file_name == "results.csv"
    assert sent.document.file_size == len(payload)
    assert sent.caption == "Results"
    stored = telegram.history(USER)[-1]
    assert stored.kind == "document"
    assert stored.file is not None
    assert stored.file.data == payload

    file = await ptb_bot.get_file(sent.document.file_id)
    assert file.file_path is not None
    assert file.file_path.startswith(telegram.url)
    assert bytes(await file.download_as_bytearray()) == payload


async def test_errors(
    ptb_bot: ptb.Bot, telegram: TelegramStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PTB 22 warns that RetryAfter.retry_after becomes a timedelta; opt in to that now.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    await telegram.user_sends(USER, "hi")
    with pytest.raises(BadRequest, match="Message is too long"):
        await ptb_bot.send_message(USER, "x" * 4097)
    with pytest.raises(BadRequest, match="Chat not found"):
        await ptb_bot.send_message(USER + 1, "hello")
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await ptb_bot.send_message(
            USER,
            "x",
            reply_markup=ptb.InlineKeyboardMarkup(
                [[ptb.InlineKeyboardButton("a", callback_data="é" * 33)]]
            ),
        )
    telegram.faults.add(method="sendMessage", status=429, retry_after=5)
    with pytest.raises(RetryAfter) as caught:
        await ptb_bot.send_message(USER, "hello")
    assert caught.value.retry_after == dt.timedelta(seconds=5)
    assert [m.text for m in telegram.history(USER)] == ["hi"]
