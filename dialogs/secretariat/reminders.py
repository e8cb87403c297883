"""Reminders to the representatives of every Office that has not submitted: /remind (counted,
confirmed, then sent at Telegram's pace with a report at the end), and the automatic ones at
REMINDER_OFFSETS before the deadline (`remind_if_due`, called by the bot's scheduler)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.types import CallbackQuery, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import Dialog, DialogManager
from aiogram_dialog.widgets.kbd import Button, Cancel

from dialogs.deps import Notifier
from dialogs.markup import render
from dialogs.messages import reminder_text
from dialogs.screen import screen
from dialogs.secretariat.common import acting, actor
from dialogs.states import Remind
from dialogs.widgets import T
from reports.numbers import format_number
from survey.broadcasts import BroadcastKind, BroadcastReport
from survey.secretariat import ReminderAudience, Secretariat

# Widget ids: they travel in callback data, so they are short and never reused.
SEND = "snd"
CANCEL = "cn"
CLOSE = "ok"

SENDING = "sending"  # dialog data: how many reminders are going out


def reminders(audience: ReminderAudience, i18n: I18n) -> list[tuple[int, str]]:
    """(chat, text) for each recipient, in their own language."""
    messages = []
    # Also outside an update (the automatic reminders): the texts need this i18n as context.
    with i18n.context():
        for person in audience.recipients:
            lang = person.language or "en"
            with i18n.use_locale(lang):
                text = reminder_text(person.office.name(lang), audience.deadline)
            messages.append((person.telegram_user_id, text))
    return messages


async def confirm_getter(
    secretariat: Secretariat, event_from_user: User, i18n: I18n, **_: Any
) -> dict[str, Any]:
    audience = await secretariat.reminder_audience(actor(event_from_user))
    people = len(audience.recipients)
    lang = i18n.current_locale
    return {
        "people": format_number(people, lang),
        "offices": format_number(audience.offices, lang),
        "anyone": people > 0,
        "nobody": people == 0,
        "unverified": format_number(len(audience.unverified), lang),
        "some_unverified": bool(audience.unverified),
        "codes": ", ".join(office.code for office in audience.unverified),
    }


async def on_send(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    secretariat, who, lang = acting(manager)
    audience = await secretariat.reminder_audience(who)
    i18n: I18n = manager.middleware_data["i18n"]
    notifier: Notifier = manager.middleware_data["notifier"]
    messages = reminders(audience, i18n)
    # Stored before the window says they are going out; the report comes when the last one
    # is answered, from whichever process finishes them (`report_reminders`).
    await notifier.post(
        manager.middleware_data["bot"],
        BroadcastKind.REMIND,
        messages,
        actor=who,
        report_chat=callback.from_user.id,
        report_language=lang,
    )
    manager.dialog_data[SENDING] = len(messages)
    await manager.switch_to(Remind.sending)


async def report_reminders(bot: Bot, i18n: I18n, report: BroadcastReport) -> None:
    """A finished /remind told to the Secretariat member who sent it, in their language."""
    if report.kind is not BroadcastKind.REMIND or report.report_chat is None:
        return
    with i18n.context(), i18n.use_locale(report.report_language or "en"):
        text = render(
            _(
                "📨 Reminders done. Delivered: {sent}; not delivered because the person "
                "blocked the bot: {blocked}; failed: {failed}."
            ),
            sent=format_number(report.delivered, report.report_language or "en"),
            blocked=format_number(report.blocked, report.report_language or "en"),
            failed=format_number(report.failed, report.report_language or "en"),
        )
    await bot.send_message(report.report_chat, text)


async def sending_getter(dialog_manager: DialogManager, i18n: I18n, **_: Any) -> dict[str, Any]:
    return {"count": format_number(dialog_manager.dialog_data.get(SENDING, 0), i18n.current_locale)}


def build_dialog() -> Dialog:
    return Dialog(
        screen(
            T(
                "A reminder to send. Representatives: <b>{people}</b>; Offices that have not "
                "submitted: <b>{offices}</b>. Each gets it in their own language.",
                when="anyone",
            ),
            T("Nobody to remind: every verified Office has submitted.", when="nobody"),
            T(
                "\nInvited, but nobody verified ({unverified}): {codes}. A reminder in the chat "
                "cannot reach them; please write to them by e-mail.",
                when="some_unverified",
            ),
            Button(T("📨 Send the reminder"), id=SEND, on_click=on_send, when="anyone"),
            Cancel(T("◀ Cancel"), id=CANCEL),
            getter=confirm_getter,
            state=Remind.confirm,
        ),
        screen(
            T(
                "📨 Sending the reminders ({count}) at Telegram's pace. You get a report here "
                "when they are all out."
            ),
            Cancel(T("OK"), id=CLOSE),
            getter=sending_getter,
            state=Remind.sending,
        ),
    )


async def remind_if_due(
    secretariat: Secretariat,
    notifier: Notifier,
    bot: Bot,
    i18n: I18n,
    offsets: Sequence[timedelta],
) -> int:
    """The automatic reminder, if one is due and this process won it: claimed and recorded
    as a broadcast in one unit of work (so two replicas or a restart never send it twice,
    and a process killed right after claiming it leaves it to the next one). How many were
    posted."""
    if not offsets:
        return 0
    due = await secretariat.claim_due_reminder(offsets, lambda audience: reminders(audience, i18n))
    if due is None or due.broadcast is None:
        return 0
    notifier.start(bot, due.broadcast)
    return due.recipients
