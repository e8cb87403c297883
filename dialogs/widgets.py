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
from reports.numbers import format_number


class Html(Text):
    """`Html("<b>{title}</b>")`: an HTML template filled with the getter's data, escaped."""

    def __init__(self, template: str, when: WhenCondition = None) -> None:
        super().__init__(when=when)
        self.template = template

    def _template(self, manager: DialogManager) -> str:
        return self.template

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        return self.text(data, manager)

    def text(self, data: dict[str, Any], manager: DialogManager) -> str:
        return render(self._template(manager), data)


class T(Html):
    """`T("Recommendation {number} of {total}")`: translated, then filled like `Html`. The
    msgid is extracted by pybabel (keyword T, see bot/catalogs.py)."""

    def _template(self, manager: DialogManager) -> str:
        i18n: I18n = manager.middleware_data["i18n"]
        return i18n.gettext(self.template)


class Plural(Html):
    """`Plural("{count} answer", "{count} answers", count="count")`: the form the reader's
    language uses for the getter's `count` (an int), which is written in the reader's
    notation ("1 000"). Extracted by pybabel (keyword Plural:1,2, see bot/catalogs.py)."""

    def __init__(
        self, singular: str, plural: str, *, count: str, when: WhenCondition = None
    ) -> None:
        super().__init__(singular, when=when)
        self.plural = plural
        self.count = count

    def text(self, data: dict[str, Any], manager: DialogManager) -> str:
        i18n: I18n = manager.middleware_data["i18n"]
        n = int(data[self.count])
        template = i18n.gettext(self.template, self.plural, n)
        return render(template, data, **{self.count: format_number(n, i18n.current_locale)})


class Lines(Text):
    """`Lines(T(...), Html(...), ...)`: the texts shown (each by its own `when`), one per line,
    as a window joins its texts, drawn in one call: a window drawn after every answer need
    not take each text through aiogram-dialog's layers."""

    def __init__(self, *texts: Html, when: WhenCondition = None) -> None:
        super().__init__(when=when)
        self.texts = texts

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        shown = [text.text(data, manager) for text in self.texts if text.is_(data, manager)]
        return "\n".join(line for line in shown if line)
