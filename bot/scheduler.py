"""The bot's own periodic work, looked at every minute: the automatic reminders, and the
broadcasts some process left unfinished (bot/broadcast.py). Started and stopped with the
dispatcher (polling and webhook alike); with several replicas each one looks, and the
database lets exactly one of them send each reminder, each message of a broadcast
(survey.secretariat.claim_due_reminder, survey.broadcasts)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta

from aiogram import Bot
from aiogram.utils.i18n import I18n

from bot.broadcast import Broadcaster
from bot.privacy_purge import BotPurge
from dialogs.secretariat.reminders import remind_if_due
from survey.secretariat import Secretariat

log = logging.getLogger(__name__)

INTERVAL = 60.0  # seconds between two looks: reminders are due on the minute at the finest


class Scheduler:
    def __init__(
        self,
        secretariat: Secretariat,
        notifier: Broadcaster,
        i18n: I18n,
        offsets: Sequence[timedelta],
        interval: float = INTERVAL,
        *,
        purge: BotPurge | None = None,
    ) -> None:
        self._secretariat = secretariat
        self._notifier = notifier
        self._i18n = i18n
        self._offsets = tuple(offsets)
        self._interval = interval
        self._purge = purge
        self._task: asyncio.Task[None] | None = None

    async def tick(self, bot: Bot) -> int:
        """One look: the reminders posted now (0 when none was due or another process won),
        the broadcasts left idle by a sender that is gone taken up, and the automatic purge
        if RETENTION_DAYS have passed since the deadline (once, whichever process wins)."""
        await self._notifier.resume(bot)
        posted = await remind_if_due(
            self._secretariat, self._notifier, bot, self._i18n, self._offsets
        )
        await self.purge_if_due(bot)
        return posted

    async def purge_if_due(self, bot: Bot) -> bool:
        if self._purge is None or await self._purge.automatic(bot) is None:
            return False
        log.info("Automatic purge of personal data done (RETENTION_DAYS after the deadline)")
        return True

    async def start(self, bot: Bot) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(bot), name="scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self, bot: Bot) -> None:
        try:  # at a start, whatever the previous run (or any process) left unfinished
            await self._notifier.resume(bot, idle_for=timedelta(0))
        except Exception:
            log.exception("Unfinished broadcasts: the look failed")
        while True:
            try:
                posted = await self.tick(bot)
                if posted:
                    log.info("Automatic reminder: posting %d messages", posted)
            except Exception:  # a database hiccup: look again next time
                log.exception("Automatic reminders: the look failed")
            await asyncio.sleep(self._interval)
