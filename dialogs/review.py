"""Review of all answers (paged), the submission and its receipt, and the pause screen."""

from __future__ import annotations

import logging
from operator import itemgetter
from typing import Any

from aiogram.types import CallbackQuery, User
from aiogram.utils.i18n import I18n
from aiogram_dialog import DialogManager, Window
from aiogram_dialog.api.internal import RawKeyboard
from aiogram_dialog.widgets.common import ManagedScroll
from aiogram_dialog.widgets.kbd import (
    Button,
    Group,
    NextPage,
    PrevPage,
    Row,
    Select,
    StubScroll,
    SwitchTo,
)
from aiogram_dialog.widgets.text import Format

from dialogs.answering import NUMBER
from dialogs.deps import Notifier, survey_events
from dialogs.markup import Markup, render
from dialogs.messages import when
from dialogs.navigation import open_journey
from dialogs.paperwork import pdf_button, workbook_button
from dialogs.screen import screen
from dialogs.states import Survey
from dialogs.web_app import open_page_button, page_fields
from dialogs.widgets import Html, Plural, T
from reports.labels import long_date
from reports.numbers import format_number
from survey.answering import Answering
from survey.model import Receipt
from survey.questionnaire import Questionnaire
from survey.views import Review, Submission

log = logging.getLogger(__name__)

# Widget ids: they travel in callback data, so they are short and never reused.
OPEN_ITEM = "ri"
PAGES = "pg"  # the review's pages (a scroll without a keyboard of its own)
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
RECEIPT_PDF = "rpdf"

PAGE_SIZE = 10
TITLE_WIDTH = 38


def _short(text: str) -> str:
    return text if len(text) <= TITLE_WIDTH else text[: TITLE_WIDTH - 1].rstrip() + "…"


def review_lines(
    review: Review, questionnaire: Questionnaire, i18n: I18n, numbers: list[int]
) -> Markup:
    lang = i18n.current_locale
    lines = []
    for item in review.items:
        if item.number not in numbers:
            continue
        title = _short(questionnaire.recommendation(item.number).title(lang))
        label = render("<b>R{number:02d}</b> {title}", number=item.number, title=title)
        # Each mark comes with its word: a screen reader says "check mark", not "answered".
        if item.level is None:
            line = render("⬜ {state} · {label}", state=i18n.gettext("not answered"), label=label)
        else:
            level = questionnaire.level(item.level)
            line = render(
                "✅ {state} · " + i18n.gettext("{label}: {value}"),
                state=i18n.gettext("answered"),
                label=label,
                value=render("<b>{answer}</b>", answer=level.label(lang) if level else item.level),
            )
        if item.has_comment:
            line += " · " + i18n.gettext("💬 with a comment")
        if review.several_representatives and item.changed_by:
            line += render(" · <i>{name}</i>", name=item.changed_by)
        if item.wording_updated is not None:
            line += render(
                "\n    ⚠️ <i>{text}</i>",
                text=i18n.gettext("wording updated on {date}: please check your answer").format(
                    date=long_date(item.wording_updated, lang)
                ),
            )
        lines.append(line)
    return Markup("\n".join(lines))


async def review_getter(
    dialog_manager: DialogManager,
    answering: Answering,
    event_from_user: User,
    i18n: I18n,
    settings: Any,
    **_: Any,
) -> dict[str, Any]:
    review = await answering.review(event_from_user.id)
    numbers = [item.number for item in review.items]
    pages = max(1, -(-len(numbers) // PAGE_SIZE))
    scroll: ManagedScroll | None = dialog_manager.find(PAGES)
    page = min(await scroll.get_page(), pages - 1) if scroll is not None else 0
    on_page = numbers[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    answered_numbers = {item.number for item in review.items if item.level}
    editable = not review.read_only
    unanswered = len(review.unanswered)
    lang = i18n.current_locale
    return {
        "office": review.office.name(lang),
        "answered": len(numbers) - unanswered,
        "total": len(numbers),
        "all": format_number(len(numbers), lang),
        "page": page + 1,
        "pages": pages,
        "lines": review_lines(review, answering.questionnaire, i18n, on_page),
        # Named as its line names it ("R03"); the line says in words whether it is answered.
        "page_items": [
            (number, f"{'✅' if number in answered_numbers else '⬜'} R{number:02d}")
            for number in on_page
        ],
        "editable": editable,
        "can_submit": editable and review.can_submit,
        "has_unanswered": editable and unanswered > 0,
        "unanswered": unanswered,
        "submitted": review.response.submitted,
        "several": review.several_representatives,
        **page_fields(settings),
    }


async def on_open_item(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, number: int
) -> None:
    answering: Answering = manager.middleware_data["answering"]
    if number in answering.questionnaire.numbers:
        manager.dialog_data[NUMBER] = number
        await manager.switch_to(Survey.question)


class Pages(StubScroll):
    """The review's page number, kept by aiogram-dialog; no keyboard of its own (not even
    the empty row StubScroll leaves)."""

    async def _render_keyboard(self, data: dict[str, Any], manager: DialogManager) -> RawKeyboard:
        return []


def _not_first(data: dict[str, Any], _widget: Any, _manager: DialogManager) -> bool:
    return bool(data["current_page"] > 0)


def _not_last(data: dict[str, Any], _widget: Any, _manager: DialogManager) -> bool:
    return bool(data["current_page"] < data["pages"] - 1)


async def on_continue(_event: Any, _button: Button, manager: DialogManager) -> None:
    await open_journey(manager)


async def confirm_getter(
    answering: Answering, event_from_user: User, i18n: I18n, **_: Any
) -> dict[str, Any]:
    review = await answering.review(event_from_user.id)
    return {"office": review.office.name(i18n.current_locale), "total": len(review.items)}


async def on_submit(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    answering: Answering = manager.middleware_data["answering"]
    i18n: I18n = manager.middleware_data["i18n"]
    # The notices are recorded with the submission, and sent in the background.
    submission = await answering.submit(
        callback.from_user.id, lambda submitted: submission_notices(submitted, i18n)
    )
    survey_events(manager.middleware_data).submitted()
    await manager.switch_to(Survey.receipt)
    if submission.broadcast is not None:
        notifier: Notifier = manager.middleware_data["notifier"]
        notifier.start(manager.middleware_data["bot"], submission.broadcast)


def submission_notices(submission: Submission, i18n: I18n) -> list[tuple[int, str]]:
    """What tells the Office's other representatives and the Secretariat members who want to
    know, each in their own language."""
    submitted = submission.response
    messages = []
    for person in submission.colleagues:
        with i18n.use_locale(person.language or "en"):  # `when` and gettext follow it
            text = render(
                i18n.gettext(
                    "🧾 Your Office's answers were submitted by {name} on {time}. "
                    "Send /review to see them and the receipt."
                ),
                name=submitted.submitted_by_name or "",
                time=when(submitted.submitted_at),
            )
        messages.append((person.telegram_user_id, str(text)))
    receipt = submitted.receipt
    office = submission.office
    for member in submission.secretariat:
        lang = member.language or "en"
        with i18n.use_locale(lang):
            text = render(
                i18n.gettext(
                    "📥 {office} has submitted its answers ({name}, {time}; reference "
                    "{reference}). Send /results for the digest."
                ),
                office=f"{office.code} · {office.name(lang)}",
                name=submitted.submitted_by_name or "",
                time=when(submitted.submitted_at),
                reference=receipt.reference if receipt else "",
            )
        messages.append((member.telegram_user_id, str(text)))
    return messages


def receipt_fields(
    receipt: Receipt | None, questionnaire: Questionnaire, i18n: I18n
) -> dict[str, Any]:
    if receipt is None:
        return {"has_receipt": False}
    lang = i18n.current_locale
    counts = " · ".join(
        i18n.gettext("{label}: {value}").format(
            label=level.label(lang),
            value=format_number(receipt.level_counts.get(level.code, 0), lang),
        )
        for level in questionnaire.scale
    )
    return {
        "has_receipt": True,
        "time": when(receipt.submitted_at),
        "name": receipt.submitted_by,
        "reference": receipt.reference,
        "counts": counts,
        "comments": format_number(receipt.commented, lang),
    }


async def receipt_getter(
    answering: Answering, event_from_user: User, i18n: I18n, settings: Any, **_: Any
) -> dict[str, Any]:
    review = await answering.review(event_from_user.id)
    return {
        "office": review.office.name(i18n.current_locale),
        "contact": settings.contact_email,
        "not_submitted": not review.response.submitted,
        **receipt_fields(review.response.receipt, answering.questionnaire, i18n),
    }


async def paused_getter(
    answering: Answering, event_from_user: User, i18n: I18n, **_: Any
) -> dict[str, Any]:
    progress = await answering.progress(event_from_user.id)
    lang = i18n.current_locale
    return {
        "answered": format_number(progress.answered, lang),
        "total": format_number(progress.total, lang),
    }


def windows() -> list[Window]:
    return [
        screen(
            Plural(
                "<b>Review: {office}</b>\n{answered} of {all} answered · page {page} of {pages}\n",
                "<b>Review: {office}</b>\n{answered} of {all} answered · page {page} of {pages}\n",
                count="answered",
            ),
            Html("{lines}\n"),
            T("Tap a number to open that Recommendation and change the answer.", when="editable"),
            Plural(
                "The submission becomes possible once the {total} Recommendation is answered.",
                "The submission becomes possible once all {total} are answered.",
                count="total",
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
            Pages(id=PAGES, pages="pages"),
            Row(
                # A page button names the page it opens: a double tap does not skip one.
                PrevPage(
                    scroll=PAGES, id=PREVIOUS_PAGE, text=T("◀ Previous page"), when=_not_first
                ),
                NextPage(scroll=PAGES, id=NEXT_PAGE, text=T("Next page ▶"), when=_not_last),
            ),
            SwitchTo(
                T("✅ Submit final answers"), id=SUBMIT, state=Survey.confirm, when="can_submit"
            ),
            Button(
                T("▶ Continue answering"), id=CONTINUE, on_click=on_continue, when="has_unanswered"
            ),
            SwitchTo(T("🧾 Receipt"), id=RECEIPT, state=Survey.receipt, when="submitted"),
            Row(workbook_button(), pdf_button()),
            open_page_button(),
            SwitchTo(T("💾 Save and exit"), id=SAVE_AND_EXIT, state=Survey.paused, when="editable"),
            getter=review_getter,
            state=Survey.review,
        ),
        screen(
            Plural(
                "<b>Submit the final answers of {office}?</b>\n\n"
                "The {total} Recommendation is answered. After the submission, nobody in your "
                "Office can change the answers.",
                "<b>Submit the final answers of {office}?</b>\n\n"
                "All {total} Recommendations are answered. After the submission, nobody in your "
                "Office can change the answers.",
                count="total",
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
            pdf_button(RECEIPT_PDF),
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
