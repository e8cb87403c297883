"""/help: the steps and the Secretariat's address; closing it returns to where one was."""

from __future__ import annotations

from typing import Any

from aiogram.types import User
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import Dialog, DialogManager
from aiogram_dialog.widgets.kbd import Cancel
from aiogram_dialog.widgets.text import Multi

from dialogs.messages import help_text, when
from dialogs.screen import screen
from dialogs.states import Help
from dialogs.widgets import Html, T
from survey.enrolment import Enrolment
from survey.secretariat import Secretariat


def _secretariat_help() -> str:
    """A member's own commands (they see them in their command menu too)."""
    from bot.secretariat import secretariat_command_descriptions

    lines = [f"/{name}: {text}" for name, text in secretariat_command_descriptions().items()]
    return "\n".join([_("<b>For the Secretariat</b>"), *lines])


async def help_getter(
    dialog_manager: DialogManager,
    enrolment: Enrolment,
    secretariat: Secretariat,
    event_from_user: User,
    **_: Any,
) -> dict[str, Any]:
    # Read on every showing: an extension by the Secretariat shows at once.
    deadline = await enrolment.deadline()
    member = secretariat.is_member(event_from_user.id)
    return {
        "secretariat": _secretariat_help() if member else "",
        "member": member,
        "help": help_text(dialog_manager.middleware_data["settings"].contact_email),
        "deadline": when(deadline.at),
        "closes": deadline.at is not None and not deadline.closed,
        "closed": deadline.closed,
    }


def build_dialog() -> Dialog:
    return Dialog(
        screen(
            Multi(
                Html("{help}"),
                T("/privacy: what is stored about you, who sees it, and for how long."),
                T("The survey closes on {deadline}.", when="closes"),
                T("Your data: /mydata shows what is held about you; /forgetme erases it."),
                Html("{secretariat}", when="member"),
                T(
                    "The survey closed on {deadline}. Answers can no longer be changed.",
                    when="closed",
                ),
                sep="\n\n",
            ),
            Cancel(T("OK")),
            getter=help_getter,
            state=Help.show,
        )
    )
