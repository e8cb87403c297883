"""The secret that signs each Office workbook's identification sheet (reports/workbook.py):
made at random the first time a workbook is made or read, kept in the database so that every
replica and every restart signs and checks with the same one, and read once per process."""

from __future__ import annotations

import secrets

from survey.setup import SurveySetup

KEY_BYTES = 32


class WorkbookKey:
    def __init__(self, setup: SurveySetup) -> None:
        self._setup = setup
        self._key: bytes | None = None  # never changes once stored

    async def get(self) -> bytes:
        """The key, made and stored on first need (once, even with replicas racing)."""
        if self._key is None:
            async with self._setup.stores() as store:
                key = await store.workbook_key()
                if key is None:
                    key = await store.add_workbook_key(
                        secrets.token_bytes(KEY_BYTES), self._setup.now()
                    )
                    await store.commit()
            self._key = key
        return self._key
