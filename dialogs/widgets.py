"""Text widgets for window bodies: every value is escaped on its way into the HTML.

Button labels are not HTML (Telegram shows them as typed), so buttons that show data use
aiogram-dialog's plain `Format`; message bodies use these.
"""

from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import I18n
from aiogram_dialog.api.protocols import DialogManager
from aiogram_dialog.widgets.common import WhenCondition
from aiogram_dialog.widgets.text import Text

from dialogs.markup import render


class Html(Text):
    """`Html("<b>{title}</b>")`: an HTML template filled with the getter's data, escaped."""

    def __init__(self, template: str, when: WhenCondition = None) -> None:
        super().__init__(when=when)
        self.template = template

    def _template(self, manager: DialogManager) -> str:
        return self.template

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        return render(self._template(manager), data)


class T(Html):
    """`T("Recommendation {number} of {total}")`: translated, then filled like `Html`. The
    msgid is extracted by pybabel (keyword T, see bot/catalogs.py)."""

    def _template(self, manager: DialogManager) -> str:
        i18n: I18n = manager.middleware_data["i18n"]
        return i18n.gettext(self.template)
