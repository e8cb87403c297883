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

from aiogram import Bot, Router
from aiogram.filters import BaseFilter, Command, CommandObject
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode

from bot import filters
from dialogs.jobs import jobs_of
from dialogs.paperwork import upload_document
from dialogs.secretariat import deadline as deadline_dialog
from dialogs.secretariat import invitations, reminders, results
from dialogs.secretariat import offices as offices_dialog
from dialogs.secretariat import purge as purge_dialog
from dialogs.secretariat import questionnaire as questionnaire_dialog
from dialogs.secretariat import reopen as reopen_dialog
from dialogs.secretariat.common import actor
from dialogs.secretariat.offices import open_offices
from dialogs.states import Deadline, Purge, Remind, Reopen, Results
from survey.answering import Answering
from survey.errors import Reason, Refused
from survey.jobs import JobKind
from survey.secretariat import Secretariat

SECRETARIAT_COMMANDS = (
    "results",
    "export",
    "offices",
    "invite",
    "remind",
    "deadline",
    "reopen",
    "questionnaire",
    "purge",
)


def secretariat_command_descriptions() -> dict[str, str]:
    """The Secretariat's part of the command menu (in its members' chats only)."""
    return {
        "results": _("Results: digest and chart"),
        "export": _("Files: answers, workbook, collated results"),
        "offices": _("Offices and where they stand"),
        "invite": _("Invite an Office (/invite EP, /invite all pending)"),
        "remind": _("Remind the Offices that have not submitted"),
        "deadline": _("See or extend the closing time"),
        "reopen": _("Reopen a submitted response (/reopen EP)"),
        "questionnaire": _("The questionnaire in force; send a new version"),
        "purge": _("Purge personal data once the results are reported"),
    }


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
    # The window now, the chart when it is drawn (with the window again below it).
    await dialog_manager.start(Results.digest, show_mode=ShowMode.SEND)
    await results.ask_results(
        jobs_of(dialog_manager),
        JobKind.CHART,
        message.chat.id,
        event_from_user,
        i18n.current_locale,
        drafts=False,
        window=ShowMode.DELETE_AND_SEND,
    )


async def export(
    message: Message, dialog_manager: DialogManager, event_from_user: User, i18n: I18n
) -> None:
    await message.answer(
        _(
            "Preparing the files: the answers (CSV), the workbook (XLSX) and "
            "the collated results (DOCX)…"
        )
    )
    await results.ask_results(
        jobs_of(dialog_manager),
        JobKind.EXPORT,
        message.chat.id,
        event_from_user,
        i18n.current_locale,
        drafts=False,
        window=None,
    )


async def offices(message: Message, command: CommandObject, dialog_manager: DialogManager) -> None:
    await open_offices(dialog_manager, (command.args or "").strip() or None)


async def remind(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(Remind.confirm)


async def deadline(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(Deadline.show)


async def purge(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(Purge.confirm)


async def show_questionnaire(message: Message, dialog_manager: DialogManager) -> None:
    await questionnaire_dialog.open_questionnaire(dialog_manager)


async def document(
    message: Message,
    dialog_manager: DialogManager,
    answering: Answering,
    event_from_user: User,
    i18n: I18n,
) -> None:
    """A member's document is a new questionnaire, unless it is their Office's workbook (see
    `takes_questionnaire`)."""
    if await questionnaire_dialog.takes_questionnaire(dialog_manager, event_from_user.id):
        await questionnaire_dialog.upload_questionnaire(
            message, dialog_manager, event_from_user, i18n
        )
    else:
        await upload_document(message, dialog_manager, answering, event_from_user, i18n)


async def reopen(
    message: Message,
    command: CommandObject,
    dialog_manager: DialogManager,
    secretariat: Secretariat,
    event_from_user: User,
) -> None:
    code = (command.args or "").strip()
    if not code:
        await message.answer(
            _("Send /reopen followed by the Office's ST.3 code, for example /reopen EP.")
        )
        return
    detail = await secretariat.office_detail(code, actor(event_from_user))
    if not detail.submitted:
        raise Refused(Reason.NOT_SUBMITTED, office=detail.office)
    await dialog_manager.start(Reopen.confirm, {"office": detail.office.code})


def secretariat_router() -> Router:
    """Included before the representatives' commands; built afresh for each dispatcher."""
    router = Router(name="secretariat")
    router.message.filter(filters.in_private_chat, IsSecretariat())
    router.callback_query.filter(IsSecretariat())
    router.message.register(show_results, Command("results"))
    router.message.register(export, Command("export"))
    router.message.register(offices, Command("offices"))
    router.message.register(invitations.invite, Command("invite"))
    router.message.register(remind, Command("remind"))
    router.message.register(deadline, Command("deadline"))
    router.message.register(reopen, Command("reopen"))
    router.message.register(show_questionnaire, Command("questionnaire"))
    router.message.register(purge, Command("purge"))
    router.message.register(document, filters.has_document)
    router.callback_query.register(
        questionnaire_dialog.on_preview_press, questionnaire_dialog.is_preview_press
    )
    router.include_routers(
        results.build_dialog(),
        offices_dialog.build_dialog(),
        reopen_dialog.build_dialog(),
        deadline_dialog.build_dialog(),
        reminders.build_dialog(),
        questionnaire_dialog.build_dialog(),
        purge_dialog.build_dialog(),
    )
    return router
