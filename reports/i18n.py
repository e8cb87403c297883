"""The fixed wording of the reports in English, French or Spanish, from the bot's own gettext
catalogs (``locales/``), without aiogram.

A report module writes ``_ = translations(lang).gettext`` and wraps each fixed text in ``_()``
(``N_()`` marks texts kept in constants and translated where they are used); ``python -m bot
catalogs update`` extracts them from ``reports/`` with the bot's strings.

The catalogs are read from the ``.po`` files themselves (compiled in memory, once per language
and process): the ``.mo`` files are build products that a fresh checkout or a wheel may not have
yet, and reading the source means a report never shows a stale translation.
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.support import Translations

import locales
from survey.questionnaire import DEFAULT_LANGUAGE, LANGUAGES

__all__ = ["DOMAIN", "LOCALES_DIR", "N_", "report_language", "translations"]

LOCALES_DIR = Path(locales.__file__).parent
DOMAIN = "messages"


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark ``message`` for extraction without translating it here."""
    return message


def report_language(lang: str | None) -> str:
    """``lang`` if the reports speak it, else English."""
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


@lru_cache(maxsize=len(LANGUAGES) + 1)
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog of ``lang`` (``gettext``, ``ngettext``); English, the source language, and
    any language without a catalog give the texts as written."""
    po_path = LOCALES_DIR / report_language(lang) / "LC_MESSAGES" / f"{DOMAIN}.po"
    if report_language(lang) == DEFAULT_LANGUAGE or not po_path.is_file():
        return gettext.NullTranslations()
    # Babel's catalog tools at the first report in the language, not in every process.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=report_language(lang))
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as by pybabel compile
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
