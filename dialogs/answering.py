"""Storing the level a button names: from the current window, or from an older one."""

from __future__ import annotations

from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager, ShowMode, StartMode

from dialogs.deps import FRESH_PROGRESS, survey_events
from dialogs.messages import stale_button
from dialogs.presses import answer_press
from dialogs.states import Survey
from survey.answering import Answering
from survey.views import Progress

NUMBER = "number"  # dialog data (and start data): the Recommendation on screen
LEVELS = "lv"  # the level buttons' widget id, read back from older presses


def level_item(number: int, level: str) -> str:
    return f"{number}:{level}"


def parse_level_item(item: str) -> tuple[int, str] | None:
    number, _, level = item.partition(":")
    return (int(number), level) if number.isdigit() and level else None


def level_press(data: str) -> tuple[int, str] | None:
    """The (Recommendation, level) that a level button's callback data names, once the
    dialog's intent id is removed from it; None for any other button."""
    widget, _, item = data.partition(":")
    return parse_level_item(item) if widget == LEVELS else None


async def record_level(
    callback: CallbackQuery, manager: DialogManager, named: tuple[int, str]
) -> Progress | None:
    """Store the level a press names; None for a button that names no Recommendation of ours
    (answered as an older message's). A refusal rises to the error handler."""
    answering: Answering = manager.middleware_data["answering"]
    number, level = named
    if not answering.questionnaire.has_recommendation(number):
        await answer_press(callback, stale_button())
        return None
    progress = await answering.record_answer(callback.from_user.id, number, level)
    survey_events(manager.middleware_data).answer_stored("level")
    return progress


async def answer_older_level_press(
    callback: CallbackQuery,
    manager: DialogManager,
    named: tuple[int, str],
    *,
    show_mode: ShowMode | None = None,
) -> None:
    """A level button of a window that is no longer the current one (an older message, a
    window from before /help, a restart): the person chose this level for the Recommendation
    that message shows, so store it, then go on from there in a fresh stack."""
    progress = await record_level(callback, manager, named)
    if progress is None:
        return
    await answer_press(callback)
    following = progress.next_unanswered(named[0])
    if following is None:
        await manager.start(Survey.review, mode=StartMode.RESET_STACK, show_mode=show_mode)
        return
    manager.middleware_data[FRESH_PROGRESS] = progress
    await manager.start(
        Survey.question, {NUMBER: following}, mode=StartMode.RESET_STACK, show_mode=show_mode
    )
