"""One window per Recommendation, and the comment input."""

from __future__ import annotations

import html
from operator import itemgetter
from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Group, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.context import FRESH_PROGRESS, ctx
from dialogs.navigation import show_refusal, start_data
from dialogs.screen import screen
from dialogs.states import Survey
from dialogs.widgets import T
from survey.errors import Refused
from survey.rules import MAX_COMMENT_LENGTH
from survey.service import Progress

NUMBER = "number"
COMMENT_PREVIEW = 300
BAR_CELLS = 10


def current_number(manager: DialogManager) -> int:
    number = manager.dialog_data.get(NUMBER)
    if not isinstance(number, int):
        number = start_data(manager).get(NUMBER)
    numbers = ctx(manager).service.questionnaire.numbers
    return number if isinstance(number, int) and number in numbers else numbers[0]


def progress_bar(done: int, total: int) -> str:
    filled = round(BAR_CELLS * done / total) if total else 0
    return "▰" * filled + "▱" * (BAR_CELLS - filled)


async def question_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    c = ctx(dialog_manager)
    questionnaire = c.service.questionnaire
    number = current_number(dialog_manager)
    dialog_manager.dialog_data[NUMBER] = number
    recommendation = questionnaire.recommendation(number)
    fresh = dialog_manager.middleware_data.pop(FRESH_PROGRESS, None)
    if isinstance(fresh, Progress):
        shown = c.service.question_from(fresh, number)
    else:
        shown = await c.service.question(c.user_id, number)
    view, progress = shown.answer, shown.progress
    level = questionnaire.level(view.level) if view.level else None
    comment = view.comment or ""
    if len(comment) > COMMENT_PREVIEW:
        comment = comment[:COMMENT_PREVIEW] + "…"
    numbers = questionnaire.numbers
    editable = not view.read_only
    return {
        "number": number,
        "total": progress.total,
        "answered": progress.answered,
        "bar": progress_bar(progress.answered, progress.total),
        "title": html.escape(recommendation.title(c.lang)),
        "statement": html.escape(recommendation.statement(c.lang)),
        "source": html.escape(questionnaire.source(c.lang)),
        "level_label": html.escape(level.label(c.lang)) if level else "",
        "has_level": level is not None,
        "no_level": level is None,
        "comment": html.escape(comment),
        "has_comment": bool(comment),
        "editable": editable,
        "read_only": not editable,
        "can_add_comment": editable and not comment,
        "can_edit_comment": editable and bool(comment),
        "has_prev": number != numbers[0],
        "skip": level is None and editable,
        "has_next": (level is not None or not editable) and number != numbers[-1],
        "levels": [
            (item.code, ("✅ " if level and item.code == level.code else "") + item.label(c.lang))
            for item in questionnaire.scale
        ],
    }


async def on_level(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, level: str
) -> None:
    c = ctx(manager)
    number = current_number(manager)
    try:
        progress = await c.service.record_answer(c.user_id, number, level)
    except Refused as refusal:
        await show_refusal(callback, manager, refusal)
        return
    following = progress.next_unanswered(number)
    if following is None:
        await manager.switch_to(Survey.review)
    else:
        manager.dialog_data[NUMBER] = following
        manager.middleware_data[FRESH_PROGRESS] = progress


async def on_previous(_event: Any, _button: Button, manager: DialogManager) -> None:
    numbers = ctx(manager).service.questionnaire.numbers
    position = numbers.index(current_number(manager))
    manager.dialog_data[NUMBER] = numbers[max(position - 1, 0)]


async def on_next(_event: Any, _button: Button, manager: DialogManager) -> None:
    numbers = ctx(manager).service.questionnaire.numbers
    position = numbers.index(current_number(manager))
    manager.dialog_data[NUMBER] = numbers[min(position + 1, len(numbers) - 1)]


async def on_skip(_event: Any, _button: Button, manager: DialogManager) -> None:
    c = ctx(manager)
    number = current_number(manager)
    progress = await c.service.progress(c.user_id)
    following = progress.next_unanswered(number)
    if following is None or following == number:
        await manager.switch_to(Survey.review)
    else:
        manager.dialog_data[NUMBER] = following


async def comment_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    c = ctx(dialog_manager)
    number = current_number(dialog_manager)
    view = await c.service.answer(c.user_id, number)
    return {
        "number": number,
        "limit": MAX_COMMENT_LENGTH,
        "comment": html.escape(view.comment or ""),
        "has_comment": bool(view.comment),
    }


async def on_comment(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    c = ctx(manager)
    try:
        await c.service.record_comment(c.user_id, current_number(manager), message.text or "")
    except Refused as refusal:
        await show_refusal(message, manager, refusal)
        return
    await manager.switch_to(Survey.question)


async def on_remove_comment(
    callback: CallbackQuery, _button: Button, manager: DialogManager
) -> None:
    c = ctx(manager)
    try:
        await c.service.record_comment(c.user_id, current_number(manager), "")
    except Refused as refusal:
        await show_refusal(callback, manager, refusal)
        return
    await manager.switch_to(Survey.question)


def windows() -> list[Window]:
    return [
        screen(
            T("<b>Recommendation {number} of {total}</b>\n{bar} {answered}/{total} answered\n"),
            Format("<b>{title}</b>\n{statement}\n"),
            T("Your answer: <b>{level_label}</b>", when="has_level"),
            T("Not answered yet: how would you rank its priority?", when="no_level"),
            T("Your comment: <i>{comment}</i>", when="has_comment"),
            T("🔒 The answers can no longer be changed.", when="read_only"),
            Format("\n<i>{source}</i>"),
            Group(
                Select(
                    Format("{item[1]}"),
                    id="lv",
                    item_id_getter=itemgetter(0),
                    items="levels",
                    on_click=on_level,
                ),
                width=2,
                when="editable",
            ),
            SwitchTo(T("💬 Add a comment"), id="cm", state=Survey.comment, when="can_add_comment"),
            SwitchTo(
                T("💬 Edit the comment"), id="ce", state=Survey.comment, when="can_edit_comment"
            ),
            Row(
                Button(T("◀ Back"), id="prev", on_click=on_previous, when="has_prev"),
                Button(T("Skip for now ▶"), id="skip", on_click=on_skip, when="skip"),
                Button(T("Next ▶"), id="next", on_click=on_next, when="has_next"),
            ),
            Row(
                SwitchTo(T("📋 Review"), id="rv", state=Survey.review),
                SwitchTo(T("💾 Save and exit"), id="exit", state=Survey.paused, when="editable"),
            ),
            getter=question_getter,
            state=Survey.question,
        ),
        screen(
            T(
                "Send your comment on Recommendation {number} as one message "
                "(at most {limit} characters)."
            ),
            T("Current comment: <i>{comment}</i>", when="has_comment"),
            MessageInput(on_comment, content_types=[ContentType.TEXT]),
            Button(
                T("🗑 Remove the comment"), id="rm", on_click=on_remove_comment, when="has_comment"
            ),
            SwitchTo(T("◀ Cancel"), id="cancel", state=Survey.question),
            getter=comment_getter,
            state=Survey.comment,
        ),
    ]
