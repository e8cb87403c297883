"""/reopen OFFICE: after a confirmation (and an optional reason), a submitted response is a
draft again; the Office's representatives are told, each in their language."""

from __future__ import annotations

from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import Dialog, DialogManager
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel

from dialogs.deps import Notifier
from dialogs.markup import render
from dialogs.messages import when
from dialogs.navigation import start_data
from dialogs.screen import screen
from dialogs.secretariat.common import acting, actor
from dialogs.states import Reopen
from dialogs.widgets import Plural, T
from reports.numbers import format_number
from survey.broadcasts import BroadcastKind
from survey.model import Actor
from survey.rules import MAX_COMMENT_LENGTH
from survey.secretariat import Reopening, Secretariat

# Widget ids: they travel in callback data, so they are short and never reused.
WITHOUT_REASON = "nr"
CANCEL = "cn"
DONE = "ok"

OFFICE = "office"  # start data: the Office's code
TOLD = "told"  # dialog data: how many representatives were told


async def confirm_getter(
    dialog_manager: DialogManager,
    secretariat: Secretariat,
    event_from_user: User,
    i18n: I18n,
    **_: Any,
) -> dict[str, Any]:
    detail = await secretariat.office_detail(
        str(start_data(dialog_manager).get(OFFICE, "")), actor(event_from_user)
    )
    return {
        "office": f"{detail.office.code} · {detail.office.name(i18n.current_locale)}",
        "time": when(detail.submitted_at),
        "name": detail.submitted_by or "",
        "people": format_number(len(detail.active_representatives), i18n.current_locale),
        "limit": MAX_COMMENT_LENGTH,
    }


def reopen_messages(reopening: Reopening, reason: str, i18n: I18n) -> list[tuple[int, str]]:
    """(chat, text) for each of the Office's representatives, in their own language (also
    from the command line: the texts need this i18n as context)."""
    messages = []
    with i18n.context():
        for person in reopening.representatives:
            with i18n.use_locale(person.language or "en"):
                text = render(
                    _(
                        "↩ The Secretariat has reopened your Office's answers, which were "
                        "submitted. You can change them again, and then submit once more: "
                        "send /review."
                    )
                )
                if reason:
                    text += render("\n" + _("Reason given: {reason}"), reason=reason)
            messages.append((person.telegram_user_id, str(text)))
    return messages


async def _tell(manager: DialogManager, reopening: Reopening, reason: str, who: Actor) -> None:
    i18n: I18n = manager.middleware_data["i18n"]
    notifier: Notifier = manager.middleware_data["notifier"]
    messages = reopen_messages(reopening, reason, i18n)
    if messages:
        await notifier.post(
            manager.middleware_data["bot"], BroadcastKind.REOPEN, messages, actor=who
        )


async def _reopen(manager: DialogManager, reason: str) -> None:
    secretariat, who, _lang = acting(manager)
    reopening = await secretariat.reopen(
        str(start_data(manager).get(OFFICE, "")), who, reason=reason
    )
    await _tell(manager, reopening, reopening.reason, who)
    manager.dialog_data[TOLD] = len(reopening.representatives)
    await manager.switch_to(Reopen.done)


async def on_reason(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    reason = " ".join((message.text or "").split())[:MAX_COMMENT_LENGTH]
    await _reopen(manager, reason)


async def on_without_reason(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    await _reopen(manager, "")


async def done_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    return {
        **(await confirm_getter(dialog_manager, **kwargs)),
        "told": format_number(
            dialog_manager.dialog_data.get(TOLD, 0), kwargs["i18n"].current_locale
        ),
    }


def build_dialog() -> Dialog:
    return Dialog(
        screen(
            Plural(
                "<b>Reopen the answers of {office}?</b>\nSubmitted on {time} by {name}. "
                "The response becomes a draft again: its representatives ({people}) can "
                "change the answers and must submit once more. They are told.\n\n"
                "Send the reason in one message (kept in the audit trail and told to them, at "
                "most {limit} character), or reopen without a reason.",
                "<b>Reopen the answers of {office}?</b>\nSubmitted on {time} by {name}. "
                "The response becomes a draft again: its representatives ({people}) can "
                "change the answers and must submit once more. They are told.\n\n"
                "Send the reason in one message (kept in the audit trail and told to them, at "
                "most {limit} characters), or reopen without a reason.",
                count="limit",
            ),
            MessageInput(on_reason, content_types=[ContentType.TEXT]),
            Button(T("↩ Reopen without a reason"), id=WITHOUT_REASON, on_click=on_without_reason),
            Cancel(T("◀ Cancel"), id=CANCEL),
            getter=confirm_getter,
            state=Reopen.confirm,
        ),
        screen(
            T("↩ The answers of {office} are a draft again. Representatives told: {told}."),
            Cancel(T("OK"), id=DONE),
            getter=done_getter,
            state=Reopen.done,
        ),
    )
