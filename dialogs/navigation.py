"""Where a person belongs, decided from the database (never from dialog state), and how a
refusal from the survey is shown."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, ShowMode, StartMode

from dialogs.deps import FRESH_PROGRESS
from dialogs.messages import refusal_text
from dialogs.presses import answer_press
from dialogs.privacy import notice_due
from dialogs.states import Notice, Onboarding, Survey
from survey.enrolment import Enrolment
from survey.errors import Reason, Refused

# Start data of the code prompt: the Secretariat removed this person (the prompt says so).
REMOVED = "removed"

# Refusals of what only the Secretariat does: said, and the member stays where they are.
SECRETARIAT_REASONS = frozenset(
    {
        Reason.NOT_SECRETARIAT,
        Reason.UNKNOWN_OFFICE,
        Reason.NOT_SUBMITTED,
        Reason.BAD_INVITATION_TERMS,
        Reason.UNKNOWN_REPRESENTATIVE,
        Reason.ALREADY_REMOVED,
        Reason.UNKNOWN_INVITATION,
        Reason.DEADLINE_NOT_FUTURE,
        Reason.DEADLINE_TOO_FAR,
        Reason.PURGE_BEFORE_DEADLINE,
    }
)


async def open_journey(manager: DialogManager, *, show_mode: ShowMode | None = None) -> None:
    """Code prompt, first unanswered Recommendation, review, or receipt: whichever is due."""
    enrolment: Enrolment = manager.middleware_data["enrolment"]
    user = manager.middleware_data["event_from_user"]
    try:
        found = await enrolment.whereabouts(user.id)
    except Refused as refusal:
        if refusal.reason is not Reason.REPRESENTATIVE_REMOVED:
            raise
        await manager.start(
            Onboarding.code, {REMOVED: True}, mode=StartMode.RESET_STACK, show_mode=show_mode
        )
        return
    if found is None:
        await manager.start(Onboarding.code, mode=StartMode.RESET_STACK, show_mode=show_mode)
        return
    if await notice_due(manager, user.id):
        # Before the first answer, and once more for whoever was verified before the notice
        # (or before its text changed).
        await manager.start(Notice.notice, mode=StartMode.RESET_STACK, show_mode=show_mode)
        return
    progress = found.progress
    data: dict[str, Any] = {}
    if progress.submitted:
        state = Survey.receipt
    elif progress.complete or progress.read_only:
        state = Survey.review
    else:
        state, data = Survey.question, {"number": progress.first_unanswered}
        manager.middleware_data[FRESH_PROGRESS] = progress
    await manager.start(state, data=data, mode=StartMode.RESET_STACK, show_mode=show_mode)


async def show_refusal(
    event: Message | CallbackQuery, manager: DialogManager, refusal: Refused
) -> None:
    """The one place a refusal is shown: handlers let `Refused` rise, and the error handler
    (bot/errors.py) calls this. Say why, then put the person where the refusal says they now
    belong; for anything else they stay where they were (nothing was changed)."""
    reason = refusal.reason
    text = refusal_text(refusal)
    if isinstance(event, CallbackQuery):
        await answer_press(event, text)
    elif reason is not Reason.REPRESENTATIVE_REMOVED:  # the code prompt says that one itself
        await event.answer(text)
    if reason in SECRETARIAT_REASONS:
        return
    if reason is Reason.ALREADY_SUBMITTED:
        await manager.start(Survey.receipt, mode=StartMode.RESET_STACK)
    elif reason is Reason.NOT_VERIFIED:
        await manager.start(Onboarding.code, mode=StartMode.RESET_STACK)
    elif reason is Reason.REPRESENTATIVE_REMOVED:
        await manager.start(Onboarding.code, {REMOVED: True}, mode=StartMode.RESET_STACK)
    elif reason in (Reason.INCOMPLETE, Reason.DEADLINE_PASSED):
        await manager.start(Survey.review, mode=StartMode.RESET_STACK)
    elif not manager.has_context():  # nothing on screen yet (e.g. `/start <wrong code>`)
        await open_journey(manager)


def start_data(manager: DialogManager) -> dict[str, Any]:
    data = manager.start_data
    return dict(data) if isinstance(data, dict) else {}
