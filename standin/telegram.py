"""`TelegramStandIn`: a local Telegram Bot API server with simulated users.

    async with TelegramStandIn() as telegram:          # or: url = await telegram.start()
        bot = Bot(telegram.token, session=AiohttpSession(
            api=TelegramAPIServer.from_base(telegram.url)))
        sent = await telegram.user_sends(42, "/start")
        await telegram.wait_for(lambda t: len(t.history(42)) > 1)
        query_id = await telegram.user_clicks(42, telegram.history(42)[-1].message_id, text="Next")

Standalone: `python -m standin --port 8081` prints the base URL; another process
then plays users through `/sandbox/users/{id}/messages` and `/sandbox/users/{id}/clicks`,
reads `/sandbox/chats/{id}` and follows `/sandbox/chats/{id}/events?after=N&timeout=S`;
`POST /sandbox/updates` queues an update as given (say, one the bot cannot parse) and
`/sandbox/faults` injects failures, or holds calls open (`"hold": true`).

Telegram's flood limits (30 messages a second per bot, 1 a second per chat, answered with
429 and `retry_after` past them) are off unless asked for: `TelegramStandIn(rate_limits=
RateLimits())`, `set_rate_limits(...)`, `python -m standin --rate-limits` or
`POST /sandbox/rate-limits`; `GET /sandbox/rate-limits` lists what they let through and refused.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self, Unpack

from standin.limits import ApiError, scope_key
from standin.ratelimits import RateLimits, Refusal, Send
from standin.server import ApiServer
from standin.state import (
    DEFAULT_TOKEN,
    DEFAULT_USERNAME,
    Call,
    CallbackAnswer,
    ChatMessage,
    Faults,
    PendingUpdate,
    SandboxError,
    State,
    StateOptions,
    Webhook,
)

__all__ = [
    "DEFAULT_TOKEN",
    "DEFAULT_USERNAME",
    "ApiError",
    "Call",
    "CallbackAnswer",
    "ChatMessage",
    "Faults",
    "RateLimits",
    "Refusal",
    "SandboxError",
    "Send",
    "TelegramStandIn",
]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class TelegramStandIn:
    """The Bot API on 127.0.0.1, plus simulated users and a look into every chat."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        webhook_retry_delay: float = 0.5,
        webhook_max_retry_delay: float = 8.0,
        webhook_timeout: float = 60.0,
        **options: Unpack[StateOptions],
    ) -> None:
        """`webhook_timeout`: how long a webhook may take to answer before the update counts
        as not delivered (Telegram gives about a minute). The other options are the State's:
        the bot's `username` and `first_name`, the `clock`, `callback_query_lifetime`:
        seconds after which a press can no longer be answered ("query is too old"); None
        (the default): never; and `rate_limits`: Telegram's flood limits (None, the
        default: off; see `standin.ratelimits`), judged by the same `clock`."""
        self.state = State(token, **options)
        self._server = ApiServer(
            self.state,
            webhook_retry_delay=webhook_retry_delay,
            webhook_max_retry_delay=webhook_max_retry_delay,
            webhook_timeout=webhook_timeout,
        )
        self._started = False
        # Simulated users: a text message sent, an inline button tapped (see State).
        self.user_sends = self.state.user_sends
        self.user_sends_document = self.state.user_sends_document
        self.user_clicks = self.state.user_clicks

    # -- life cycle ----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0: any free port); returns the base URL, e.g. for
        TELEGRAM_API_URL. Only loopback addresses: nothing outside this machine reaches it."""
        if self._started:
            raise RuntimeError("the stand-in is already running")
        if not is_loopback(host):
            raise ValueError(f"the sandbox listens on loopback addresses only, not {host!r}")
        url = await self._server.start(host, port)
        self._started = True
        return url

    async def stop(self) -> None:
        """Stop serving: waiting long polls return, webhook delivery stops."""
        if self._started:
            self._started = False
            await self._server.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self._server.url is None:
            raise RuntimeError("start() the stand-in first")
        return self._server.url

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def bot_id(self) -> int:
        return self.state.bot_id

    @property
    def faults(self) -> Faults:
        return self.state.faults

    @property
    def calls(self) -> list[Call]:
        """Every Bot API call received, in order: (method, params)."""
        return self.state.calls

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        return [call.params for call in self.state.calls if call.method == method]

    # -- flood limits --------------------------------------------------------------------------

    @property
    def rate_limits(self) -> RateLimits | None:
        return self.state.flood.limits

    def set_rate_limits(self, limits: RateLimits | None) -> None:
        """Switch Telegram's flood limits on (or change them), or off with None. The record of
        sends and refusals starts afresh."""
        self.state.flood.configure(limits)

    @property
    def sends(self) -> list[Send]:
        """The message-sending calls the limits let through while on, with the time of each."""
        return list(self.state.flood.sent)

    @property
    def refusals(self) -> list[Refusal]:
        """The sends refused with 429 by the limits (not those of injected faults)."""
        return list(self.state.flood.refused)

    @property
    def pending_updates(self) -> list[PendingUpdate]:
        return list(self.state.pending)

    @property
    def webhook(self) -> Webhook | None:
        return self.state.webhook

    # -- simulated users -----------------------------------------------------------------------
    # `user_sends` (a text message) and `user_clicks` (a tap on an inline button) are the
    # state's own methods, bound in __init__.

    async def enqueue_update(self, update: dict[str, Any]) -> int:
        """Queue an update exactly as given (its update_id replaced by the next one);
        returns the update_id."""
        queued = self.state.enqueue_raw(update)
        await self.state.changed()
        return queued.update_id

    async def release_held(self) -> None:
        """Let the calls held by `hold` faults go on (those whose caller has gone are dropped)."""
        self.state.faults.release_held()
        await self.state.changed()

    @property
    def holding(self) -> int:
        """How many Bot API calls `hold` faults are keeping waiting now."""
        return self.state.faults.holding

    # -- looking in ----------------------------------------------------------------------------

    def open_chat(self, user_id: int, language_code: str = "en") -> None:
        """A private chat with a user who started the bot some time ago (the bot may write
        to them), without an update for the bot to handle."""
        self.state.open_private_chat(user_id, language_code)

    def history(self, chat_id: int) -> list[ChatMessage]:
        """Every message of the chat in order, deleted ones included (deleted=True)."""
        chat = self.state.chats.get(chat_id)
        return list(chat.messages) if chat is not None else []

    def visible(self, chat_id: int) -> list[ChatMessage]:
        return [message for message in self.history(chat_id) if not message.deleted]

    def last_bot_message(self, chat_id: int) -> ChatMessage | None:
        for message in reversed(self.history(chat_id)):
            if message.from_bot and not message.deleted:
                return message
        return None

    def alerts(self, chat_id: int) -> list[CallbackAnswer]:
        """The answers to callback queries that showed something (a toast or an alert)."""
        chat = self.state.chats.get(chat_id)
        return [a for a in chat.answers if a.text] if chat is not None else []

    def answers(self, chat_id: int) -> list[CallbackAnswer]:
        chat = self.state.chats.get(chat_id)
        return list(chat.answers) if chat is not None else []

    def chat_actions(self, chat_id: int) -> list[str]:
        chat = self.state.chats.get(chat_id)
        return list(chat.actions) if chat is not None else []

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str | None = None
    ) -> list[dict[str, str]]:
        return list(self.state.commands.get(scope_key(scope, language_code), []))

    def description(self, language_code: str | None = None) -> str:
        """What a person of this language sees before pressing Start: their language's own
        description, else the default one, as Telegram's clients show it."""
        texts = self.state.descriptions
        return texts.get(language_code or "", texts.get("", ""))

    def short_description(self, language_code: str | None = None) -> str:
        texts = self.state.short_descriptions
        return texts.get(language_code or "", texts.get("", ""))

    async def wait_for(
        self,
        predicate: Callable[[TelegramStandIn], object],
        timeout: float = 10,  # noqa: ASYNC109 - the test API's deadline, like asyncio.wait_for's
    ) -> None:
        """Wait until predicate(self) is true, re-checked whenever anything changes.

        A predicate that raises LookupError (say `t.history(42)[1]` before there is a second
        message) counts as not true yet; other exceptions propagate."""

        def check() -> bool:
            try:
                return bool(predicate(self))
            except LookupError:
                return False

        if not await self.state.wait_until(check, timeout):
            raise TimeoutError(f"the sandbox did not reach the expected state in {timeout}s")

    async def wait_answered(
        self,
        query_id: str,
        timeout: float = 10,  # noqa: ASYNC109 - the test API's deadline, like asyncio.wait_for's
    ) -> CallbackAnswer:
        """Wait until the bot answers the callback query; returns the answer."""
        query = self.state.queries.get(query_id)
        if query is None:
            raise SandboxError(f"no callback query {query_id!r}")
        await self.wait_for(lambda _: query.answer is not None, timeout)
        assert query.answer is not None
        return query.answer
