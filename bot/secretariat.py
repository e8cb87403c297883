"""The Secretariat's side of the chat: one router, guarded by one filter.

Every Secretariat command and every button of the Secretariat's dialogs goes through
`secretariat_router`, whose filter asks the survey (`Secretariat.is_member`, from ADMIN_IDS)
on every use; the dialogs are included in this router, so their buttons are checked too. For
anyone else the router does not exist: their command falls through to the ordinary "unknown
command" reply, which gives no hint that it means something to someone, and a forged press
on a Secretariat button is answered like any button of an older message.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import BaseFilter, Command
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode

from dialogs.markup import Markup, render
from dialogs.secretariat import results
from dialogs.states import Results
from survey.secretariat import Secretariat

SECRETARIAT_COMMANDS = ("results", "export", "offices", "invite", "remind", "deadline", "reopen")


class IsSecretariat(BaseFilter):
    """The one check for everything the Secretariat may do in the chat."""

    async def __call__(
        self, event: Message | CallbackQuery, secretariat: Secretariat, **data: Any
    ) -> bool:
        user: User | None = data.get("event_from_user")
        return user is not None and secretariat.is_member(user.id)


async def show_results(
    message: Message,
    dialog_manager: DialogManager,
    secretariat: Secretariat,
    event_from_user: User,
    i18n: I18n,
    bot: Bot,
) -> None:
    await results.send_chart(
        bot, message.chat.id, secretariat, event_from_user, i18n.current_locale, drafts=False
    )
    await dialog_manager.start(Results.digest, show_mode=ShowMode.SEND)


async def export(
    message: Message, secretariat: Secretariat, event_from_user: User, i18n: I18n, bot: Bot
) -> None:
    await message.answer(
        _(
            "Preparing the files: the answers (CSV), the workbook (XLSX) and "
            "the collated results (DOCX)…"
        )
    )
    await results.send_results_files(
        bot, message.chat.id, secretariat, event_from_user, i18n.current_locale, drafts=False
    )


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
    router.message.register(show_results, Command("results"))
    router.message.register(export, Command("export"))
    router.message.register(from_the_command_line, Command(*SECRETARIAT_COMMANDS))
    router.include_router(results.build_dialog())
    return router
