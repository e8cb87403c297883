"""One window per Recommendation, and the comment input."""

from __future__ import annotations

from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.i18n import I18n
from aiogram_dialog import DialogManager, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Select, SwitchTo

from dialogs.answering import LEVELS, NUMBER, level_item, parse_level_item, record_level
from dialogs.deps import FRESH_PROGRESS, survey_events
from dialogs.messages import stale_button
from dialogs.navigation import start_data
from dialogs.presses import answer_press
from dialogs.question_buttons import Choices, QuestionButtons, Switch
from dialogs.screen import screen
from dialogs.states import Survey
from dialogs.widgets import Html, Lines, Plural, T
from reports.i18n import N_
from reports.labels import long_date
from reports.numbers import format_number
from survey.answering import Answering
from survey.rules import MAX_COMMENT_LENGTH
from survey.views import Progress

# Widget ids: they travel in callback data, so they are short and never reused.
ADD_COMMENT = "cm"
EDIT_COMMENT = "ce"
PREVIOUS = "prev"
SKIP = "skip"
NEXT = "next"
REVIEW = "rv"
SAVE_AND_EXIT = "exit"
REMOVE_COMMENT = "rm"
CANCEL = "cancel"
KEEP_ANSWER = "keep"

COMMENT_PREVIEW = 300
# Short, and after the words: a screen reader reads every cell of it by name.
BAR_CELLS = 5


def current_number(manager: DialogManager) -> int:
    number = manager.dialog_data.get(NUMBER)
    if not isinstance(number, int):
        number = start_data(manager).get(NUMBER)
    numbers = _answering(manager).questionnaire.numbers
    return number if isinstance(number, int) and number in numbers else numbers[0]


def _answering(manager: DialogManager) -> Answering:
    answering: Answering = manager.middleware_data["answering"]
    return answering


def progress_bar(done: int, total: int) -> str:
    filled = round(BAR_CELLS * done / total) if total else 0
    return "▰" * filled + "▱" * (BAR_CELLS - filled)


# Every button of a Recommendation's window names that Recommendation (`7:high`, `7`), so a
# press applies to what the person saw on the message they pressed, whatever the dialog has
# moved on to since: a double tap, or a tap on a message whose update Telegram refused.


async def pressed_number(callback: CallbackQuery, manager: DialogManager, item: str) -> int | None:
    """The Recommendation a pressed button belongs to; None (and the press answered as an
    older message's) if the button is not one of ours."""
    numbers = _answering(manager).questionnaire.numbers
    if item.isdigit() and int(item) in numbers:
        manager.dialog_data[NUMBER] = int(item)  # the window is about this one from now on
        return int(item)
    await answer_press(callback, stale_button())
    return None


async def question_getter(
    dialog_manager: DialogManager,
    answering: Answering,
    event_from_user: User,
    i18n: I18n,
    **_: Any,
) -> dict[str, Any]:
    questionnaire = answering.questionnaire
    lang = i18n.current_locale
    number = current_number(dialog_manager)
    dialog_manager.dialog_data[NUMBER] = number
    recommendation = questionnaire.recommendation(number)
    progress = dialog_manager.middleware_data.pop(FRESH_PROGRESS, None)
    if not isinstance(progress, Progress):
        progress = await answering.progress(event_from_user.id)
    answer = progress.answer(number)
    level = questionnaire.level(answer.level) if answer and answer.level else None
    comment = (answer.comment if answer else None) or ""
    if len(comment) > COMMENT_PREVIEW:
        comment = comment[:COMMENT_PREVIEW] + "…"
    numbers = questionnaire.numbers
    editable = not progress.read_only
    here = [number]
    updated = progress.wording_updated.get(number)
    return {
        "wording_updated": long_date(updated, lang) if updated else "",
        "has_wording_update": updated is not None,
        "keep": here if updated is not None and editable else [],
        "number": number,
        "total": format_number(progress.total, lang),
        "answered": progress.answered,
        "bar": progress_bar(progress.answered, progress.total),
        "title": recommendation.title(lang),
        "statement": recommendation.statement(lang),
        "source": questionnaire.source(lang),
        "level_label": level.label(lang) if level else "",
        "has_level": level is not None,
        "no_level": level is None,
        "comment": comment,
        "has_comment": bool(comment),
        "editable": editable,
        "read_only": not editable,
        "add_comment": here if editable and not comment else [],
        "edit_comment": here if editable and comment else [],
        "prev": here if number != numbers[0] else [],
        "skip": here if level is None and editable else [],
        "next": here if (level is not None or not editable) and number != numbers[-1] else [],
        "levels": [
            (
                level_item(number, item.code),
                ("✅ " if level and item.code == level.code else "") + item.label(lang),
            )
            for item in questionnaire.scale
        ],
    }


async def on_level(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, item: str
) -> None:
    parsed = parse_level_item(item)
    if parsed is None:  # forged or truncated: no Recommendation named
        await answer_press(callback, stale_button())
        return
    progress = await record_level(callback, manager, parsed)
    if progress is None:
        return
    following = progress.next_unanswered(parsed[0])
    if following is None:
        await manager.switch_to(Survey.review)
    else:
        manager.dialog_data[NUMBER] = following
        manager.middleware_data[FRESH_PROGRESS] = progress


async def on_keep_answer(
    callback: CallbackQuery, _w: Any, manager: DialogManager, item: str
) -> None:
    """The answer stands under the new wording: recorded again, which clears the mark."""
    number = await pressed_number(callback, manager, item)
    if number is None:
        return
    progress = await _answering(manager).confirm_answer(callback.from_user.id, number)
    manager.middleware_data[FRESH_PROGRESS] = progress


async def _step(callback: CallbackQuery, manager: DialogManager, item: str, step: int) -> None:
    number = await pressed_number(callback, manager, item)
    if number is None:
        return
    numbers = _answering(manager).questionnaire.numbers
    position = min(max(numbers.index(number) + step, 0), len(numbers) - 1)
    manager.dialog_data[NUMBER] = numbers[position]


async def on_previous(callback: CallbackQuery, _w: Any, manager: DialogManager, item: str) -> None:
    await _step(callback, manager, item, -1)


async def on_next(callback: CallbackQuery, _w: Any, manager: DialogManager, item: str) -> None:
    await _step(callback, manager, item, +1)


async def on_skip(callback: CallbackQuery, _w: Any, manager: DialogManager, item: str) -> None:
    number = await pressed_number(callback, manager, item)
    if number is None:
        return
    progress = await _answering(manager).progress(callback.from_user.id)
    following = progress.next_unanswered(number)
    if following is None or following == number:
        await manager.switch_to(Survey.review)
    else:
        manager.dialog_data[NUMBER] = following


async def on_open_comment(
    callback: CallbackQuery, _w: Any, manager: DialogManager, item: str
) -> None:
    if await pressed_number(callback, manager, item) is not None:
        await manager.switch_to(Survey.comment)


async def comment_getter(
    dialog_manager: DialogManager, answering: Answering, event_from_user: User, **_: Any
) -> dict[str, Any]:
    number = current_number(dialog_manager)
    answer = (await answering.progress(event_from_user.id)).answer(number)
    comment = (answer.comment if answer else None) or ""
    return {
        "number": number,
        "limit": MAX_COMMENT_LENGTH,
        "comment": comment,
        "has_comment": bool(comment),
        "remove": [number] if comment else [],
    }


async def on_comment(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    user: User = manager.middleware_data["event_from_user"]
    await _answering(manager).record_comment(user.id, current_number(manager), message.text or "")
    survey_events(manager.middleware_data).answer_stored("comment")
    await manager.switch_to(Survey.question)


async def on_remove_comment(
    callback: CallbackQuery, _w: Any, manager: DialogManager, item: str
) -> None:
    number = await pressed_number(callback, manager, item)
    if number is None:
        return
    await _answering(manager).record_comment(callback.from_user.id, number, "")
    survey_events(manager.middleware_data).answer_stored("comment")
    await manager.switch_to(Survey.question)


def _for_this_one(text: T, widget_id: str, items: str, on_click: Any) -> Select[str]:
    """A button that carries the number of the Recommendation its window shows; absent (no
    empty keyboard row either) while `items` is empty."""
    return Select(
        text, id=widget_id, item_id_getter=str, items=items, on_click=on_click, when=items
    )


def question_text() -> Lines:
    """The text of a Recommendation's window (the Secretariat's preview of a new questionnaire
    draws it too, dialogs/secretariat/questionnaire.py)."""
    return Lines(
        Plural(
            "<b>Recommendation {number} of {total}</b>\n{answered} of {total} answered {bar}\n",
            "<b>Recommendation {number} of {total}</b>\n{answered} of {total} answered {bar}\n",
            count="answered",
        ),
        Html("<b>{title}</b>\n{statement}\n"),
        T("Your answer: <b>{level_label}</b>", when="has_level"),
        T("Not answered yet: how would you rank its priority?", when="no_level"),
        T("Your comment: <i>{comment}</i>", when="has_comment"),
        T(
            "⚠️ Wording updated on {wording_updated}: please check your answer.",
            when="has_wording_update",
        ),
        T("🔒 The answers can no longer be changed.", when="read_only"),
        Html("\n<i>{source}</i>"),
    )


def question_buttons() -> QuestionButtons:
    return QuestionButtons(
        [Choices(LEVELS, "levels", on_level, width=2, when="editable")],
        [Choices(KEEP_ANSWER, "keep", on_keep_answer, N_("✔ My answer stands"))],
        [Choices(ADD_COMMENT, "add_comment", on_open_comment, N_("💬 Add a comment"))],
        [Choices(EDIT_COMMENT, "edit_comment", on_open_comment, N_("💬 Edit the comment"))],
        [
            Choices(PREVIOUS, "prev", on_previous, N_("◀ Back")),
            Choices(SKIP, "skip", on_skip, N_("Skip for now ▶")),
            Choices(NEXT, "next", on_next, N_("Next ▶")),
        ],
        [
            Switch(REVIEW, N_("📋 Review"), Survey.review),
            Switch(SAVE_AND_EXIT, N_("💾 Save and exit"), Survey.paused, when="editable"),
        ],
    )


def windows() -> list[Window]:
    return [
        screen(
            question_text(),
            question_buttons(),
            getter=question_getter,
            state=Survey.question,
        ),
        screen(
            Plural(
                "Send your comment on Recommendation {number} as one message "
                "(at most {limit} character).",
                "Send your comment on Recommendation {number} as one message "
                "(at most {limit} characters).",
                count="limit",
            ),
            T("Current comment: <i>{comment}</i>", when="has_comment"),
            MessageInput(on_comment, content_types=[ContentType.TEXT]),
            _for_this_one(T("🗑 Remove the comment"), REMOVE_COMMENT, "remove", on_remove_comment),
            SwitchTo(T("◀ Cancel"), id=CANCEL, state=Survey.question),
            getter=comment_getter,
            state=Survey.comment,
        ),
    ]
