"""The page's words, from the same gettext catalogs as the chat: the JavaScript gets them as
one JSON object per language, so that no text lives in the static files."""

from __future__ import annotations

from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _


def _texts() -> dict[str, str]:
    # Keys are the JavaScript's names; values are read in the active locale.
    return {
        "loading": _("Loading…"),
        "saved": _("Saved"),
    }


def page_texts(i18n: I18n, lang: str) -> dict[str, str]:
    """Every text the pages show, in `lang`."""
    with i18n.context(), i18n.use_locale(lang):
        return _texts()
