"""The bot's Bot API session sends exactly what aiogram's own would (bot/api_session.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.enums import ParseMode
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    SendDocument,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    MessageEntity,
    ReplyParameters,
)

from bot.api_session import ApiSession


def bot() -> Bot:
    return Bot("123:TEST", default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def form_of(session: AiohttpSession, method: TelegramMethod[Any]) -> list[tuple[str, Any]]:
    form = session.build_form_data(bot(), method)
    return [(options["name"], value) for options, _headers, value in form._fields]


KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [
            InlineKeyboardButton(text="High", callback_data="a1\x1dlv:7:high"),
            InlineKeyboardButton(text="✅ Medium", callback_data="a1\x1dlv:7:medium"),
        ],
        [InlineKeyboardButton(text="Site", url="https://www.wipo.int/cws/en/")],
    ]
)

METHODS: list[TelegramMethod[Any]] = [
    EditMessageText(
        chat_id=5, message_id=9, text="<b>Recommendation 7</b> & co", reply_markup=KEYBOARD
    ),
    AnswerCallbackQuery(callback_query_id="q1", text="Saved", show_alert=True, cache_time=0),
    SendMessage(
        chat_id=-100,
        text="Reminder",
        entities=[MessageEntity(type="bold", offset=0, length=3)],
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        reply_parameters=ReplyParameters(message_id=3, allow_sending_without_reply=False),
        disable_notification=False,
    ),
]


@pytest.mark.parametrize("method", METHODS, ids=lambda m: type(m).__name__)
def test_every_field_is_sent_as_aiogram_sends_it(method: TelegramMethod[Any]) -> None:
    assert form_of(ApiSession(), method) == form_of(AiohttpSession(), method)


def test_times_and_nested_values_are_prepared_as_before() -> None:
    ours, theirs = ApiSession(), AiohttpSession()
    when = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
    value = {"at": when, "none": None, "zero": 0, "empty": "", "flag": False}
    nested = {"list": [1, "a", None, {"b": None, "c": [when]}], "dict": value}
    for item in (value, nested, [value, None, 3], "text", 7, None):
        for dumps in (True, False):
            assert ours.prepare_value(item, bot(), {}, _dumps_json=dumps) == theirs.prepare_value(
                item, bot(), {}, _dumps_json=dumps
            )


def test_a_delay_is_sent_as_the_moment_it_ends_as_before() -> None:
    """A timedelta is sent as now plus the delay: each session reads "now" itself, a moment
    apart, so the two may straddle a second (compared within it, not for equality)."""
    ours, theirs = ApiSession(), AiohttpSession()
    delay = timedelta(minutes=5)
    for item, found in (
        (delay, lambda sent: sent),
        ({"in": delay}, lambda sent: sent["in"]),
    ):
        mine = ours.prepare_value(item, bot(), {}, _dumps_json=False)
        aiograms = theirs.prepare_value(item, bot(), {}, _dumps_json=False)
        assert type(mine) is type(aiograms)
        assert abs(int(found(mine)) - int(found(aiograms))) <= 1
        expected = int((datetime.now(UTC) + delay).timestamp())
        assert abs(int(found(mine)) - expected) <= 1


def test_a_file_is_attached_as_before() -> None:
    document = BufferedInputFile(b"answers", filename="answers.xlsx")
    files: dict[str, Any] = {}
    form = ApiSession().build_form_data(bot(), SendDocument(chat_id=5, document=document))
    sent = {options["name"]: value for options, _headers, value in form._fields}
    key = sent["document"].removeprefix("attach://")
    assert sent["document"] == f"attach://{key}"
    assert key in sent  # the file itself, under the name the field points to
    assert ApiSession().prepare_value([document], bot(), files, _dumps_json=False)[0] == (
        f"attach://{next(iter(files))}"
    )
    assert list(files.values()) == [document]
