"""A person's acknowledgement of the privacy notice: when, and which version of it. A new
version (another text) is acknowledged anew; the earlier acknowledgements stay on record."""

from __future__ import annotations

from typing import Protocol

from survey.setup import SurveySetup


class Acknowledgements(Protocol):
    async def acknowledged(self, telegram_user_id: int, version: str) -> bool: ...

    async def acknowledge(self, telegram_user_id: int, version: str) -> None: ...


class NoticeAcknowledgements:
    def __init__(self, setup: SurveySetup) -> None:
        self._setup = setup
        self._stores = setup.stores

    async def acknowledged(self, telegram_user_id: int, version: str) -> bool:
        async with self._stores() as store:
            held = await store.notice_acknowledgements(telegram_user_id)
        return any(one.version == version for one in held)

    async def acknowledge(self, telegram_user_id: int, version: str) -> None:
        """Recorded once per version: a second press (a stale button) changes nothing."""
        now = self._setup.now()
        async with self._stores() as store:
            held = await store.notice_acknowledgements(telegram_user_id)
            if any(one.version == version for one in held):
                return
            await store.acknowledge_notice(telegram_user_id, version, now)
            await store.commit()
