"""The stand-in speaks the Bot API: limits and errors with Telegram's own descriptions, over
plain HTTP (form fields and JSON bodies) and through aiogram's Bot; long polling; webhooks."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from standin import limits
from standin.telegram import SandboxError, TelegramStandIn

from .conftest import USER, Api, WebhookReceiver


def keyboard(*rows: list[tuple[str, str]]) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": t, "callback_data": d} for t, d in row] for row in rows]}


async def started_chat(telegram: TelegramStandIn, user: int = USER) -> None:
    await telegram.user_sends(user, "/start")


# -- the endpoint ----------------------------------------------------------------------------


async def test_get_me_token_and_unknown_method(api: Api, telegram: TelegramStandIn) -> None:
    me = await api.ok("getMe")
    assert me["id"] == 123456
    assert me["is_bot"] is True
    assert me["username"] == "survey_sandbox_bot"
    assert me["can_join_groups"] is True
    # Method names are case-insensitive, as in Telegram; GET works too.
    assert (await api.ok("getme"))["id"] == 123456
    async with api.session.get(f"{api.base}/bot{api.token}/getMe") as response:
        assert response.status == 200

    for token in ("123456:wrong", "nonsense"):
        async with api.session.post(f"{api.base}/bot{token}/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }

    status, body = await api.json("sendTelepathy", chat_id=USER)
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    assert telegram.calls[-1].method == "sendTelepathy"


async def test_form_and_json_bodies_are_the_same_call(api: Api, telegram: TelegramStandIn) -> None:
    await started_chat(telegram)
    markup = keyboard([("Go", "go")])
    status, by_form = await api.form(
        "sendMessage",
        chat_id=USER,
        text="<b>hi</b>",
        parse_mode="HTML",
        reply_markup=json.dumps(markup),
    )
    assert status == 200
    by_json = await api.ok(
        "sendMessage", chat_id=USER, text="<b>hi</b>", parse_mode="HTML", reply_markup=markup
    )
    first = by_form["result"]
    assert first["text"] == by_json["text"] == "hi"
    assert first["entities"] == by_json["entities"] == [{"type": "bold", "offset": 0, "length": 2}]
    assert first["reply_markup"] == by_json["reply_markup"] == markup
    assert first["chat"] == {"id": USER, "type": "private", "first_name": f"User {USER}"}
    assert first["from"]["id"] == 123456
    assert by_json["message_id"] == first["message_id"] + 1
    # The log keeps decoded parameters, however they came.
    form_call, json_call = telegram.calls_of("sendMessage")
    assert form_call["chat_id"] == json_call["chat_id"] == USER
    assert form_call["reply_markup"] == json_call["reply_markup"] == markup

    status, body = await api.form("sendMessage", chat_id=USER, text="x", reply_markup="{oops")
    assert status == 400
    assert body["description"] == "Bad Request: can't parse reply keyboard markup JSON object"


# -- limits ----------------------------------------------------------------------------------


async def test_text_length_counts_the_text_after_html(api: Api, telegram: TelegramStandIn) -> None:
    await started_chat(telegram)
    await api.ok("sendMessage", chat_id=USER, text="a" * 4096)
    # Tags and entities do not count: 4096 visible characters pass.
    await api.ok(
        "sendMessage", chat_id=USER, text="<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML"
    )
    for text, mode in (("a" * 4097, None), ("<i>" + "&lt;" * 4097 + "</i>", "HTML")):
        status, body = await api.json("sendMessage", chat_id=USER, text=text, parse_mode=mode)
        assert (status, body["description"]) == (400, "Bad Request: message is too long")
    # Without parse_mode the tags are text, and count.
    status, body = await api.json("sendMessage", chat_id=USER, text="<b>" + "a" * 4094)
    assert body["description"] == "Bad Request: message is too long"

    for empty in ("", "   \n ", "<b> </b>"):
        status, body = await api.json("sendMessage", chat_id=USER, text=empty, parse_mode="HTML")
        assert (status, body["description"]) == (400, "Bad Request: message text is empty")
    status, body = await api.json("sendMessage", chat_id=USER)
    assert body["description"] == "Bad Request: message text is empty"
    status, body = await api.json("sendMessage", text="hello")
    assert (status, body["description"]) == (400, "Bad Request: chat_id is empty")
    status, body = await api.json("sendMessage", chat_id=777, text="hello")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
    # Nothing refused reached the chat.
    assert [m.from_bot for m in telegram.history(USER)] == [False, True, True]


async def test_caption_limit(api: Api, telegram: TelegramStandIn) -> None:
    await started_chat(telegram)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(USER))
    form.add_field("caption", "c" * 1025)
    form.add_field("document", b"data", filename="a.txt")
    async with api.session.post(f"{api.base}/bot{api.token}/sendDocument", data=form) as r:
        assert r.status == 400
        assert (await r.json())["description"] == "Bad Request: message caption is too long"
    status, body = await api.json(
        "sendPhoto", chat_id=USER, photo="https://x.test/p.png", caption="c" * 1024
    )
    assert status == 200
    assert body["result"]["caption"] == "c" * 1024


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("é <br/>", 'Unsupported start tag "br" at byte offset 3'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        (
            "<b x>y</b>",
            'Expected equal sign in declaration of an attribute of the tag "b" at byte offset 0',
        ),
        ("<a href='x'", "Unclosed start tag at byte offset 0"),
        ('<span class="big">x</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
async def test_malformed_html(api: Api, telegram: TelegramStandIn, html: str, error: str) -> None:
    await started_chat(telegram)
    status, body = await api.json("sendMessage", chat_id=USER, text=html, parse_mode="HTML")
    assert status == 400
    assert body["description"] == f"Bad Request: can't parse entities: {error}"


async def test_supported_html(api: Api, telegram: TelegramStandIn) -> None:
    await started_chat(telegram)
    html = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        '<strike>k</strike><del>d</del><code>c</code><pre><code class="language-py">p'
        '</code></pre><a href="https://example.org/?a=1&amp;b=2">a</a><tg-spoiler>t</tg-spoiler>'
        '<span class="tg-spoiler">h</span><blockquote>q</blockquote> &lt;&gt;&quot;&#233;&#x41;'
        " &nbsp; 1 < 2"
    )
    status, _body = await api.json(
        "sendMessage", chat_id=USER, text=f"  {html}  ", parse_mode="html"
    )
    assert status == 400  # a lone "<" is a tag start, as in Telegram
    html = html.replace(" < 2", " &lt; 2")
    message = await api.ok("sendMessage", chat_id=USER, text=f"  {html}  ", parse_mode="html")
    assert message["text"] == 'bsieunskdcpathq <>"éA &nbsp; 1 < 2'
    kinds = [(e["type"], e["offset"]) for e in message["entities"]]
    assert kinds == [
        ("bold", 0),
        ("bold", 1),
        ("italic", 2),
        ("italic", 3),
        ("underline", 4),
        ("underline", 5),
        ("strikethrough", 6),
        ("strikethrough", 7),
        ("strikethrough", 8),
        ("code", 9),
        ("pre", 10),
        ("text_link", 11),
        ("spoiler", 12),
        ("spoiler", 13),
        ("blockquote", 14),
    ]
    pre, link = message["entities"][10], message["entities"][11]
    assert pre["language"] == "py"
    assert link["url"] == "https://example.org/?a=1&b=2"


async def test_callback_data_limit(api: Api, telegram: TelegramStandIn) -> None:
    await started_chat(telegram)
    await api.ok("sendMessage", chat_id=USER, text="ok", reply_markup=keyboard([("a", "x" * 64)]))
    for data in ("x" * 65, "é" * 33, ""):  # bytes, not characters: 33 x "é" is 66 bytes
        status, body = await api.json(
            "sendMessage", chat_id=USER, text="no", reply_markup=keyboard([("a", data)])
        )
        assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")
    status, body = await api.json(
        "sendMessage", chat_id=USER, text="no", reply_markup={"inline_keyboard": [[{"text": "a"}]]}
    )
    assert body["description"] == (
        "Bad Request: can't parse inline keyboard button: "
        "Text buttons are unallowed in the inline keyboard"
    )


async def test_edits(api: Api, telegram: TelegramStandIn) -> None:
    await started_chat(telegram)
    markup = keyboard([("A", "a")])
    sent = await api.ok(
        "sendMessage", chat_id=USER, text="<b>one</b>", parse_mode="HTML", reply_markup=markup
    )
    mid = sent["message_id"]
    same = {"chat_id": USER, "message_id": mid, "reply_markup": markup}
    status, body = await api.json("editMessageText", text="<b>one</b>", parse_mode="HTML", **same)
    assert (status, body["description"]) == (400, limits.NOT_MODIFIED)
    assert body["description"].startswith("Bad Request: message is not modified: specified new")
    # The same words in another format are a change.
    edited = await api.ok("editMessageText", text="one", **same)
    assert edited["text"] == "one"
    assert "entities" not in edited
    assert "edit_date" in edited
    status, body = await api.json("editMessageReplyMarkup", **same)
    assert (status, body["description"]) == (400, limits.NOT_MODIFIED)
    changed = await api.ok(
        "editMessageReplyMarkup", chat_id=USER, message_id=mid, reply_markup=keyboard([("B", "b")])
    )
    assert changed["reply_markup"] == keyboard([("B", "b")])
    # editMessageText without reply_markup removes the keyboard, as Telegram does.
    plain = await api.ok("editMessageText", chat_id=USER, message_id=mid, text="two")
    assert "reply_markup" not in plain

    for method in ("editMessageText", "editMessageReplyMarkup"):
        status, body = await api.json(method, chat_id=USER, message_id=999, text="x")
        assert (status, body["description"]) == (400, "Bad Request: message to edit not found")
    status, body = await api.json("editMessageText", chat_id=USER, message_id=1, text="x")
    assert body["description"] == "Bad Request: message can't be edited"  # the user's message

    [_, message] = telegram.history(USER)
    assert message.revisions == ["one", "one", "one", "two"]
    assert message.text == "two"
    assert message.buttons == []
    assert message.edit_date is not None

    assert await api.ok("deleteMessage", chat_id=USER, message_id=mid) is True
    status, body = await api.json("deleteMessage", chat_id=USER, message_id=mid)
    assert (status, body["description"]) == (400, "Bad Request: message to delete not found")
    status, body = await api.json("editMessageText", chat_id=USER, message_id=mid, text="x")
    assert body["description"] == "Bad Request: message to edit not found"
    assert telegram.history(USER)[1].deleted


async def test_answer_callback_query(api: Api, telegram: TelegramStandIn) -> None:
    await started_chat(telegram)
    sent = await api.ok(
        "sendMessage", chat_id=USER, text="pick", reply_markup=keyboard([("Yes", "y"), ("No", "n")])
    )
    query_id = await telegram.user_clicks(USER, sent["message_id"], text="No")
    update = telegram.pending_updates[-1].as_json()["callback_query"]
    assert update["id"] == query_id
    assert update["data"] == "n"
    assert update["message"]["message_id"] == sent["message_id"]
    assert update["from"]["id"] == USER
    assert update["chat_instance"]

    status, body = await api.json("answerCallbackQuery", callback_query_id=query_id, text="x" * 201)
    assert (status, body["description"]) == (400, "Bad Request: MESSAGE_TOO_LONG")
    assert await api.ok(
        "answerCallbackQuery", callback_query_id=query_id, text="Saved", show_alert=True
    )
    for stale in (query_id, "12345"):
        status, body = await api.json("answerCallbackQuery", callback_query_id=stale)
        assert (status, body["description"]) == (400, limits.QUERY_TOO_OLD)
    [alert] = telegram.alerts(USER)
    assert (alert.text, alert.show_alert, alert.message_id) == ("Saved", True, sent["message_id"])
    answer = await telegram.wait_answered(query_id, timeout=1)
    assert answer is alert

    with pytest.raises(SandboxError, match="no button 'Maybe'"):
        await telegram.user_clicks(USER, sent["message_id"], text="Maybe")
    with pytest.raises(SandboxError, match="no message 99"):
        await telegram.user_clicks(USER, 99, text="Yes")
    with pytest.raises(SandboxError, match="no chat"):
        await telegram.user_clicks(5, 1, callback_data="y")
    # Any data may be sent, like a stale or forged button.
    assert await telegram.user_clicks(USER, sent["message_id"], callback_data="forged")


async def test_files_actions_and_commands(api: Api, telegram: TelegramStandIn) -> None:
    await started_chat(telegram)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(USER))
    form.add_field("document", "attach://file1")
    form.add_field("file1", b"a,b\n1,2\n", filename="results.csv", content_type="text/csv")
    async with api.session.post(f"{api.base}/bot{api.token}/sendDocument", data=form) as r:
        document = (await r.json())["result"]["document"]
    assert document["file_name"] == "results.csv"
    assert document["file_size"] == 8
    again = await api.ok("sendDocument", chat_id=USER, document=document["file_id"])
    assert again["document"]["file_id"] == document["file_id"]
    status, body = await api.json("sendDocument", chat_id=USER, document="no-such-file")
    assert body["description"] == "Bad Request: wrong file identifier/HTTP URL specified"
    info = await api.ok("getFile", file_id=document["file_id"])
    async with api.session.get(f"{api.base}/file/bot{api.token}/{info['file_path']}") as r:
        assert r.status == 200
        assert await r.read() == b"a,b\n1,2\n"
    async with api.session.get(f"{api.base}/file/bot{api.token}/documents/none") as r:
        assert r.status == 404

    assert await api.ok("sendChatAction", chat_id=USER, action="typing") is True
    status, body = await api.json("sendChatAction", chat_id=USER, action="dancing")
    assert status == 400
    assert telegram.chat_actions(USER) == ["typing"]

    english = [{"command": "start", "description": "Begin"}]
    french = [{"command": "start", "description": "Commencer"}]
    await api.ok("setMyCommands", commands=english)
    await api.ok("setMyCommands", commands=french, language_code="fr")
    private = {"type": "chat", "chat_id": USER}
    await api.ok("setMyCommands", commands=english[:0] + french, scope=private)
    assert await api.ok("getMyCommands") == english
    assert await api.ok("getMyCommands", language_code="fr") == french
    assert await api.ok("getMyCommands", language_code="es") == []
    assert await api.ok("getMyCommands", scope=private) == french
    assert telegram.commands(language_code="fr") == french
    await api.ok("deleteMyCommands", language_code="fr")
    assert await api.ok("getMyCommands", language_code="fr") == []
    status, body = await api.json(
        "setMyCommands", commands=[{"command": "Bad Cmd", "description": "x"}]
    )
    assert (status, body["description"]) == (400, "Bad Request: BOT_COMMAND_INVALID")
    assert await api.ok("close") is True
    assert await api.ok("logOut") is True


async def test_descriptions_per_language(api: Api, telegram: TelegramStandIn) -> None:
    await api.ok("setMyDescription", description="What this bot does")
    await api.ok("setMyDescription", description="Ce que fait ce bot", language_code="fr")
    await api.ok("setMyShortDescription", short_description="Short", language_code="fr")
    assert await api.ok("getMyDescription") == {"description": "What this bot does"}
    assert await api.ok("getMyDescription", language_code="fr") == {
        "description": "Ce que fait ce bot"
    }
    assert await api.ok("getMyDescription", language_code="es") == {"description": ""}
    assert await api.ok("getMyShortDescription", language_code="fr") == {
        "short_description": "Short"
    }
    # What a client shows: its language's own, else the default.
    assert telegram.description("es") == "What this bot does"
    assert telegram.description("fr") == "Ce que fait ce bot"
    await api.ok("setMyDescription", description="", language_code="fr")
    assert telegram.description("fr") == "What this bot does"
    status, body = await api.json("setMyDescription", description="x" * 513)
    assert (status, body["description"]) == (400, "Bad Request: description is too long")
    status, body = await api.json("setMyShortDescription", short_description="x" * 121)
    assert (status, body["description"]) == (400, "Bad Request: short description is too long")
    status, body = await api.json("setMyDescription", description="x", language_code="FRA")
    assert status == 400


# -- faults ----------------------------------------------------------------------------------


async def test_faults_apply_before_the_method(api: Api, telegram: TelegramStandIn) -> None:
    await started_chat(telegram)
    status, body = await api.sandbox(
        "POST", "faults", json={"method": "sendMessage", "status": 429, "retry_after": 3}
    )
    assert status == 200
    telegram.faults.add(method="*", status=503, times=1)
    status, body = await api.json("sendMessage", chat_id=USER, text="hi")
    assert (status, body) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3},
        },
    )
    status, body = await api.json("sendMessage", chat_id=USER, text="hi")
    assert (status, body) == (
        503,
        {"ok": False, "error_code": 503, "description": "Service Unavailable"},
    )
    assert len(telegram.history(USER)) == 1  # nothing was sent
    await api.ok("sendMessage", chat_id=USER, text="hi")
    assert len(telegram.history(USER)) == 2
    telegram.faults.add(method="getMe", status=500, times=None)
    for _ in range(3):
        status, _body = await api.json("getMe")
        assert status == 500
    status, listed = await api.sandbox("GET", "faults")
    assert [(f["method"], f["times"]) for f in listed["result"]] == [
        ("sendMessage", 0),
        ("*", 0),
        ("getMe", None),
    ]
    await api.sandbox("DELETE", "faults")
    await api.ok("getMe")


# -- updates ---------------------------------------------------------------------------------


async def test_get_updates_offset_limit_and_filter(api: Api, telegram: TelegramStandIn) -> None:
    for text in ("one", "two", "three"):
        await telegram.user_sends(USER, text)
    updates = await api.ok("getUpdates", limit=2)
    assert [u["message"]["text"] for u in updates] == ["one", "two"]
    first_id = updates[0]["update_id"]
    # Updates stay until an offset confirms them.
    assert len(await api.ok("getUpdates")) == 3
    updates = await api.ok("getUpdates", offset=first_id + 1)
    assert [u["message"]["text"] for u in updates] == ["two", "three"]
    assert [u["message"]["text"] for u in await api.ok("getUpdates", offset=-1)] == ["three"]
    assert await api.ok("getUpdates", offset=updates[-1]["update_id"] + 1) == []

    # allowed_updates applies to updates created after it, like Telegram's.
    await api.ok("getUpdates", allowed_updates=["callback_query"])
    await telegram.user_sends(USER, "ignored")
    assert await api.ok("getUpdates") == []
    status, _ = await api.form("getUpdates", allowed_updates="[]")
    assert status == 200
    await telegram.user_sends(USER, "seen")
    assert [u["message"]["text"] for u in await api.ok("getUpdates")] == ["seen"]


async def test_long_poll_and_conflict(api: Api, telegram: TelegramStandIn) -> None:
    first = asyncio.create_task(api.json("getUpdates", timeout=30))
    await telegram.wait_for(lambda t: len(t.calls_of("getUpdates")) == 1)
    second = asyncio.create_task(api.json("getUpdates", timeout=30))
    status, body = await first
    assert (status, body["description"]) == (409, limits.POLL_CONFLICT)
    await telegram.user_sends(USER, "while waiting")
    status, body = await second
    assert status == 200
    assert body["result"][0]["message"]["text"] == "while waiting"


async def test_webhook_delivery_retries_in_order(
    api: Api, telegram: TelegramStandIn, receiver: WebhookReceiver
) -> None:
    await telegram.user_sends(USER, "before")
    receiver.fail_next = 2
    result = await api.json("setWebhook", url=receiver.url, secret_token="s3cr3t_-")
    assert result[1] == {"ok": True, "result": True, "description": "Webhook was set"}
    await telegram.user_sends(USER, "after")
    await telegram.wait_for(lambda t: len(receiver.received) == 2)
    assert [u["message"]["text"] for u in receiver.received] == ["before", "after"]
    assert receiver.secrets == ["s3cr3t_-", "s3cr3t_-"]
    info = await api.ok("getWebhookInfo")
    assert info["url"] == receiver.url
    assert info["pending_update_count"] == 0
    assert (
        info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    )

    status, body = await api.json("getUpdates")
    assert (status, body["description"]) == (409, limits.WEBHOOK_CONFLICT)

    # A webhook may answer with a method call, which Telegram then runs.
    receiver.reply = {"method": "sendMessage", "chat_id": USER, "text": "from the reply"}
    await telegram.user_sends(USER, "ping")
    await telegram.wait_for(lambda t: t.history(USER)[-1].text == "from the reply")

    status, body = await api.json("setWebhook", url="https://api.example.com/hook")
    assert status == 400
    assert "bad webhook" in body["description"]
    assert (await api.json("deleteWebhook", drop_pending_updates=True))[1]["description"] == (
        "Webhook was deleted"
    )
    await telegram.user_sends(USER, "polled")
    assert [u["message"]["text"] for u in await api.ok("getUpdates")] == ["polled"]


async def test_webhook_delivers_chats_at_once_and_each_chat_in_order(
    api: Api, telegram: TelegramStandIn, receiver: WebhookReceiver
) -> None:
    # As Telegram: another chat's update does not wait for an unanswered one, but the same
    # chat's next update is sent only once the previous one has been answered.
    receiver.hold = asyncio.Event()
    other = USER + 1
    for user, text in ((USER, "first"), (USER, "second"), (other, "elsewhere")):
        await telegram.user_sends(user, text)
    await api.ok("setWebhook", url=receiver.url)

    async def arrived(count: int) -> list[str]:
        async with asyncio.timeout(10):
            while len(receiver.received) < count:  # noqa: ASYNC110 - another server's list
                await asyncio.sleep(0.01)
        return [update["message"]["text"] for update in receiver.received]

    assert sorted(await arrived(2)) == ["elsewhere", "first"]
    await asyncio.sleep(0.2)
    assert len(receiver.received) == 2  # "second" waits for "first" to be answered
    receiver.hold.set()
    assert (await arrived(3))[-1] == "second"
    await telegram.wait_for(lambda t: not t.pending_updates)


async def test_set_webhook_ends_a_long_poll(
    api: Api, telegram: TelegramStandIn, receiver: WebhookReceiver
) -> None:
    poll = asyncio.create_task(api.json("getUpdates", timeout=30))
    await telegram.wait_for(lambda t: len(t.calls_of("getUpdates")) == 1)
    await api.ok("setWebhook", url=receiver.url)
    status, body = await poll
    assert (status, body["description"]) == (409, "Conflict: terminated by setWebhook request")


# -- the sandbox's HTTP side -----------------------------------------------------------------


async def test_sandbox_routes(api: Api, telegram: TelegramStandIn) -> None:
    status, body = await api.sandbox(
        "POST",
        f"users/{USER}/messages",
        json={"text": "/start", "language_code": "fr", "first_name": "Ana"},
    )
    assert status == 200
    assert body["result"]["text"] == "/start"
    [update] = await api.ok("getUpdates")
    assert update["message"]["from"] == {
        "id": USER,
        "is_bot": False,
        "first_name": "Ana",
        "language_code": "fr",
    }
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]

    events = asyncio.create_task(
        api.sandbox("GET", f"chats/{USER}/events", params={"after": "1", "timeout": "30"})
    )
    sent = await api.ok(
        "sendMessage", chat_id=USER, text="Hi", reply_markup=keyboard([("Go", "g")])
    )
    status, body = await events
    [event] = body["result"]["events"]
    assert event["kind"] == "message"
    assert event["message"]["buttons"] == [[{"text": "Go", "callback_data": "g"}]]
    status, body = await api.sandbox(
        "POST", f"users/{USER}/clicks", json={"message_id": sent["message_id"], "text": "Go"}
    )
    query_id = body["result"]["callback_query_id"]
    await api.ok("answerCallbackQuery", callback_query_id=query_id, text="Done")
    status, body = await api.sandbox(
        "POST", f"users/{USER}/clicks", json={"message_id": sent["message_id"], "text": "Nope"}
    )
    assert status == 404
    assert "no button 'Nope'" in body["description"]

    status, body = await api.sandbox("GET", f"chats/{USER}")
    chat = body["result"]
    assert [m["text"] for m in chat["messages"]] == ["/start", "Hi"]
    assert chat["answers"][0]["text"] == "Done"
    assert chat["last_event"] == 3
    status, body = await api.sandbox("GET", "chats/999")
    assert status == 404
    status, body = await api.sandbox("GET", f"chats/{USER}/events", params={"after": "3"})
    assert body["result"] == {"events": [], "last_event": 3}


async def test_group_chat(api: Api, telegram: TelegramStandIn) -> None:
    message = await telegram.user_sends(USER, "hello", chat_type="group", chat_id=-100)
    assert message.chat_id == -100
    [update] = await api.ok("getUpdates")
    assert update["message"]["chat"] == {"id": -100, "type": "group", "title": "Sandbox group 100"}
    await api.ok("sendMessage", chat_id=-100, text="No groups, sorry")
    assert [m.text for m in telegram.history(-100)] == ["hello", "No groups, sorry"]
    assert telegram.history(USER) == []


# -- through aiogram -------------------------------------------------------------------------


async def test_aiogram_sees_telegram_errors(bot: Bot, telegram: TelegramStandIn) -> None:
    await started_chat(telegram)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "x" * 4097)
    too_long_data = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="a", callback_data="d" * 65)]]
    )
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "x", reply_markup=too_long_data)
    sent = await bot.send_message(USER, "<b>Hi</b>", parse_mode="HTML")
    assert sent.text == "Hi"
    assert sent.from_user is not None
    assert sent.from_user.id == bot.id
    with pytest.raises(TelegramBadRequest, match="message is not modified") as caught:
        await bot.edit_message_text(
            "<b>Hi</b>", chat_id=USER, message_id=sent.message_id, parse_mode="HTML"
        )
    assert caught.value.message == limits.NOT_MODIFIED
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(USER, "<b>Hi", parse_mode="HTML")

    telegram.faults.add(method="sendMessage", status=429, retry_after=2, times=1)
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(USER, "hello")
    assert retry.value.retry_after == 2
    telegram.faults.add(method="sendMessage", status=502)
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(USER, "hello")
    assert (await bot.send_message(USER, "hello")).text == "hello"

    async with Bot(
        "999:other", session=AiohttpSession(api=TelegramAPIServer.from_base(telegram.url))
    ) as stranger:
        with pytest.raises(TelegramUnauthorizedError):
            await stranger.get_me()
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER, 12345)


async def test_aiogram_long_polling_and_offset(bot: Bot, telegram: TelegramStandIn) -> None:
    me = await bot.get_me()
    assert me.username == "survey_sandbox_bot"
    poll = asyncio.create_task(bot.get_updates(timeout=20))
    await telegram.wait_for(lambda t: len(t.calls_of("getUpdates")) == 1)
    assert not poll.done()
    await telegram.user_sends(USER, "/start", language_code="es")
    [update] = await poll
    assert update.message is not None
    assert update.message.text == "/start"
    assert update.message.from_user is not None
    assert update.message.from_user.language_code == "es"
    # The same update again until an offset confirms it.
    assert [u.update_id for u in await bot.get_updates()] == [update.update_id]
    assert await bot.get_updates(offset=update.update_id + 1) == []


async def test_aiogram_webhook_conflict(
    bot: Bot, receiver: WebhookReceiver, telegram: TelegramStandIn
) -> None:
    assert await bot.set_webhook(receiver.url, secret_token="abc")
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert info.url == receiver.url
    await telegram.user_sends(USER, "hook")
    await telegram.wait_for(lambda t: len(receiver.received) == 1)
    assert receiver.secrets == ["abc"]
    assert await bot.delete_webhook()
    assert await bot.get_updates() == []


async def test_aiogram_dispatcher_polls_the_stand_in(bot: Bot, telegram: TelegramStandIn) -> None:
    router = Router()

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(
            f"You said {message.text}",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="Again", callback_data="again")]]
            ),
        )

    @router.callback_query(F.data == "again")
    async def again(callback: CallbackQuery) -> None:
        await callback.answer("Once more", show_alert=True)
        assert isinstance(callback.message, Message)
        await callback.message.edit_text("You said it again")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    polling = asyncio.create_task(
        dispatcher.start_polling(
            bot, handle_signals=False, close_bot_session=False, polling_timeout=5
        )
    )
    try:
        await telegram.user_sends(USER, "hello")
        await telegram.wait_for(lambda t: len(t.history(USER)) == 2)
        reply = telegram.history(USER)[1]
        assert reply.from_bot
        assert reply.text == "You said hello"
        assert reply.buttons == [[("Again", "again")]]
        query_id = await telegram.user_clicks(USER, reply.message_id, text="Again")
        answer = await telegram.wait_answered(query_id)
        assert (answer.text, answer.show_alert) == ("Once more", True)
        await telegram.wait_for(lambda t: t.history(USER)[1].text == "You said it again")
        assert telegram.history(USER)[1].revisions == ["You said hello", "You said it again"]
    finally:
        await dispatcher.stop_polling()
        await polling
