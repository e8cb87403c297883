"""Review of all answers (paged), the submission and its receipt, and the pause screen."""

from __future__ import annotations

import logging
from operator import itemgetter
from typing import Any

from aiogram.types import CallbackQuery
from aiogram.utils.i18n import I18n
from aiogram_dialog import DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Group, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.answering import NUMBER
from dialogs.context import Ctx, Notifier, ctx
from dialogs.markup import Markup, render
from dialogs.navigation import open_journey
from dialogs.screen import screen
from dialogs.states import Survey
from dialogs.widgets import Html, T
from survey.model import Receipt, ResponseRecord
from survey.service import Review

log = logging.getLogger(__name__)

# Widget ids: they travel in callback data, so they are short and never reused.
OPEN_ITEM = "ri"
PREVIOUS_PAGE = "pp"
NEXT_PAGE = "np"
SUBMIT = "sub"
CONTINUE = "cont"
RECEIPT = "rc"
SAVE_AND_EXIT = "exit"
CONFIRM = "yes"
BACK_TO_REVIEW = "no"
VIEW_ANSWERS = "va"
RESUME = "resume"

PAGE = "page"
PAGE_SIZE = 10
TITLE_WIDTH = 38


def _short(text: str) -> str:
    return text if len(text) <= TITLE_WIDTH else text[: TITLE_WIDTH - 1].rstrip() + "…"


def review_lines(review: Review, c: Ctx, numbers: list[int]) -> Markup:
    questionnaire = c.service.questionnaire
    i18n = c.i18n
    lines = []
    for item in review.items:
        if item.number not in numbers:
            continue
        title = _short(questionnaire.recommendation(item.number).title(c.lang))
        if item.level is None:
            mark, answer = "⬜", i18n.gettext("not answered")
        else:
            level = questionnaire.level(item.level)
            mark, answer = "✅", level.label(c.lang) if level else item.level
        line = render(
            "{mark} " + i18n.gettext("{label}: {value}"),
            mark=mark,
            label=render("<b>R{number:02d}</b> {title}", number=item.number, title=title),
            value=render("<b>{answer}</b>", answer=answer),
        )
        if item.has_comment:
            line += " 💬"
        if review.several_representatives and item.changed_by:
            line += render(" · <i>{name}</i>", name=item.changed_by)
        lines.append(line)
    return Markup("\n".join(lines))


async def review_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    c = ctx(dialog_manager)
    review = await c.service.review(c.user_id)
    numbers = [item.number for item in review.items]
    pages = max(1, -(-len(numbers) // PAGE_SIZE))
    page = min(max(int(dialog_manager.dialog_data.get(PAGE, 0)), 0), pages - 1)
    dialog_manager.dialog_data[PAGE] = page
    on_page = numbers[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    answered_numbers = {item.number for item in review.items if item.level}
    editable = not review.response.submitted and c.service.is_open()
    unanswered = len(review.unanswered)
    return {
        "office": review.office.name(c.lang),
        "answered": len(numbers) - unanswered,
        "total": len(numbers),
        "page": page + 1,
        "pages": pages,
        "lines": review_lines(review, c, on_page),
        "page_items": [
            (number, f"{'✅' if number in answered_numbers else '⬜'} {number}")
            for number in on_page
        ],
        "has_prev_page": page > 0,
        "has_next_page": page < pages - 1,
        "editable": editable,
        "can_submit": editable and review.can_submit,
        "has_unanswered": editable and unanswered > 0,
        "unanswered": unanswered,
        "submitted": review.response.submitted,
        "several": review.several_representatives,
    }


async def on_open_item(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, number: int
) -> None:
    if number in ctx(manager).service.questionnaire.numbers:
        manager.dialog_data[NUMBER] = number
        await manager.switch_to(Survey.question)


async def on_page(delta: int, manager: DialogManager) -> None:
    manager.dialog_data[PAGE] = int(manager.dialog_data.get(PAGE, 0)) + delta


async def on_prev_page(_event: Any, _button: Button, manager: DialogManager) -> None:
    await on_page(-1, manager)


async def on_next_page(_event: Any, _button: Button, manager: DialogManager) -> None:
    await on_page(+1, manager)


async def on_continue(_event: Any, _button: Button, manager: DialogManager) -> None:
    await open_journey(manager)


async def confirm_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    c = ctx(dialog_manager)
    review = await c.service.review(c.user_id)
    return {"office": review.office.name(c.lang), "total": len(review.items)}


async def on_submit(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    c = ctx(manager)
    submitted = await c.service.submit(c.user_id)
    await manager.switch_to(Survey.receipt)
    await notify_colleagues(manager, submitted)


async def notify_colleagues(manager: DialogManager, submitted: ResponseRecord) -> None:
    """Tell the Office's other representatives, each in their own language."""
    c = ctx(manager)
    i18n: I18n = c.i18n
    messages = []
    for person in await c.service.colleagues(c.user_id):
        with i18n.use_locale(person.language or "en"):  # c.when and gettext follow it
            text = render(
                i18n.gettext(
                    "🧾 Your Office's answers were submitted by {name} on {time}. "
                    "Send /review to see them and the receipt."
                ),
                name=submitted.submitted_by_name or "",
                time=c.when(submitted.submitted_at),
            )
        messages.append((person.telegram_user_id, str(text)))
    notifier: Notifier = manager.middleware_data["notifier"]
    notifier.post(manager.middleware_data["bot"], messages)


def receipt_fields(receipt: Receipt | None, c: Ctx) -> dict[str, Any]:
    if receipt is None:
        return {"has_receipt": False}
    questionnaire = c.service.questionnaire
    counts = " · ".join(
        c.i18n.gettext("{label}: {value}").format(
            label=level.label(c.lang), value=receipt.level_counts.get(level.code, 0)
        )
        for level in questionnaire.scale
    )
    return {
        "has_receipt": True,
        "time": c.when(receipt.submitted_at),
        "name": receipt.submitted_by,
        "reference": receipt.reference,
        "counts": counts,
        "comments": receipt.commented,
    }


async def receipt_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    c = ctx(dialog_manager)
    review = await c.service.review(c.user_id)
    return {
        "office": review.office.name(c.lang),
        "contact": dialog_manager.middleware_data["settings"].contact_email,
        "not_submitted": not review.response.submitted,
        **receipt_fields(review.response.receipt, c),
    }


async def paused_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    c = ctx(dialog_manager)
    progress = await c.service.progress(c.user_id)
    return {"answered": progress.answered, "total": progress.total}


def windows() -> list[Window]:
    return [
        screen(
            T("<b>Review: {office}</b>\n{answered} of {total} answered · page {page} of {pages}\n"),
            Html("{lines}\n"),
            T("Tap a number to open that Recommendation and change the answer.", when="editable"),
            T(
                "The submission becomes possible once all {total} are answered.",
                when="has_unanswered",
            ),
            T("🔒 The answers are submitted and can no longer be changed.", when="submitted"),
            Group(
                Select(
                    Format("{item[1]}"),
                    id=OPEN_ITEM,
                    item_id_getter=itemgetter(0),
                    items="page_items",
                    type_factory=int,
                    on_click=on_open_item,
                ),
                width=5,
            ),
            Row(
                Button(
                    T("◀ Previous page"),
                    id=PREVIOUS_PAGE,
                    on_click=on_prev_page,
                    when="has_prev_page",
                ),
                Button(T("Next page ▶"), id=NEXT_PAGE, on_click=on_next_page, when="has_next_page"),
            ),
            SwitchTo(
                T("✅ Submit final answers"), id=SUBMIT, state=Survey.confirm, when="can_submit"
            ),
            Button(
                T("▶ Continue answering"), id=CONTINUE, on_click=on_continue, when="has_unanswered"
            ),
            SwitchTo(T("🧾 Receipt"), id=RECEIPT, state=Survey.receipt, when="submitted"),
            SwitchTo(T("💾 Save and exit"), id=SAVE_AND_EXIT, state=Survey.paused, when="editable"),
            getter=review_getter,
            state=Survey.review,
        ),
        screen(
            T(
                "<b>Submit the final answers of {office}?</b>\n\n"
                "All {total} Recommendations are answered. After the submission, nobody in your "
                "Office can change the answers."
            ),
            Button(T("✅ Yes, submit now"), id=CONFIRM, on_click=on_submit),
            SwitchTo(T("◀ Back to the review"), id=BACK_TO_REVIEW, state=Survey.review),
            getter=confirm_getter,
            state=Survey.confirm,
        ),
        screen(
            T("🧾 <b>Receipt: {office}</b>", when="has_receipt"),
            T(
                "Submitted on {time} by {name}.\nReference: <code>{reference}</code>\n"
                "{counts}\nComments: {comments}\n\n"
                "The answers are locked. To change them, please contact the Secretariat: {contact}",
                when="has_receipt",
            ),
            T(
                "The answers of {office} are not submitted. Send /continue to go on.",
                when="not_submitted",
            ),
            SwitchTo(T("📋 View the answers"), id=VIEW_ANSWERS, state=Survey.review),
            getter=receipt_getter,
            state=Survey.receipt,
        ),
        screen(
            T(
                "💾 Your answers are saved ({answered} of {total}). Send /continue whenever you "
                "want to pick up where you left off."
            ),
            Button(T("▶ Continue now"), id=RESUME, on_click=on_continue),
            getter=paused_getter,
            state=Survey.paused,
        ),
    ]
