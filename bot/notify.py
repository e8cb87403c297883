"""Messages to people other than the one who pressed: colleagues told of a submission, the
Secretariat told of it, reminders. Paced below Telegram's limits (about 30 messages a second
per bot, one a second per chat), and when Telegram asks to wait (429), everything waits that
long.

Telegram judges the pace by when the messages reach it, and we only know when we send them and
when its answer comes back. A message reaches Telegram after we start sending it and before
its answer arrives, so the pace is kept on those two instants: the next message to a chat
starts a full second after the previous one to it was answered, and a message starts only a
second after the one `per_second` places earlier was answered. Then no second, however it is
cut, sees more than `per_second` of our messages at Telegram, or two to one chat, whatever the
network's delays; evenly spaced starts alone could not promise that. It costs one round trip
per second of sending (25 messages in 1.005 s instead of 1 s on a 5 ms round trip). When
several lists go out at once (two `post`s overlapping), a message still out is not yet among
the answered ones; the spacing of the starts and the margin below 30 cover that rare case.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from enum import Enum

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError, TelegramRetryAfter

from dialogs.deps import Delivery

log = logging.getLogger(__name__)

PER_SECOND = 25  # below Telegram's ~30 a second for a bot, leaving room for replies
PER_CHAT_INTERVAL = 1.0  # seconds between two messages to the same chat
WINDOW = 1.0  # seconds in which at most `per_second` messages may reach Telegram
ATTEMPTS = 3
MAX_WAIT = 30.0  # a longer flood wait: that message is given up (logged), not waited for


class Outcome(Enum):
    SENT = "sent"
    BLOCKED = "blocked"  # the person blocked the bot or deleted their account
    FAILED = "failed"  # anything else, or a flood wait longer than we wait


Report = Callable[[Delivery], Awaitable[None]]
Claim = Callable[[bool], Awaitable[bool]]


class Notifier:
    """Sends one message each to a list of chats, in order, at a pace Telegram accepts. One
    per process: the pace is shared by everything that notifies."""

    def __init__(
        self,
        per_second: float = PER_SECOND,
        per_chat_interval: float = PER_CHAT_INTERVAL,
        max_wait: float = MAX_WAIT,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self._interval = 1.0 / per_second
        self._max_wait = max_wait
        self._background: set[asyncio.Task[None]] = set()
        self._per_chat = per_chat_interval
        self._clock = clock
        self._sleep = sleep  # None: asyncio.sleep (looked up at call time, for tests)
        self._next_send = 0.0
        # When each chat's latest message was answered (or, while it is out, was started).
        self._last_to: dict[int, float] = {}
        # When the latest `per_second` messages were answered, oldest first.
        self._answered: deque[float] = deque(maxlen=max(1, int(per_second)))
        self._lock = asyncio.Lock()

    def post(
        self, bot: Bot, messages: Sequence[tuple[int, str]], *, then: Report | None = None
    ) -> None:
        """Send in the background: the person who pressed is not kept waiting while others
        are notified at Telegram's pace; `then` gets the delivery report at the end. `drain`
        waits for what is still going out."""
        task = asyncio.create_task(self._send_logged(bot, messages, then), name="notify")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for the notifications still going out (at shutdown, in tests); each gives up
        on its own after `max_wait`, so this ends."""
        if self._background:
            await asyncio.wait(set(self._background))

    async def _send_logged(
        self, bot: Bot, messages: Sequence[tuple[int, str]], then: Report | None
    ) -> None:
        try:
            delivery = await self.send(bot, messages)
            if then is not None:
                await then(delivery)
        except Exception:  # a background task: nobody else would see it
            log.exception("Notifying %d people failed", len(messages))

    async def send(self, bot: Bot, messages: Sequence[tuple[int, str]]) -> Delivery:
        """Send each (chat id, HTML text); says how many arrived, how many people blocked the
        bot (or deleted their account) and how many failed otherwise. None of these is an
        error for the sender."""
        counts = dict.fromkeys(Outcome, 0)
        for chat_id, text in messages:
            counts[await self._deliver(bot, chat_id, text)] += 1
        return Delivery(counts[Outcome.SENT], counts[Outcome.BLOCKED], counts[Outcome.FAILED])

    async def _deliver(self, bot: Bot, chat_id: int, text: str) -> Outcome:
        outcome = await self.deliver(bot, chat_id, text)
        assert outcome is not None
        return outcome

    async def deliver(
        self, bot: Bot, chat_id: int, text: str, *, claim: Claim | None = None
    ) -> Outcome | None:
        """One message, paced, tried again after a flood wait. `claim` is asked right before
        each request goes out (`again` for the second and third): whoever answers False has
        lost it to another process, and nothing is sent (None)."""
        for attempt in range(1, ATTEMPTS + 1):
            await self._wait_turn(chat_id)
            if claim is not None and not await claim(attempt > 1):
                return None
            try:
                try:
                    await bot.send_message(chat_id, text)
                finally:
                    self._answered_now(chat_id)
            except TelegramRetryAfter as exc:
                log.warning("Telegram asks to wait %s s before notifying again", exc.retry_after)
                self._pause(float(exc.retry_after))
                if attempt == ATTEMPTS or exc.retry_after > self._max_wait:
                    log.warning("Gave up notifying %s (attempt %d)", chat_id, attempt)
                    return Outcome.FAILED
            except TelegramForbiddenError as exc:  # blocked the bot, deleted account
                log.info("Could not notify %s: %s", chat_id, exc)
                return Outcome.BLOCKED
            except TelegramAPIError as exc:
                log.warning("Could not notify %s: %s", chat_id, exc)
                return Outcome.FAILED
            else:
                return Outcome.SENT
        return Outcome.FAILED

    async def _wait_turn(self, chat_id: int) -> None:
        async with self._lock:
            now = self._clock()
            turn = max(self._next_send, self._last_to.get(chat_id, -1e9) + self._per_chat, now)
            if len(self._answered) == self._answered.maxlen:
                turn = max(turn, self._answered[0] + WINDOW)
            self._next_send = turn + self._interval
            if len(self._last_to) > 10_000:  # forget chats last written to long ago
                self._last_to = {c: t for c, t in self._last_to.items() if t > now - self._per_chat}
            self._last_to[chat_id] = turn
        if turn > now:
            await (self._sleep or asyncio.sleep)(turn - now)

    def _answered_now(self, chat_id: int) -> None:
        """Telegram has answered (or refused) a message to `chat_id`: it got there by now."""
        now = self._clock()
        self._answered.append(now)
        self._last_to[chat_id] = max(self._last_to.get(chat_id, now), now)

    def _pause(self, seconds: float) -> None:
        self._next_send = max(self._next_send, self._clock() + seconds)
