"""The routers' filters, as coroutines.

aiogram runs a filter that is not a coroutine function, a magic ``F`` filter included, in a
worker thread (``asyncio.to_thread``): one thread round trip for each check of each update.
Under load on a small machine that was a noticeable share of a click; these say the same
thing and run on the event loop.
"""

from __future__ import annotations

from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message


async def in_private_chat(message: Message) -> bool:
    return message.chat.type == ChatType.PRIVATE


async def outside_private_chat(message: Message) -> bool:
    return message.chat.type != ChatType.PRIVATE


async def pressed_outside_private_chat(callback: CallbackQuery) -> bool:
    # A press without its message (too old, or inline) is nobody's group.
    message = callback.message
    return message is not None and message.chat.type != ChatType.PRIVATE


async def looks_like_a_command(message: Message) -> bool:
    return bool(message.text) and message.text.startswith("/")  # type: ignore[union-attr]


async def has_document(message: Message) -> bool:
    return message.document is not None


async def has_text(message: Message) -> bool:
    return bool(message.text)
