"""What the stand-in remembers: chats and their full history, pending updates, callback
queries, files, command menus, the webhook, injected faults and the log of calls.

Everything is in memory and lives on one event loop. Every change goes through `changed()`,
which wakes whoever waits on the one `asyncio.Condition`: long polls, the webhook sender,
`wait_for` in tests and the terminal client's event stream.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict

from standin.limits import (
    DEFAULT_UPDATE_TYPES,
    STATUS_DESCRIPTIONS,
    ApiError,
    FormattedText,
)
from standin.ratelimits import RateLimiter, RateLimits

if TYPE_CHECKING:
    from standin.methods import Params

DEFAULT_TOKEN = "123456:sandbox"  # noqa: S105 - the sandbox's well-known test token
DEFAULT_USERNAME = "survey_sandbox_bot"
DEFAULT_FIRST_NAME = "Survey Sandbox"

Buttons = list[list[tuple[str, str | None]]]


class SandboxError(Exception):
    """A simulated user tried something impossible: no such chat, message or button."""


class Call(NamedTuple):
    """One Bot API request received: the method (canonical name), its parameters, and when
    it arrived (`time.perf_counter()` of the stand-in's process, for benchmarks)."""

    method: str
    params: dict[str, Any]
    received: float = 0.0


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str  # "photo" or "document"
    path: str
    data: bytes = b""
    file_name: str | None = None
    mime_type: str | None = None
    url: str | None = None
    width: int = 0
    height: int = 0

    def as_json(self) -> dict[str, Any]:
        """The Document / PhotoSize object a Message carries."""
        body: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.kind == "photo":
            body.update(width=self.width, height=self.height)
        else:
            if self.file_name:
                body["file_name"] = self.file_name
            if self.mime_type:
                body["mime_type"] = self.mime_type
        return body


@dataclass
class ChatMessage:
    """One message in a chat, as it is now, with every version it went through."""

    message_id: int
    chat_id: int
    from_bot: bool
    text: str
    buttons: Buttons = field(default_factory=list)
    # The text of every version, the first as sent; each edit (also of the markup only)
    # appends one, so `len(revisions) - 1` is the number of edits.
    revisions: list[str] = field(default_factory=list)
    deleted: bool = False
    sender_id: int = 0
    date: int = 0
    edit_date: int | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    source: str = ""  # the text as the sender wrote it (HTML before parsing)
    parse_mode: str | None = None
    kind: str = "text"  # "text", "photo" or "document"
    file: StoredFile | None = None
    reply_to: int | None = None

    @property
    def inline_markup(self) -> dict[str, Any] | None:
        if self.reply_markup is not None and "inline_keyboard" in self.reply_markup:
            return self.reply_markup
        return None

    def set_content(
        self, formatted: FormattedText, markup: dict[str, Any] | None, source: str
    ) -> None:
        self.text = formatted.text
        self.entities = formatted.entities
        self.source = source
        self.set_markup(markup)

    def set_markup(self, markup: dict[str, Any] | None) -> None:
        self.reply_markup = markup
        inline = self.inline_markup
        self.buttons = (
            [
                [(str(button["text"]), button.get("callback_data")) for button in row]
                for row in inline["inline_keyboard"]
            ]
            if inline is not None
            else []
        )

    def button(self, text: str) -> tuple[str, str | None]:
        for row in self.buttons:
            for button in row:
                if button[0] == text:
                    return button
        shown = [button[0] for row in self.buttons for button in row]
        raise SandboxError(
            f"message {self.message_id} in chat {self.chat_id} has no button {text!r}; "
            f"its buttons: {shown}"
        )

    def as_json(self) -> dict[str, Any]:
        """The history entry, for the sandbox's own HTTP routes."""
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "from_bot": self.from_bot,
            "sender_id": self.sender_id,
            "date": self.date,
            "edit_date": self.edit_date,
            "kind": self.kind,
            "text": self.text,
            "source": self.source,
            "parse_mode": self.parse_mode,
            "entities": self.entities,
            "buttons": [
                [{"text": text, "callback_data": data} for text, data in row]
                for row in self.buttons
            ],
            "reply_markup": self.reply_markup,
            "revisions": list(self.revisions),
            "deleted": self.deleted,
            "file_id": self.file.file_id if self.file else None,
            "reply_to": self.reply_to,
        }


@dataclass
class CallbackAnswer:
    """What answerCallbackQuery showed: a toast, an alert (show_alert) or nothing."""

    query_id: str
    chat_id: int
    message_id: int
    user_id: int
    text: str | None
    show_alert: bool
    url: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "query_id": self.query_id,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "user_id": self.user_id,
            "text": self.text,
            "show_alert": self.show_alert,
            "url": self.url,
        }


@dataclass
class CallbackQuery:
    query_id: str
    chat_id: int
    message_id: int
    user_id: int
    data: str | None
    answer: CallbackAnswer | None = None
    created: float = 0.0  # the clock's time of the press


@dataclass
class ChatEvent:
    """One change in a chat, for the terminal client: message, edit, delete, answer, action."""

    seq: int
    kind: str
    data: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind, **self.data}


@dataclass
class Chat:
    id: int
    type: str
    first_name: str | None = None
    username: str | None = None
    title: str | None = None
    messages: list[ChatMessage] = field(default_factory=list)
    answers: list[CallbackAnswer] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    events: list[ChatEvent] = field(default_factory=list)
    next_message_id: int = 1

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            body["first_name"] = self.first_name or ""
            if self.username:
                body["username"] = self.username
        else:
            body["title"] = self.title or ""
        return body

    def message(self, message_id: int) -> ChatMessage | None:
        for message in self.messages:
            if message.message_id == message_id:
                return message
        return None

    def record(self, kind: str, **data: Any) -> None:
        self.events.append(ChatEvent(len(self.events) + 1, kind, data))


@dataclass
class PendingUpdate:
    update_id: int
    kind: str
    payload: dict[str, Any]
    # An update queued as given (POST /sandbox/updates): every field but the id, unchecked.
    raw: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        if self.raw is not None:
            return {"update_id": self.update_id, **self.raw}
        return {"update_id": self.update_id, self.kind: self.payload}

    @property
    def lane(self) -> int | str:
        """Telegram sends a webhook one chat's updates one after the other (the next once the
        previous is answered) and different chats' at once: the chat this update is about
        (its sender's, for one that names no chat), or the update alone."""
        body = self.raw if self.raw is not None else {self.kind: self.payload}
        for value in body.values():
            if not isinstance(value, dict):
                continue
            message = value.get("message")
            for holder in (value, message if isinstance(message, dict) else {}):
                chat = holder.get("chat")
                if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                    return int(chat["id"])
            sender = value.get("from")
            if isinstance(sender, dict) and isinstance(sender.get("id"), int):
                return int(sender["id"])
        return f"update {self.update_id}"


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class Fault:
    """An injected refusal: the next `times` calls of `method` ("*": any) get it.

    With `chat_id`, only calls about that chat (its chat_id, or a press in it). With
    `hold`, the call is not refused but kept waiting, as a Telegram that does not answer,
    until the faults are cleared or `release_held()`, and then runs; if its caller hangs up
    first (a killed bot), it is dropped and never happens.
    """

    method: str
    status: int
    retry_after: int | None = None
    times: int | None = 1  # None: until cleared
    description: str | None = None
    chat_id: int | None = None
    hold: bool = False
    holding: int = 0  # calls waiting on this fault now
    released: asyncio.Event = field(default_factory=asyncio.Event, repr=False, compare=False)

    def error(self) -> ApiError:
        if self.status == 429:
            retry_after = self.retry_after if self.retry_after is not None else 1
            return ApiError(
                429,
                self.description or f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )
        description = self.description or STATUS_DESCRIPTIONS.get(self.status, "Error")
        return ApiError(self.status, description)

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "status": self.status,
            "retry_after": self.retry_after,
            "times": self.times,
            "description": self.description,
            "chat_id": self.chat_id,
            "hold": self.hold,
            "holding": self.holding,
        }


class Faults:
    """Injected failures, applied before the method runs (a faulted send sends nothing)."""

    def __init__(self) -> None:
        self._rules: list[Fault] = []

    def add(
        self,
        method: str = "*",
        status: int = 429,
        retry_after: int | None = None,
        times: int | None = 1,
        description: str | None = None,
        chat_id: int | None = None,
        hold: bool = False,
    ) -> Fault:
        if not 400 <= status <= 599:
            raise ValueError(f"a fault needs an error status (400-599), not {status}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for until cleared)")
        fault = Fault(method, status, retry_after, times, description, chat_id, hold)
        self._rules.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every fault; held calls go on."""
        self.release_held()
        self._rules.clear()

    def release_held(self) -> None:
        for fault in self._rules:
            fault.released.set()

    @property
    def holding(self) -> int:
        """How many calls are being held now."""
        return sum(fault.holding for fault in self._rules)

    def take(self, method: str, chat_id: int | None = None) -> Fault | None:
        """The fault for this call of `method` (about `chat_id`), if one applies; uses one
        of its times."""
        for fault in self.active:
            if fault.method != "*" and fault.method.lower() != method.lower():
                continue
            if fault.chat_id is not None and fault.chat_id != chat_id:
                continue
            if fault.times is not None:
                fault.times -= 1
            return fault
        return None

    @property
    def items(self) -> list[Fault]:
        """Every fault added since the last clear(), used-up ones (times == 0) included."""
        return list(self._rules)

    @property
    def active(self) -> list[Fault]:
        return [f for f in self._rules if f.times is None or f.times > 0]

    def __len__(self) -> int:
        """The number of faults that still apply."""
        return len(self.active)

    def as_json(self) -> list[dict[str, Any]]:
        return [fault.as_json() for fault in self._rules]


class StateOptions(TypedDict, total=False):
    """A `State`'s keyword arguments, which `TelegramStandIn` passes on as they are."""

    username: str
    first_name: str
    clock: Callable[[], float]
    callback_query_lifetime: float | None
    rate_limits: RateLimits | None


class State:
    """All of the stand-in's memory, and the one condition every waiter waits on."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        username: str = DEFAULT_USERNAME,
        first_name: str = DEFAULT_FIRST_NAME,
        clock: Callable[[], float] = time.time,
        callback_query_lifetime: float | None = None,
        rate_limits: RateLimits | None = None,
    ) -> None:
        bot_id, _, _ = token.partition(":")
        if not bot_id.isdigit():
            raise ValueError(f"a bot token looks like 123456:secret, not {token!r}")
        self.token = token
        self.bot_id = int(bot_id)
        self.username = username
        self.first_name = first_name
        self.clock = clock
        # Telegram refuses to answer a press after a while; None: never too old.
        self.callback_query_lifetime = callback_query_lifetime
        self.chats: dict[int, Chat] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.pending: list[PendingUpdate] = []
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.queries: dict[str, CallbackQuery] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        # The bot's descriptions by language code ("" for the default one).
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        # setChatMenuButton: by chat id, and the bot's default under None.
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.webhook: Webhook | None = None
        self.faults = Faults()
        # Telegram's flood limits; off by default, so that tests send as fast as they like.
        self.flood = RateLimiter(clock, rate_limits)
        self.calls: list[Call] = []
        # Told of each call once it has been carried out (benchmarks time the bot with it).
        self.call_listeners: list[Callable[[Call], None]] = []
        self.poll_generation = 0
        self.closing = False
        self.version = 0
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._condition = asyncio.Condition()

    # -- waiting -------------------------------------------------------------------------------

    async def changed(self) -> None:
        self.version += 1
        async with self._condition:
            self._condition.notify_all()

    async def wait_until(self, predicate: Callable[[], bool], seconds: float | None) -> bool:
        """Wait until predicate() is true (re-checked on every change); False on timeout."""
        async with self._condition:
            if predicate():
                return True
            try:
                async with asyncio.timeout(seconds):
                    await self._condition.wait_for(predicate)
            except TimeoutError:
                return predicate()
            return True

    def now(self) -> int:
        return int(self.clock())

    # -- users and chats -----------------------------------------------------------------------

    @property
    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def chat(self, chat_id: int | str) -> Chat:
        """The chat a bot method names, or Telegram's "chat not found"."""
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@").lower()
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == name:
                    return chat
            raise ApiError(400, "Bad Request: chat not found")
        found = self.chats.get(chat_id)
        if found is None:
            raise ApiError(400, "Bad Request: chat not found")
        return found

    def open_private_chat(self, user_id: int, language_code: str | None) -> Chat:
        """The private chat of a user who started the bot (known from now on)."""
        return self._chat_for(self._user(user_id, None, language_code), "private", None)

    def _user(
        self, user_id: int, first_name: str | None, language_code: str | None
    ) -> dict[str, Any]:
        user = self.users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        )
        if first_name:
            user["first_name"] = first_name
        if language_code:
            user["language_code"] = language_code
        return user

    def _chat_for(self, user: dict[str, Any], chat_type: str, chat_id: int | None) -> Chat:
        if chat_type == "private":
            if chat_id is not None and chat_id != user["id"]:
                raise SandboxError("a private chat's id is the user's id")
            chat_id = int(user["id"])
        elif chat_type in {"group", "supergroup"}:
            if chat_id is None:
                chat_id = -int(user["id"]) if chat_type == "group" else -(10**12) - user["id"]
            if chat_id >= 0:
                raise SandboxError("a group chat's id is negative")
        else:
            raise SandboxError(f"chat_type must be private, group or supergroup: {chat_type!r}")
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = Chat(chat_id, chat_type)
            if chat_type == "private":
                chat.first_name = user["first_name"]
                chat.username = user.get("username")
            else:
                chat.title = f"Sandbox {chat_type} {-chat_id}"
            self.chats[chat_id] = chat
        elif chat.type != chat_type:
            raise SandboxError(f"chat {chat_id} is a {chat.type} chat, not {chat_type}")
        if chat_type == "private":
            chat.first_name = user["first_name"]
        return chat

    # -- messages ------------------------------------------------------------------------------

    def add_message(
        self,
        chat: Chat,
        *,
        from_bot: bool,
        sender_id: int,
        formatted: FormattedText,
        source: str,
        parse_mode: str | None = None,
        markup: dict[str, Any] | None = None,
        kind: str = "text",
        file: StoredFile | None = None,
        reply_to: int | None = None,
    ) -> ChatMessage:
        message = ChatMessage(
            message_id=chat.next_message_id,
            chat_id=chat.id,
            from_bot=from_bot,
            text=formatted.text,
            sender_id=sender_id,
            date=self.now(),
            parse_mode=parse_mode,
            kind=kind,
            file=file,
            reply_to=reply_to,
        )
        message.set_content(formatted, markup, source)
        message.revisions.append(message.text)
        chat.next_message_id += 1
        chat.messages.append(message)
        chat.record("message", message=message.as_json())
        return message

    def record_edit(self, chat: Chat, message: ChatMessage) -> None:
        message.edit_date = self.now()
        message.revisions.append(message.text)
        chat.record("edit", message=message.as_json())

    def message_json(self, message: ChatMessage, *, nested: bool = True) -> dict[str, Any]:
        """The Message object as the Bot API returns it."""
        chat = self.chats[message.chat_id]
        sender = self.bot_user if message.from_bot else self.users[message.sender_id]
        body: dict[str, Any] = {
            "message_id": message.message_id,
            "from": dict(sender),
            "chat": chat.as_json(),
            "date": message.date,
        }
        if message.edit_date is not None:
            body["edit_date"] = message.edit_date
        if nested and message.reply_to is not None:
            replied = chat.message(message.reply_to)
            if replied is not None and not replied.deleted:
                body["reply_to_message"] = self.message_json(replied, nested=False)
        if message.kind == "text":
            body["text"] = message.text
            if message.entities:
                body["entities"] = message.entities
        else:
            assert message.file is not None
            if message.kind == "photo":
                body["photo"] = [message.file.as_json()]
            else:
                body["document"] = message.file.as_json()
            if message.text:
                body["caption"] = message.text
                if message.entities:
                    body["caption_entities"] = message.entities
        inline = message.inline_markup
        if inline is not None:
            body["reply_markup"] = inline
        return body

    # -- updates -------------------------------------------------------------------------------

    def enqueue(self, kind: str, payload: dict[str, Any]) -> PendingUpdate | None:
        """Queue an update, unless the bot's allowed_updates leave its type out."""
        if kind not in self.allowed_updates:
            return None
        update = PendingUpdate(next(self._update_ids), kind, payload)
        self.pending.append(update)
        return update

    def enqueue_raw(self, body: dict[str, Any]) -> PendingUpdate:
        """Queue an update exactly as given, whatever its type and shape (one the bot did
        not ask for, or cannot parse). Only the update_id is the stand-in's, so that it
        takes its place in the queue."""
        fields = {name: value for name, value in body.items() if name != "update_id"}
        kind = next(iter(fields), "")
        update = PendingUpdate(next(self._update_ids), kind, {}, raw=fields)
        self.pending.append(update)
        return update

    def is_expired(self, query: CallbackQuery) -> bool:
        lifetime = self.callback_query_lifetime
        return lifetime is not None and self.clock() - query.created > lifetime

    def chat_of_call(self, params: Params) -> int | None:
        """The chat a Bot API call is about: its chat_id, or the chat of the press it answers."""
        chat_id = params.value("chat_id")
        if isinstance(chat_id, int) and not isinstance(chat_id, bool):
            return chat_id
        query = self.queries.get(str(params.value("callback_query_id") or ""))
        return query.chat_id if query is not None else None

    def set_allowed_updates(self, allowed: Any) -> None:
        if allowed is None:
            return
        if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
            raise ApiError(400, "Bad Request: can't parse allowed updates JSON array")
        self.allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES

    def confirm(self, offset: int | None) -> None:
        """getUpdates' offset: forget updates below it (negative: keep only the last -N)."""
        if not offset:
            return
        if offset > 0:
            self.pending = [u for u in self.pending if u.update_id >= offset]
        else:
            self.pending = self.pending[offset:]

    def drop_pending(self) -> None:
        self.pending.clear()

    # -- files ---------------------------------------------------------------------------------

    def store_file(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        url: str | None = None,
    ) -> StoredFile:
        number = next(self._file_ids)
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        elif kind == "photo":
            suffix = ".jpg"
        folder = "photos" if kind == "photo" else "documents"
        stored = StoredFile(
            file_id=f"SBX{kind[0].upper()}{number:06d}{secrets.token_urlsafe(12)}",
            file_unique_id=f"SBXU{number:06d}",
            kind=kind,
            path=f"{folder}/file_{number}{suffix}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            url=url,
        )
        if kind == "photo":
            stored.width, stored.height = _png_size(data)
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, path: str) -> StoredFile | None:
        for stored in self.files.values():
            if stored.path == path:
                return stored
        return None

    # -- simulated users -----------------------------------------------------------------------

    async def user_sends(
        self,
        user_id: int,
        text: str,
        *,
        language_code: str | None = "en",
        first_name: str | None = None,
        chat_type: str = "private",
        chat_id: int | None = None,
    ) -> ChatMessage:
        """A user sends a text message: recorded in the chat and queued as an update."""
        if not text:
            raise SandboxError("a user cannot send an empty message")
        user = self._user(user_id, first_name, language_code)
        chat = self._chat_for(user, chat_type, chat_id)
        message = self.add_message(
            chat,
            from_bot=False,
            sender_id=user_id,
            formatted=FormattedText(text, _command_entities(text)),
            source=text,
        )
        self.enqueue("message", self.message_json(message))
        await self.changed()
        return message

    async def user_sends_document(
        self,
        user_id: int,
        file_name: str,
        data: bytes,
        *,
        mime_type: str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        language_code: str | None = "en",
        first_name: str | None = None,
    ) -> ChatMessage:
        """A user sends a file in their private chat: stored (for getFile), recorded in the
        chat and queued as an update."""
        user = self._user(user_id, first_name, language_code)
        chat = self._chat_for(user, "private", None)
        stored = self.store_file("document", data, file_name=file_name, mime_type=mime_type)
        message = self.add_message(
            chat,
            from_bot=False,
            sender_id=user_id,
            formatted=FormattedText("", []),
            source="",
            kind="document",
            file=stored,
        )
        self.enqueue("message", self.message_json(message))
        await self.changed()
        return message

    async def user_clicks(
        self,
        user_id: int,
        message_id: int,
        *,
        text: str | None = None,
        callback_data: str | None = None,
        chat_id: int | None = None,
    ) -> str:
        """A user taps an inline button (found by its text on the message's current
        keyboard, or given by its data); returns the callback query id."""
        chat_id = user_id if chat_id is None else chat_id
        chat = self.chats.get(chat_id)
        if chat is None:
            raise SandboxError(f"there is no chat {chat_id}")
        message = chat.message(message_id)
        if message is None:
            raise SandboxError(f"chat {chat_id} has no message {message_id}")
        if message.deleted:
            raise SandboxError(f"message {message_id} in chat {chat_id} was deleted")
        if text is None and callback_data is None:
            raise SandboxError("say which button: text=... or callback_data=...")
        if text is not None:
            _, data = message.button(text)
            if data is None:
                raise SandboxError(f"button {text!r} has no callback_data (a URL button?)")
            if callback_data is not None and callback_data != data:
                raise SandboxError(f"button {text!r} carries {data!r}, not {callback_data!r}")
            callback_data = data
        user = self._user(user_id, None, None)
        query_id = str(4_000_000_000_000_000 + self.bot_id * 1000 + next(self._query_ids))
        self.queries[query_id] = CallbackQuery(
            query_id, chat_id, message_id, user_id, callback_data, created=self.clock()
        )
        self.enqueue(
            "callback_query",
            {
                "id": query_id,
                "from": dict(user),
                "message": self.message_json(message),
                "chat_instance": str(abs(chat_id * 7919 + self.bot_id)),
                "data": callback_data,
            },
        )
        await self.changed()
        return query_id


def _command_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entity Telegram adds to a message starting with /command."""
    if not text.startswith("/"):
        return []
    word = text.split(maxsplit=1)[0]
    name, _, _ = word[1:].partition("@")
    if (
        not name
        or len(name) > 32
        or not all(c.isascii() and (c.isalnum() or c == "_") for c in name)
    ):
        return []
    return [{"type": "bot_command", "offset": 0, "length": len(word.encode("utf-16-le")) // 2}]


def _png_size(data: bytes) -> tuple[int, int]:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 0, 0
