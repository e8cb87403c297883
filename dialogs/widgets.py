"""Translated text for windows: every window text and button goes through gettext."""

from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import I18n
from aiogram_dialog.api.protocols import DialogManager
from aiogram_dialog.widgets.common import WhenCondition
from aiogram_dialog.widgets.text import Text


class T(Text):
    """`T("Recommendation {number} of {total}")`: translated, then formatted with the getter's
    data. The msgid is extracted by pybabel (keyword T, see bot/catalogs.py)."""

    def __init__(self, msgid: str, when: WhenCondition = None) -> None:
        super().__init__(when=when)
        self.msgid = msgid

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        i18n: I18n = manager.middleware_data["i18n"]
        return i18n.gettext(self.msgid).format_map(data)
