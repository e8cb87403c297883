"""`TelegramStandIn`: a local Telegram Bot API server with simulated users.

    async with TelegramStandIn() as telegram:          # or: url = await telegram.start()
        bot = Bot(telegram.token, session=AiohttpSession(
            api=TelegramAPIServer.from_base(telegram.url)))
        sent = await telegram.user_sends(42, "/start")
        await telegram.wait_for(lambda t: len(t.history(42)) > 1)
        query_id = await telegram.user_clicks(42, t.history(42)[-1].message_id, text="Next")

Standalone: `python -m bot.sandbox.telegram --port 8081` prints the base URL; another process
then plays users through `/sandbox/users/{id}/messages` and `/sandbox/users/{id}/clicks`,
reads `/sandbox/chats/{id}` and follows `/sandbox/chats/{id}/events?after=N&timeout=S`;
`POST /sandbox/updates` queues an update as given (say, one the bot cannot parse) and
`/sandbox/faults` injects failures, or holds calls open (`"hold": true`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import signal
import sys
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Self

from bot.sandbox.limits import ApiError, scope_key
from bot.sandbox.server import ApiServer
from bot.sandbox.state import (
    DEFAULT_FIRST_NAME,
    DEFAULT_TOKEN,
    DEFAULT_USERNAME,
    Call,
    CallbackAnswer,
    ChatMessage,
    Faults,
    PendingUpdate,
    SandboxError,
    State,
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
    "SandboxError",
    "TelegramStandIn",
    "main",
]


def _is_loopback(host: str) -> bool:
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
        username: str = DEFAULT_USERNAME,
        first_name: str = DEFAULT_FIRST_NAME,
        webhook_retry_delay: float = 0.5,
        webhook_max_retry_delay: float = 8.0,
        webhook_timeout: float = 60.0,
        clock: Callable[[], float] = time.time,
        callback_query_lifetime: float | None = None,
    ) -> None:
        """`webhook_timeout`: how long a webhook may take to answer before the update counts
        as not delivered (Telegram gives about a minute). `callback_query_lifetime`: seconds
        after which a press can no longer be answered ("query is too old"); None: never."""
        self.state = State(
            token,
            username=username,
            first_name=first_name,
            clock=clock,
            callback_query_lifetime=callback_query_lifetime,
        )
        self._server = ApiServer(
            self.state,
            webhook_retry_delay=webhook_retry_delay,
            webhook_max_retry_delay=webhook_max_retry_delay,
            webhook_timeout=webhook_timeout,
        )
        self._started = False

    # -- life cycle ----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0: any free port); returns the base URL, e.g. for
        TELEGRAM_API_URL. Only loopback addresses: nothing outside this machine reaches it."""
        if self._started:
            raise RuntimeError("the stand-in is already running")
        if not _is_loopback(host):
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

    @property
    def pending_updates(self) -> list[PendingUpdate]:
        return list(self.state.pending)

    @property
    def webhook(self) -> Webhook | None:
        return self.state.webhook

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
        return await self.state.user_sends(
            user_id,
            text,
            language_code=language_code,
            first_name=first_name,
            chat_type=chat_type,
            chat_id=chat_id,
        )

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
        return await self.state.user_clicks(
            user_id, message_id, text=text, callback_data=callback_data, chat_id=chat_id
        )

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


# -- standalone ----------------------------------------------------------------------------


async def _serve(args: argparse.Namespace) -> None:
    telegram = TelegramStandIn(args.token, username=args.username)
    url = await telegram.start(args.host, args.port)
    print(url, flush=True)
    print(
        f"TELEGRAM_API_URL={url} BOT_TOKEN={telegram.token}  (Ctrl-C stops)",
        file=sys.stderr,
        flush=True,
    )
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stopped.set)
    try:
        await stopped.wait()
    finally:
        await telegram.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bot.sandbox.telegram",
        description="A local stand-in for the Telegram Bot API (127.0.0.1 only).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--username", default=DEFAULT_USERNAME)
    args = parser.parse_args(argv)
    if not _is_loopback(args.host):
        parser.error(f"--host must be a loopback address, not {args.host!r}")
    try:
        State(args.token)
    except ValueError as exc:
        parser.error(str(exc))
    asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
