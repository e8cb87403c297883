"""The Secretariat's side of the chat: one router, guarded by one filter.

Every Secretariat command and every Secretariat button goes through `secretariat_router`,
whose filter asks the survey (`Secretariat.is_member`, from ADMIN_IDS) on every use. For anyone
else the router does not exist: their command falls through to the ordinary "unknown
command" reply, which gives no hint that it means something to someone.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import BaseFilter, Command
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.i18n import gettext as _

from dialogs.markup import Markup, render
from survey.secretariat import Secretariat

SECRETARIAT_COMMANDS = ("results", "export", "offices", "invite", "remind", "deadline", "reopen")


class IsSecretariat(BaseFilter):
    """The one check for everything the Secretariat may do in the chat."""

    async def __call__(
        self, event: Message | CallbackQuery, secretariat: Secretariat, **data: Any
    ) -> bool:
        user: User | None = data.get("event_from_user")
        return user is not None and secretariat.is_member(user.id)


async def from_the_command_line(message: Message) -> None:
    await message.answer(
        render(
            _("The Secretariat's commands are available from the command line for now: {command}"),
            command=Markup("<code>python -m bot --help</code>"),
        )
    )


def secretariat_router() -> Router:
    """Included before the representatives' commands; built afresh for each dispatcher."""
    router = Router(name="secretariat")
    router.message.filter(F.chat.type == ChatType.PRIVATE, IsSecretariat())
    router.callback_query.filter(IsSecretariat())
    router.message.register(from_the_command_line, Command(*SECRETARIAT_COMMANDS))
    return router
