"""The bot's own periodic work: the automatic reminders, looked at every minute. Started and
stopped with the dispatcher (polling and webhook alike); with several replicas each one looks,
and the database lets exactly one of them send (survey.secretariat.claim_due_reminder)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta

from aiogram import Bot
from aiogram.utils.i18n import I18n

from bot.notify import Notifier
from dialogs.secretariat.reminders import remind_if_due
from survey.secretariat import Secretariat

log = logging.getLogger(__name__)

INTERVAL = 60.0  # seconds between two looks: reminders are due on the minute at the finest


class Scheduler:
    def __init__(
        self,
        secretariat: Secretariat,
        notifier: Notifier,
        i18n: I18n,
        offsets: Sequence[timedelta],
        interval: float = INTERVAL,
    ) -> None:
        self._secretariat = secretariat
        self._notifier = notifier
        self._i18n = i18n
        self._offsets = tuple(offsets)
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def tick(self, bot: Bot) -> int:
        """One look: the reminders posted now (0 when none was due or another process won)."""
        return await remind_if_due(
            self._secretariat, self._notifier, bot, self._i18n, self._offsets
        )

    async def start(self, bot: Bot) -> None:
        if self._offsets and self._task is None:
            self._task = asyncio.create_task(self._loop(bot), name="scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self, bot: Bot) -> None:
        while True:
            try:
                posted = await self.tick(bot)
                if posted:
                    log.info("Automatic reminder: posting %d messages", posted)
            except Exception:  # a database hiccup: look again next time
                log.exception("Automatic reminders: the look failed")
            await asyncio.sleep(self._interval)
