"""aiogram's HTTP session to the Bot API, preparing requests with less work.

Before sending, aiogram turns every value of a request into what the form carries, walking
each model's dump key by key, a call for every field of every keyboard button (most of them
empty). A Recommendation's window has eleven buttons, and py-spy on the running bot showed
this walk costing five times what it costs a one-button window. Here the plain values (text,
numbers, flags) and the empty ones are settled in place; everything else goes through
aiogram's own `prepare_value` as before, so what is sent is the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram.client.session.aiohttp import AiohttpSession

if TYPE_CHECKING:
    from aiogram import Bot

_PLAIN = frozenset({str, int, float, bool})  # exactly these: an IntEnum goes the long way


class ApiSession(AiohttpSession):
    def prepare_value(
        self, value: Any, bot: Bot, files: dict[str, Any], _dumps_json: bool = True
    ) -> Any:
        if type(value) is dict:
            prepared = {
                key: item
                for key, raw in value.items()
                if (item := self._item(raw, bot, files)) is not None
            }
            return self.json_dumps(prepared) if _dumps_json else prepared
        if type(value) is list:
            items = [item for raw in value if (item := self._item(raw, bot, files)) is not None]
            return self.json_dumps(items) if _dumps_json else items
        return super().prepare_value(value, bot=bot, files=files, _dumps_json=_dumps_json)

    def _item(self, item: Any, bot: Bot, files: dict[str, Any]) -> Any:
        """An item of a dict or list as aiogram prepares it; plain and empty ones as they are."""
        if item is None or type(item) in _PLAIN:
            return item
        return self.prepare_value(item, bot=bot, files=files, _dumps_json=False)
