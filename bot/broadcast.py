"""Broadcasts through Telegram: recorded in the database with every recipient before the
first message goes out (survey/broadcasts.py), then sent one recipient at a time at the
Notifier's pace, each claimed just before its request and settled with Telegram's answer.
A broadcast this process did not finish (it was killed, or stopped past its grace) is taken
up by the next start or by the scheduler of any replica, and goes on with exactly those not
yet reached."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from aiogram import Bot

from bot.notify import Notifier, Outcome
from survey.broadcasts import BroadcastKind, BroadcastReport, Broadcasts, Status
from survey.model import Actor

log = logging.getLogger(__name__)

# A broadcast whose recipients nobody claimed or settled for this long is taken over at a
# scheduler tick: its sender is gone. A live one claims several a second, and waits at most
# MAX_WAIT (30 s) on a flood wait. At a start every unfinished one is taken up at once.
IDLE = timedelta(seconds=60)

STATUS = {Outcome.SENT: Status.SENT, Outcome.BLOCKED: Status.BLOCKED, Outcome.FAILED: Status.FAILED}

Finished = Callable[[Bot, BroadcastReport], Awaitable[None]]


class Broadcaster:
    """What the dialogs call the ``notifier``: `post` records a broadcast and sends it in the
    background; `on_finished` is told of each broadcast this process finishes (exactly one
    process finishes each), e.g. to send /remind's report."""

    def __init__(
        self, broadcasts: Broadcasts, notifier: Notifier, on_finished: Finished | None = None
    ) -> None:
        self._broadcasts = broadcasts
        self._notifier = notifier
        self._on_finished = on_finished
        self._running: dict[int, asyncio.Task[BroadcastReport | None]] = {}

    async def post(
        self,
        bot: Bot,
        kind: BroadcastKind,
        messages: Sequence[tuple[int, str]],
        *,
        actor: Actor,
        report_chat: int | None = None,
        report_language: str | None = None,
    ) -> int:
        """Record, then send in the background. Returns once it is stored: from then on it
        goes out whatever happens to this process."""
        broadcast = await self.record(
            kind, messages, actor=actor, report_chat=report_chat, report_language=report_language
        )
        self.start(bot, broadcast)
        return broadcast

    async def record(
        self,
        kind: BroadcastKind,
        messages: Sequence[tuple[int, str]],
        *,
        actor: Actor,
        report_chat: int | None = None,
        report_language: str | None = None,
    ) -> int:
        return await self._broadcasts.record(
            kind, actor, messages, report_chat=report_chat, report_language=report_language
        )

    def start(self, bot: Bot, broadcast_id: int) -> None:
        """Send it in the background, unless this process is sending it already."""
        if broadcast_id in self._running:
            return
        task = asyncio.create_task(self._run_logged(bot, broadcast_id), name="broadcast")
        self._running[broadcast_id] = task
        task.add_done_callback(lambda _: self._running.pop(broadcast_id, None))

    async def resume(self, bot: Bot, *, idle_for: timedelta = IDLE) -> int:
        """Take up the unfinished broadcasts nobody has worked on for `idle_for` (0: all of
        them, at a start); how many this process was not sending yet."""
        taken = 0
        for broadcast in await self._broadcasts.unfinished(idle_for=idle_for):
            if broadcast not in self._running:
                log.info("Broadcast %d was not finished: going on with it", broadcast)
                self.start(bot, broadcast)
                taken += 1
        return taken

    async def drain(self) -> None:
        """Wait for the broadcasts still going out (at shutdown, in tests)."""
        while self._running:
            await asyncio.wait(set(self._running.values()))

    async def run(self, bot: Bot, broadcast_id: int) -> BroadcastReport | None:
        """Send to every recipient not yet reached; the report if this call finished it."""
        broadcasts = self._broadcasts
        while (outgoing := await broadcasts.next_pending(broadcast_id)) is not None:
            recipient = outgoing.id

            async def claim(again: bool, recipient: int = recipient) -> bool:
                return await broadcasts.claim(recipient, again=again)

            outcome = await self._notifier.deliver(
                bot, outgoing.chat_id, outgoing.text, claim=claim
            )
            if outcome is not None:  # None: another process took this one
                await broadcasts.settle(recipient, STATUS[outcome])
        report = await broadcasts.finish(broadcast_id)
        if report is not None and self._on_finished is not None:
            await self._on_finished(bot, report)
        return report

    async def _run_logged(self, bot: Bot, broadcast_id: int) -> BroadcastReport | None:
        try:
            return await self.run(bot, broadcast_id)
        except Exception:  # a background task: nobody else would see it; a tick resumes it
            log.exception("Broadcast %d stopped; it is taken up again later", broadcast_id)
            return None
