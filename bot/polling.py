"""Long polling that confirms an update to Telegram only once it has been handled.

aiogram's `start_polling` moves getUpdates' offset past an update as soon as it has been
read, before its handler runs: a process killed in between loses the tap or the comment for
good. Here the offset sent to getUpdates is the lowest update still being handled, or the
last one seen plus one when nothing is, so Telegram keeps every unfinished update and gives
it again to the next process.

What `start_polling` does is kept: the dispatcher's startup and shutdown events, the
`allowed_updates`, SIGINT/SIGTERM ending the run cleanly, and a backoff when getUpdates
fails. Updates of different chats are handled concurrently (a slow one must not hold up
other people); updates of one chat in order. An update aiogram cannot decode is skipped,
logged once with its id, and confirmed with the rest: one odd update must not stop the bot.
An update that meets an outage (Redis or the database unreachable) is not confirmed: the
offset stays at it and it is tried again after a growing pause (bot/holds.py).

Two processes polling one bot is a mistake Telegram answers with 409 Conflict: a long poll
ends "terminated by other getUpdates request" when another one arrives (the older request is
the one cut). Retrying would go on forever, the two cutting each other's polls, so the run
ends with `PollingConflictError` (one line, exit status 2) instead: at the first conflict for a
process that has not yet received an answer to getUpdates (the newcomer: the process already
polling asks again within a second or so, which cuts the newcomer's poll), at once when a
webhook is in the way, and for a process that was polling fine after CONFLICT_LIMIT conflicts
in a row (another process that does not give up).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from functools import partial
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.exceptions import ClientDecodeError, TelegramConflictError
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig
from pydantic import ValidationError

from bot.config import ConfigError
from bot.holds import HOLD_OUTAGES, HOLDS, Holds, is_outage, pause_before
from bot.poison import POISON, Poison

log = logging.getLogger(__name__)

LONG_POLL = 10  # seconds Telegram may hold getUpdates open when nothing is in flight
# While an update is being handled, getUpdates cannot long-poll: Telegram answers at once
# with the unconfirmed update itself, so a long poll would spin. Instead the loop asks
# without waiting, then sleeps until a handler finishes or this much time has passed. The
# price: while a handler is slow, other people's new updates are picked up up to this late,
# and getUpdates is asked this often; handlers take milliseconds, so the wait nearly always
# ends early with a completion.
IN_FLIGHT_WAIT = 0.25
# On SIGTERM, updates being handled get this long to finish (and be confirmed); the rest
# are cancelled and, unconfirmed, delivered again to the next process. Below the 10 s
# Docker leaves by default between SIGTERM and SIGKILL.
SHUTDOWN_GRACE = 8.0
CONFIRM_TIMEOUT = 5.0
BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)  # aiogram's
# 409 Conflicts in a row after which a process that was polling fine gives up.
CONFLICT_LIMIT = 3


class RawUpdates(TelegramMethod[list[dict[str, Any]]]):
    """getUpdates whose answer is left as JSON: while updates are being handled, Telegram
    sends them again with every answer (they are not confirmed yet), and decoding up to a
    hundred of them each time cost more than handling them. Only new ones are decoded."""

    __returning__ = list[dict[str, Any]]
    __api_method__ = "getUpdates"

    offset: int | None = None
    limit: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


class PollingConflictError(ConfigError):
    """Another process polls this bot, or a webhook is set: this one stops."""


def decoding_problem(exc: ValidationError) -> str:
    """One line on why aiogram cannot read an update, for the operator's log."""
    errors = exc.errors()
    first = errors[0] if errors else None
    if first is None:
        return "invalid"
    where = ".".join(str(part) for part in first["loc"])
    more = f" and {len(errors) - 1} more" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"


class Poller:
    """getUpdates in a loop, each update handled in a task and confirmed once it is done."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        *,
        allowed_updates: list[str] | None = None,
        long_poll: int = LONG_POLL,
        in_flight_wait: float = IN_FLIGHT_WAIT,
        shutdown_grace: float = SHUTDOWN_GRACE,
        backoff: BackoffConfig = BACKOFF,
        **workflow_data: Any,
    ) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.allowed_updates = allowed_updates
        self.long_poll = long_poll
        self.in_flight_wait = in_flight_wait
        self.shutdown_grace = shutdown_grace
        self.backoff = backoff
        self._workflow: dict[str, Any] = {"bots": [bot], **workflow_data}
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._next: int | None = None  # the update after the last one seen
        self._confirmed: int | None = None  # the offset Telegram last received
        self._last_of_chat: dict[int, asyncio.Task[None]] = {}
        self._progress = asyncio.Event()  # a handler finished
        self._stop = asyncio.Event()
        self._answered = False  # getUpdates has answered at least once
        self._conflicts = 0  # 409 Conflicts in a row
        self.conflict: PollingConflictError | None = None

    @property
    def offset(self) -> int | None:
        """What getUpdates is sent: never past an update whose handling has not finished."""
        if self._in_flight:
            return min(self._in_flight)
        return self._next

    def stop(self) -> None:
        """End `run`: stop reading updates, let those in flight finish, confirm them."""
        self._stop.set()

    async def run(self, *, handle_signals: bool = True) -> None:
        dispatcher, bot = self.dispatcher, self.bot
        workflow = {"dispatcher": dispatcher, **dispatcher.workflow_data, **self._workflow}
        loop = asyncio.get_running_loop()
        signals = (signal.SIGINT, signal.SIGTERM) if handle_signals else ()
        for signum in signals:
            with contextlib.suppress(NotImplementedError):  # Windows
                loop.add_signal_handler(signum, self._on_signal, signum)
        try:
            await dispatcher.emit_startup(bot=bot, **workflow)
            try:
                me = await bot.me()
                log.info("Polling for updates as @%s", me.username)
                reading = asyncio.create_task(self._read_forever(), name="polling")
                stopping = asyncio.create_task(self._stop.wait(), name="polling-stop")
                await asyncio.wait({reading, stopping}, return_when=asyncio.FIRST_COMPLETED)
                for task in (reading, stopping):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                await self._drain()
            finally:
                await dispatcher.emit_shutdown(bot=bot, **workflow)
        finally:
            for signum in signals:
                with contextlib.suppress(NotImplementedError):
                    loop.remove_signal_handler(signum)
        if self.conflict is not None:
            raise self.conflict
        log.info("Polling stopped")

    def _on_signal(self, signum: signal.Signals) -> None:
        log.warning("Received %s: stopping", signum.name)
        self.stop()

    # -- reading -------------------------------------------------------------------------------

    async def _read_forever(self) -> None:
        backoff = Backoff(self.backoff)
        failing = False
        while True:
            self._progress.clear()
            try:
                updates = await self._fetch()
            except TelegramConflictError as exc:
                self.conflict = self._conflict(exc)
                if self.conflict is not None:
                    return  # run() lets what is in flight finish, then raises it
                log.warning(
                    "Telegram says another process polls this bot too (%s); asking again in %.1f s",
                    exc.message,
                    backoff.next_delay,
                )
                await backoff.asleep()
                continue
            except Exception as exc:  # any failure: wait, then ask again
                failing = True
                log.error("Failed to fetch updates - %s: %s", type(exc).__name__, exc)
                log.warning(
                    "Trying again in %.1f s (attempt %d)", backoff.next_delay, backoff.counter
                )
                await backoff.asleep()
                continue
            self._answered, self._conflicts = True, 0
            if failing:
                log.info("Fetching updates again after %d failed attempts", backoff.counter)
                backoff.reset()
                failing = False
            for update in updates:
                self._start(update)
            if self._in_flight:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.in_flight_wait):
                        await self._progress.wait()

    def _conflict(self, exc: TelegramConflictError) -> PollingConflictError | None:
        """The reason to stop on this 409, or None to ask again."""
        self._conflicts += 1
        said = exc.message
        if "webhook" in said.lower():
            return PollingConflictError(
                f"a webhook is set for this bot, so it cannot poll (Telegram: {said}); another "
                "process serves it by webhook: stop that one, or run this one with WEBHOOK_URL"
            )
        if not self._answered or self._conflicts >= CONFLICT_LIMIT:
            return PollingConflictError(
                f"another process is already polling this bot (Telegram: {said}); stop it "
                "first, or run several replicas in webhook mode (WEBHOOK_URL)"
            )
        return None

    async def _fetch(self) -> list[Update | int]:
        """The new updates, in order; an int stands for an update that was skipped."""
        timeout = 0 if self._in_flight else self.long_poll
        offset = self.offset
        method = RawUpdates(offset=offset, timeout=timeout, allowed_updates=self.allowed_updates)
        # The request may take as long as the long poll, plus the session's usual timeout.
        request_timeout = int(self.bot.session.timeout + timeout)
        updates = self._decode_each(await self.bot(method, request_timeout=request_timeout))
        self._confirmed = offset
        return updates

    def _decode_each(self, raw_updates: list[dict[str, Any]]) -> list[Update | int]:
        updates: list[Update | int] = []
        for raw in raw_updates:
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            if not isinstance(update_id, int) or isinstance(update_id, bool):
                log.warning("Skipped an update without an update_id: %.200r", raw)
                continue
            if self._seen(update_id):
                continue  # skipped (and logged) already, or being handled
            try:
                updates.append(Update.model_validate(raw, context={"bot": self.bot}))
            except ValidationError as exc:
                log.warning(
                    "Skipped update %d: it cannot be decoded (%s)",
                    update_id,
                    decoding_problem(exc),
                )
                updates.append(update_id)
        return updates

    def _seen(self, update_id: int) -> bool:
        # Update ids only grow, so everything below the next expected one was seen before.
        return self._next is not None and update_id < self._next

    # -- handling ------------------------------------------------------------------------------

    def _start(self, update: Update | int) -> None:
        update_id = update if isinstance(update, int) else update.update_id
        if self._seen(update_id):
            return  # still in flight (re-sent since unconfirmed), or done and not confirmed yet
        self._next = update_id + 1
        if isinstance(update, int):
            return  # skipped: nothing to handle, confirmed with the next getUpdates
        chat = self._chat_of(update)
        previous = self._last_of_chat.get(chat) if chat is not None else None
        task = asyncio.create_task(self._handle(update, previous), name=f"update-{update_id}")
        self._in_flight[update_id] = task
        if chat is not None:
            self._last_of_chat[chat] = task
        task.add_done_callback(partial(self._finished, update_id, chat))

    @staticmethod
    def _chat_of(update: Update) -> int | None:
        context = UserContextMiddleware.resolve_event_context(update)
        return context.chat_id if context.chat_id is not None else context.user_id

    async def _handle(self, update: Update, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            # The same chat's earlier update first: a tap, then a typed comment, in order.
            await asyncio.wait({previous})
        holds: Holds | None = self.dispatcher.get(HOLDS)
        poison: Poison | None = self.dispatcher.get(POISON)
        hand = poison.hand(update) if poison is not None else None
        held_since: float | None = None
        attempt = 0
        while True:
            try:
                if hand is not None and not await hand.take(self.bot):
                    return  # poison: skipped, and confirmed with the rest
                response = await self.dispatcher.feed_update(
                    self.bot, update, **self._workflow, **{HOLD_OUTAGES: holds is not None}
                )
                if isinstance(response, TelegramMethod):
                    await self.dispatcher.silent_call_request(self.bot, response)
            except asyncio.CancelledError:
                if hand is not None:  # cut short at shutdown: not a death of the process
                    await hand.put_down()
                raise
            except Exception as exc:
                if holds is None or not is_outage(exc):
                    # Confirmed all the same: delivered again, it would fail again, forever.
                    log.exception("Update %d failed", update.update_id)
                    if hand is not None:
                        await hand.done()
                    return
                if hand is not None:  # waiting for the service is not dying of the update
                    await hand.put_down()
                # Not confirmed while the service is away: the offset stays at this update
                # (other chats go on), and it is tried again after a growing pause.
                attempt += 1
                if held_since is None:
                    held_since = holds.clock()
                    await holds.held(self.bot, update, exc)
                elif holds.expired(held_since):
                    await holds.given_up(self.bot, update)
                    if hand is not None:
                        await hand.done()
                    return
                else:
                    holds.still_held(update, exc)
                await asyncio.sleep(pause_before(attempt))
                continue
            if hand is not None:
                await hand.done()
            if held_since is not None:
                log.info(
                    "Update %d handled after %d attempt(s) in an outage", update.update_id, attempt
                )
            return

    def _finished(self, update_id: int, chat: int | None, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return  # cut short at shutdown: stays unconfirmed, for the next process
        del self._in_flight[update_id]
        if chat is not None and self._last_of_chat.get(chat) is task:
            del self._last_of_chat[chat]
        self._progress.set()

    # -- stopping ------------------------------------------------------------------------------

    async def _drain(self) -> None:
        tasks = set(self._in_flight.values())
        if tasks:
            log.info(
                "Stopping: waiting up to %.0f s for %d update(s) being handled",
                self.shutdown_grace,
                len(tasks),
            )
            _, late = await asyncio.wait(tasks, timeout=self.shutdown_grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            if late:
                log.warning("%d update(s) cut short; Telegram will deliver them again", len(late))
        offset = self.offset
        if offset is None or offset == self._confirmed:
            return
        # Tell Telegram what was handled since the last getUpdates, or it comes again.
        try:
            async with asyncio.timeout(CONFIRM_TIMEOUT):
                await self.bot(
                    GetUpdates(
                        offset=offset, limit=1, timeout=0, allowed_updates=self.allowed_updates
                    )
                )
        except ClientDecodeError:
            pass  # confirmed all the same: only the update returned with it is unreadable
        except Exception as exc:  # unconfirmed updates only come again: harmless
            log.warning("Could not confirm the last updates (%s): they will come again", exc)
