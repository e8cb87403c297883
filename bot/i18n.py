"""Gettext catalogs (Babel) and the choice of each user's language."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

import locales
from survey.questionnaire import DEFAULT_LANGUAGE, LANGUAGES

log = logging.getLogger(__name__)

LOCALES_DIR = Path(locales.__file__).parent
DOMAIN = "messages"


def supported_language(code: str | None) -> str | None:
    """Map a Telegram client's language_code ("fr-CA", "es") to one we speak, if any."""
    if not code:
        return None
    base = code.replace("_", "-").split("-", 1)[0].lower()
    return base if base in LANGUAGES else None


def compile_catalogs(source: Path = LOCALES_DIR) -> Path:
    """Compile every .po to .mo where the .mo is missing or older; return the catalog folder.

    aiogram's I18n reads only compiled catalogs and refuses a language that has a .po but no
    .mo, so this runs at start-up. A read-only install (a wheel in site-packages) gets its
    catalogs compiled into a temporary folder instead.
    """
    # Babel's catalog tools only when a catalog is out of date (never in the image, where
    # the build compiled them): half a megabyte of every process otherwise.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    target = source
    for po_path in sorted(source.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        if target is source and not _writable(po_path.parent):
            target = Path(tempfile.mkdtemp(prefix="survey-locales-"))
            shutil.copytree(source, target, dirs_exist_ok=True)
            return compile_catalogs(target)
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        log.debug("Compiled %s", mo_path)
    return target


def _writable(folder: Path) -> bool:
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def build_i18n() -> I18n:
    return I18n(path=compile_catalogs(), default_locale=DEFAULT_LANGUAGE, domain=DOMAIN)


LanguageLookup = Callable[[int], Awaitable[str | None]]


class LocaleMiddleware(I18nMiddleware):
    """The user's stored choice, else their Telegram client's language, else English.

    One process alone (no REDIS_URL) keeps the stored choices in memory: a database read on
    every update would cost more than everything else the middleware does; the cache is
    filled from the database after a restart, and /language updates it (`remember`). With
    several replicas (`shared`), a /language handled by one must be spoken by the next
    update on another, so the choice is read from the database on every update; what was
    read last is used only while the database cannot be read (an outage).
    """

    def __init__(self, i18n: I18n, lookup: LanguageLookup, *, shared: bool = False) -> None:
        super().__init__(i18n)
        self._lookup = lookup
        self._shared = shared
        self._chosen: dict[int, str | None] = {}

    def remember(self, user_id: int, language: str) -> None:
        self._chosen[user_id] = language

    def forget(self, user_id: int) -> None:
        self._chosen.pop(user_id, None)

    def forget_all(self) -> None:
        """The purge: no one's language is kept here any more (read again when they write)."""
        self._chosen.clear()

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        return await self.locale_for(data.get("event_from_user"))

    async def locale_for(self, user: User | None) -> str:
        """The language to speak to `user`, as for an update of theirs."""
        if user is None:
            return DEFAULT_LANGUAGE
        if self._shared or user.id not in self._chosen:
            try:
                self._chosen[user.id] = await self._lookup(user.id)
            except Exception as exc:  # whatever the database says, keep talking
                # The database is down: speak what is known here, else the client's language
                # (nothing new is kept, so the stored choice is back as soon as the database
                # is), and let the handler meet the outage and say so in that language.
                log.warning("Language lookup failed: %s", type(exc).__name__)
        return self.known_locale(user)

    def known_locale(self, user: User | None) -> str:
        """The language to speak to `user` without asking the database (it may be down)."""
        if user is None:
            return DEFAULT_LANGUAGE
        chosen = self._chosen.get(user.id)
        return chosen or supported_language(user.language_code) or DEFAULT_LANGUAGE
