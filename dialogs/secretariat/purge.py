"""/purge: after the results are reported, the Secretariat purges personal data from the
chat, after a confirmation that shows what would change (survey/purge.py). The automatic
purge (RETENTION_DAYS) is told to the Secretariat with the same message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram.types import CallbackQuery, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import Dialog, DialogManager
from aiogram_dialog.widgets.kbd import Button, Cancel

from dialogs.deps import PRIVACY_PURGE, PurgeInProcess
from dialogs.markup import render
from dialogs.messages import when
from dialogs.screen import screen
from dialogs.secretariat.common import actor
from dialogs.states import Purge
from dialogs.widgets import T
from reports.numbers import format_number
from survey.purge import PurgeCounts
from survey.rules import is_open

APPLY = "ap"
FORCE = "fo"
CANCEL = "cn"
DONE = "ok"

DONE_COUNTS = "done"  # dialog data: what the purge changed


def _purge_of(manager: DialogManager) -> PurgeInProcess:
    purge: PurgeInProcess = manager.middleware_data[PRIVACY_PURGE]
    return purge


def _numbers(counts: PurgeCounts, language: str) -> dict[str, str]:
    return {
        "people": format_number(counts.representatives, language),
        "codes": format_number(counts.invitations, language),
        "choices": format_number(counts.preferences, language),
    }


async def confirm_getter(
    dialog_manager: DialogManager, event_from_user: User, i18n: I18n, **_: Any
) -> dict[str, Any]:
    purge = _purge_of(dialog_manager)
    counts = await purge.plan(actor(event_from_user))
    open_now = counts.deadline is None or is_open(counts.deadline, purge.now())
    return {
        **_numbers(counts, i18n.current_locale),
        "deadline": when(counts.deadline) if counts.deadline else "",
        "closed": not open_now,
        "not_closed": open_now,
        "open": open_now and counts.deadline is not None,
        "no_deadline": counts.deadline is None,
    }


async def _apply(manager: DialogManager, *, force: bool) -> None:
    data = manager.middleware_data
    purge = _purge_of(manager)
    counts = await purge.apply(actor(data["event_from_user"]), force=force)
    manager.dialog_data[DONE_COUNTS] = [
        counts.representatives,
        counts.invitations,
        counts.preferences,
    ]
    await purge.tell_secretariat(data["bot"], counts, actor=actor(data["event_from_user"]))
    await manager.switch_to(Purge.done)


async def on_apply(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    await _apply(manager, force=False)


async def on_force(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    await _apply(manager, force=True)


async def done_getter(dialog_manager: DialogManager, i18n: I18n, **_: Any) -> dict[str, Any]:
    people, codes, choices = dialog_manager.dialog_data.get(DONE_COUNTS, [0, 0, 0])
    language = i18n.current_locale
    return {
        "people": format_number(people, language),
        "codes": format_number(codes, language),
        "choices": format_number(choices, language),
    }


def purge_messages(
    counts: PurgeCounts, members: Sequence[tuple[int, str]], i18n: I18n
) -> list[tuple[int, str]]:
    """(chat, text) for each Secretariat member (id, language): what a purge did."""
    messages = []
    with i18n.context():
        for member, language in members:
            with i18n.use_locale(language):
                text = render(
                    _(
                        "🧹 Personal data purged. Representatives replaced by a pseudonym: "
                        "{people}; invitation codes deleted: {codes}; language choices "
                        "deleted: {choices}. Dialog state was cleared. The answers and "
                        "submissions stay, attributed to the pseudonyms."
                    ),
                    **_numbers(counts, language),
                )
            messages.append((member, str(text)))
    return messages


def build_dialog() -> Dialog:
    return Dialog(
        screen(
            T(
                "<b>Purge personal data?</b>\nRepresentatives replaced by a pseudonym: "
                "{people}. Invitation codes deleted: {codes}. Language choices deleted: "
                "{choices}. Every chat's dialog state is cleared.\n\nThe answers, comments "
                "and submissions stay, attributed to the pseudonyms; exports made afterwards "
                "carry pseudonyms only. This cannot be undone, and nobody can verify again "
                "with an old code."
            ),
            T("\nThe survey closed on {deadline}.", when="closed"),
            T(
                "\n⚠ The survey is still open, until {deadline}: purging now ends it for "
                "everyone verified.",
                when="open",
            ),
            T("\n⚠ The survey has no closing time.", when="no_deadline"),
            Button(T("🧹 Purge now"), id=APPLY, on_click=on_apply, when="closed"),
            Button(T("⚠ Purge anyway"), id=FORCE, on_click=on_force, when="not_closed"),
            Cancel(T("◀ Cancel"), id=CANCEL),
            getter=confirm_getter,
            state=Purge.confirm,
        ),
        screen(
            T(
                "🧹 Purged. Representatives replaced by a pseudonym: {people}; invitation "
                "codes deleted: {codes}; language choices deleted: {choices}."
            ),
            Cancel(T("OK"), id=DONE),
            getter=done_getter,
            state=Purge.done,
        ),
    )
