"""What every Secretariat window and command needs: who acts, in which language."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from aiogram import Bot
from aiogram.types import BufferedInputFile, User
from aiogram.utils.i18n import I18n
from aiogram_dialog import DialogManager

from survey.model import Actor
from survey.secretariat import Secretariat

Result = TypeVar("Result")


def actor(user: User) -> Actor:
    return Actor.telegram(user.id, user.full_name)


def acting(manager: DialogManager) -> tuple[Secretariat, Actor, str]:
    """The Secretariat use cases, the member acting, and their language."""
    data = manager.middleware_data
    i18n: I18n = data["i18n"]
    return data["secretariat"], actor(data["event_from_user"]), i18n.current_locale


async def off_the_loop(work: Callable[[], Result]) -> Result:
    """Charts and files take up to seconds of CPU: made in a thread, so that nobody else's
    click waits for them."""
    return await asyncio.to_thread(work)


async def send_file(bot: Bot, chat_id: int, name: str, data: bytes) -> None:
    await bot.send_document(chat_id, BufferedInputFile(data, filename=name))
