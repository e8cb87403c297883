"""/help: the steps and the Secretariat's address; closing it returns to where one was."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import Dialog, DialogManager
from aiogram_dialog.widgets.kbd import Cancel
from aiogram_dialog.widgets.text import Multi

from dialogs.messages import help_text, when
from dialogs.screen import screen
from dialogs.states import Help
from dialogs.widgets import Html, T
from survey.enrolment import Enrolment


async def help_getter(
    dialog_manager: DialogManager, enrolment: Enrolment, **_: Any
) -> dict[str, Any]:
    # Read on every showing: an extension by the Secretariat shows at once.
    deadline = await enrolment.deadline()
    return {
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
                T("The survey closes on {deadline}.", when="closes"),
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
