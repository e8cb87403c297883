"""A bot for dialog tests: the real dispatcher, aiogram-dialog's test tools, a recording Bot."""

from __future__ import annotations

import asyncio
import dataclasses
import html
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiogram import Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    Chat,
    Document,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from aiogram.utils.i18n import I18n
from aiogram_dialog.api.entities import NewMessage, OldMessage
from aiogram_dialog.test_tools import BotClient, MockMessageManager
from aiogram_dialog.test_tools.bot_client import FakeBot
from aiogram_dialog.test_tools.keyboard import InlineButtonTextLocator
from aiogram_dialog.test_tools.memory_storage import JsonMemoryStorage

from bot.bootstrap import create_dispatcher
from bot.config import Settings
from bot.notify import Notifier
from bot.upload_checker import UploadChecker
from dialogs import web_app
from dialogs.presses import AnswerOnce
from standin.limits import parse_html, utf16_len
from survey.model import Actor
from survey.questionnaire import Questionnaire
from survey.service import SurveyService


def next_update_id(client: BotClient) -> int:
    """A fresh update id from the client's own counter (its public attribute), so that what it
    sends and what the harness builds never share one."""
    client.last_update_id += 1
    return client.last_update_id


def next_message_id(client: BotClient) -> int:
    client.last_message_id += 1
    return client.last_message_id


BOT_USERNAME = "cws_survey_bot"
TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
ALERT_LIMIT = 200


def check_markup(markup: Any) -> None:
    if isinstance(markup, InlineKeyboardMarkup):
        for row in markup.inline_keyboard:
            for button in row:
                if button.callback_data is not None:
                    size = len(button.callback_data.encode())
                    assert size <= CALLBACK_DATA_LIMIT, (button.callback_data, size)


def check_html(text: str) -> str:
    """What Telegram would show of an HTML message: fails like Telegram on bad markup, and
    on any link (the bot never sends one, so a link can only come from injected text)."""
    formatted = parse_html(text)
    links = [e for e in formatted.entities if e["type"] in ("text_link", "text_mention")]
    assert not links, (text, links)
    return formatted.text


class CountingMessageManager(MockMessageManager):
    """aiogram-dialog's mock, counting the answers that reach Telegram per press."""

    def __init__(self) -> None:
        super().__init__()
        self.press_answers: Counter[str] = Counter()

    async def answer_callback(self, bot: Any, callback_query: CallbackQuery) -> None:
        self.press_answers[callback_query.id] += 1
        await super().answer_callback(bot, callback_query)


class CheckedMessageManager(AnswerOnce, CountingMessageManager):
    """The mock with the bot's answer-once rule, refusing what Telegram would refuse; `fail`
    makes the next window updates fail as if the Bot API refused them."""

    def __init__(self) -> None:
        super().__init__()
        self.fail: list[TelegramAPIError] = []

    async def show_message(
        self, bot: Any, new_message: NewMessage, old_message: OldMessage | None
    ) -> OldMessage:
        assert new_message.text is not None
        shown = check_html(new_message.text)
        assert utf16_len(shown) <= TEXT_LIMIT, utf16_len(shown)  # as Telegram counts it
        check_markup(new_message.reply_markup)
        if self.fail:
            raise self.fail.pop(0)
        if not new_message.chat.type:
            # Shown from outside an update (a job's window, through aiogram-dialog's background
            # manager, which knows only the chat's id): Telegram's answer would carry the
            # chat as it is, a private one.
            chat = Chat(id=new_message.chat.id, type="private")
            new_message = dataclasses.replace(new_message, chat=chat)
        return await super().show_message(bot, new_message, old_message)


class InstantTime:
    """A clock for the notifier that moves only when it waits, at once."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


@dataclass
class RecordingBot(FakeBot):
    """Stands in for Telegram for the calls handlers make themselves (replies, alerts,
    notifications); records them and enforces Telegram's size limits."""

    calls: list[TelegramMethod[Any]] = field(default_factory=list)
    next_message_id: int = 10_000
    fail: list[TelegramAPIError] = field(default_factory=list)  # the next sends fail so
    fail_files: list[TelegramAPIError] = field(default_factory=list)  # and the next files
    # What people sent as documents, by file id: what `download` gives back.
    uploads: dict[str, bytes] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)  # the file ids downloaded, in order

    def __post_init__(self) -> None:  # FakeBot.__init__ deliberately does nothing
        self._me = User(id=1, is_bot=True, first_name="Survey", username=BOT_USERNAME)

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    async def __call__(
        self, method: TelegramMethod[Any], request_timeout: int | None = None
    ) -> Any:
        self.calls.append(method)
        if isinstance(method, AnswerCallbackQuery):
            assert len(method.text or "") <= ALERT_LIMIT, method.text
            return True
        if isinstance(method, SendMessage):
            if self.fail:
                raise self.fail.pop(0)
            assert len(method.text) <= TEXT_LIMIT
            check_html(method.text)
            check_markup(method.reply_markup)
            self.next_message_id += 1
            return Message(
                message_id=self.next_message_id,
                date=datetime.now(),
                chat=Chat(id=int(method.chat_id), type="private"),
                text=method.text,
            )
        if isinstance(method, SendPhoto | SendDocument):
            if self.fail_files:
                raise self.fail_files.pop(0)
            self.next_message_id += 1
            return Message(
                message_id=self.next_message_id,
                date=datetime.now(),
                chat=Chat(id=int(method.chat_id), type="private"),
            )
        if isinstance(method, EditMessageReplyMarkup):
            return True
        return True

    async def download(self, file: Any, destination: Any = None, **_: Any) -> io.BytesIO:
        """A document a person sent (`Person.send_document`), as Telegram would serve it."""
        file_id = file if isinstance(file, str) else file.file_id
        self.downloads.append(file_id)
        return io.BytesIO(self.uploads[file_id])

    def files(self, chat_id: int | None = None) -> list[tuple[str, bytes]]:
        """Photos and documents sent, as (file name, content), oldest first."""
        sent = []
        for call in self.calls:
            if isinstance(call, SendPhoto | SendDocument) and (
                chat_id is None or call.chat_id == chat_id
            ):
                upload = call.photo if isinstance(call, SendPhoto) else call.document
                assert isinstance(upload, BufferedInputFile), upload
                sent.append((upload.filename or "", upload.data))
        return sent

    def sent(self, chat_id: int | None = None) -> list[str]:
        return [
            call.text
            for call in self.calls
            if isinstance(call, SendMessage) and (chat_id is None or call.chat_id == chat_id)
        ]

    def alerts(self) -> list[str]:
        return [
            call.text or ""
            for call in self.calls
            if isinstance(call, AnswerCallbackQuery) and call.text
        ]


@dataclass
class App:
    """One running bot process, as far as dialogs are concerned."""

    dispatcher: Dispatcher
    messages: CheckedMessageManager
    bot: RecordingBot
    # True: jobs (files, an upload's check) wait for `run_jobs`, to see what comes before.
    hold_jobs: bool = False

    async def run_jobs(self, *, posted_only: bool = False) -> None:
        """What the job runner beside the dispatcher does: every job recorded, run
        (`posted_only`: if the handlers recorded any)."""
        await self.dispatcher["jobs"].drain(self.bot, posted_only=posted_only)

    def answers_to(self, callback_id: str) -> int:
        """How many times the press was answered, by the handlers or by aiogram-dialog."""
        direct = sum(
            1
            for call in self.bot.calls
            if isinstance(call, AnswerCallbackQuery) and call.callback_query_id == callback_id
        )
        return direct + self.messages.press_answers[callback_id]


def start_app(
    settings: Settings,
    service: SurveyService,
    i18n: I18n,
    storage: BaseStorage | None = None,
    upload_checker: UploadChecker | None = None,
) -> App:
    messages = CheckedMessageManager()
    time = InstantTime()
    dispatcher = create_dispatcher(
        settings,
        service,
        storage=storage or JsonMemoryStorage(),
        message_manager=messages,
        i18n=i18n,
        # Paced on a clock that moves when the notifier waits: Telegram's pace (and a 429's
        # wait) without real seconds; the pacing itself is tested in tests/unit/test_notify.py.
        notifier=Notifier(clock=time, sleep=time.sleep),
        upload_checker=upload_checker,
    )
    return App(dispatcher, messages, RecordingBot())


class Person:
    """A Telegram user talking to the bot in a private chat."""

    def __init__(self, app: App, user_id: int, language_code: str, name: str = "") -> None:
        self.user_id = user_id
        self.language_code = language_code
        self.name = name or f"Delegate {user_id}"
        self.connect(app)

    def connect(self, app: App, chat_type: str = "private") -> None:
        self.app = app
        self.client = BotClient(
            app.dispatcher,
            user_id=self.user_id,
            chat_id=self.user_id,
            chat_type=chat_type,
            bot=app.bot,
        )
        first, _, last = self.name.partition(" ")
        self.client.user = User(
            id=self.user_id,
            is_bot=False,
            first_name=first,
            last_name=last or None,
            language_code=self.language_code,
        )

    async def send(self, text: str) -> None:
        await self.client.send(text)
        await self.settle()

    async def send_document(
        self, name: str, data: bytes, *, file_size: int | None = None, caption: str | None = None
    ) -> None:
        """Send a file; ``file_size`` is what Telegram says of it (its real size unless
        given)."""
        file_id = f"doc-{self.user_id}-{len(self.app.bot.uploads)}"
        self.app.bot.uploads[file_id] = data
        message = Message(
            message_id=next_message_id(self.client),
            date=datetime.fromtimestamp(1234567890),
            chat=self.client.chat,
            from_user=self.client.user,
            caption=caption,
            document=Document(
                file_id=file_id,
                file_unique_id=file_id,
                file_name=name,
                mime_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                file_size=len(data) if file_size is None else file_size,
            ),
        )
        await self.app.dispatcher.feed_update(
            self.app.bot, Update(update_id=next_update_id(self.client), message=message)
        )
        await self.settle()

    async def settle(self) -> None:
        """Let what the bot sends in the background (notifications to others, the files
        made by jobs) go out."""
        if not self.app.hold_jobs:
            await self.app.run_jobs(posted_only=True)
        await self.app.dispatcher["notifier"].drain()
        await web_app.settled()

    def last(self) -> Message:
        """The last window the bot showed in this person's chat."""
        mine = [m for m in self.app.messages.sent_messages if m.chat.id == self.user_id]
        assert mine, f"the bot has shown {self.name} nothing"
        return mine[-1]

    def text(self) -> str:
        return self.last().text or ""

    def buttons(self) -> list[str]:
        markup = self.last().reply_markup
        if not isinstance(markup, InlineKeyboardMarkup):
            return []
        return [button.text for row in markup.inline_keyboard for button in row]

    async def click(self, label: str, message: Message | None = None) -> str:
        callback_id = await self.client.click(
            message or self.last(), InlineButtonTextLocator(f"^{re.escape(label)}$")
        )
        await self.settle()
        return callback_id

    async def acknowledge_notice(self) -> None:
        """ "I understand, continue" under the privacy notice, in whatever language."""
        assert "/forgetme" in self.text(), self.text()  # the notice is on screen
        await self.client.click(self.last(), InlineButtonTextLocator("✅ .*"))
        await self.settle()

    async def press_raw(self, message: Message, callback_data: str) -> str:
        """A button press with callback data of the caller's choosing (a forged one)."""
        button = InlineKeyboardButton(text="?", callback_data=callback_data)
        callback_id = f"forged-{self.user_id}-{next_update_id(self.client)}"
        await self.app.dispatcher.feed_update(
            self.app.bot,
            Update(
                update_id=next_update_id(self.client),
                callback_query=CallbackQuery(
                    id=callback_id,
                    data=button.callback_data,
                    chat_instance="--",
                    from_user=self.client.user,
                    message=message,
                ),
            ),
        )
        await self.settle()
        return callback_id


async def verified(
    app: App, service: SurveyService, user_id: int = 1, *, office: str = "EP", lang: str = "en"
) -> Person:
    """A person verified for `office` through the chat, on their first Recommendation."""
    person = Person(app, user_id, lang)
    code = (await service.secretariat.create_invitation(office, Actor.cli())).code
    await person.send(f"/start {code}")
    await person.send("/continue")
    await person.acknowledge_notice()
    return person


def shown_title(questionnaire: Questionnaire, number: int, lang: str = "en") -> str:
    """A Recommendation's title as a window's HTML shows it."""
    return html.escape(questionnaire.recommendation(number).title(lang))
