"""The purge as the running bot does it, from /purge or the scheduler (RETENTION_DAYS after
the deadline): the database (survey/purge.py), then what this process holds, dialog state
and the language cache, and the Secretariat told."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.fsm.storage.base import BaseStorage
from aiogram.utils.i18n import I18n

from bot.config import Settings
from bot.i18n import LanguageLookup
from bot.purge_state import clear_dialog_state
from dialogs.deps import Notifier
from dialogs.secretariat.purge import purge_messages
from survey.broadcasts import BroadcastKind
from survey.model import Actor
from survey.purge import PURGE_SCHEDULER, Purge, PurgeCounts
from survey.questionnaire import DEFAULT_LANGUAGE


class BotPurge:
    def __init__(
        self,
        purge: Purge,
        settings: Settings,
        storage: BaseStorage,
        notifier: Notifier,
        i18n: I18n,
        language_of: LanguageLookup,
        clock: Callable[[], datetime],
    ) -> None:
        self._purge = purge
        self._settings = settings
        self._storage = storage
        self._notifier = notifier
        self._i18n = i18n
        self._language_of = language_of
        self._clock = clock
        # The i18n middleware's, set once it exists (bot/bootstrap.py).
        self.forget_languages: Callable[[], None] = lambda: None

    def now(self) -> datetime:
        return self._clock()

    async def plan(self, actor: Actor) -> PurgeCounts:
        return await self._purge.plan(actor)

    async def apply(self, actor: Actor, *, force: bool) -> PurgeCounts:
        counts = await self._purge.apply(actor, force=force)
        await self._clear()
        return counts

    async def automatic(self, bot: Bot) -> PurgeCounts | None:
        """RETENTION_DAYS after the deadline, once across every process; None otherwise."""
        if self._settings.retention_days is None:
            return None
        counts = await self._purge.claim_due(timedelta(days=self._settings.retention_days))
        if counts is None:
            return None
        await self._clear()
        await self.tell_secretariat(bot, counts, actor=PURGE_SCHEDULER)
        return counts

    async def tell_secretariat(
        self, bot: Bot, counts: PurgeCounts, *, actor: Actor = PURGE_SCHEDULER
    ) -> None:
        members = [
            (member, await self._language_of(member) or DEFAULT_LANGUAGE)
            for member in sorted(self._settings.admin_ids)
        ]
        messages = purge_messages(counts, members, self._i18n)
        if messages:
            await self._notifier.post(bot, BroadcastKind.PURGE, messages, actor=actor)

    async def _clear(self) -> None:
        await clear_dialog_state(self._settings, self._storage)
        self.forget_languages()
