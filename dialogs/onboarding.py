"""Verification: the invitation code, then a short welcome that explains the survey."""

from __future__ import annotations

from typing import Any

from aiogram.enums import ContentType
from aiogram.types import Message, User
from aiogram.utils.i18n import I18n
from aiogram_dialog import Dialog, DialogManager, StartMode
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Start

from dialogs.messages import not_a_code, when
from dialogs.navigation import REMOVED, open_journey, start_data
from dialogs.screen import screen
from dialogs.states import Language, Onboarding
from dialogs.web_app import open_page_button, page_fields, show_page_in_menu
from dialogs.widgets import Plural, T
from survey.answering import Answering
from survey.codes import looks_like_code, normalize_code
from survey.enrolment import Enrolment

# Widget ids: they travel in callback data, so they are short and never reused.
LANGUAGE = "lang"
BEGIN = "begin"

CODE_INPUT = "code"


async def redeem_and_welcome(manager: DialogManager, code: str) -> None:
    """Try a code; on success open the welcome window (or, for someone already in, where
    they are). A refusal rises to the error handler, which says why."""
    enrolment: Enrolment = manager.middleware_data["enrolment"]
    user: User = manager.middleware_data["event_from_user"]
    i18n: I18n = manager.middleware_data["i18n"]
    membership = await enrolment.redeem(
        user.id, code, full_name=user.full_name, language=i18n.current_locale
    )
    settings = manager.middleware_data["settings"]
    show_page_in_menu(manager.middleware_data["bot"], user.id, settings, i18n, i18n.current_locale)
    if not membership.newly_verified:
        await open_journey(manager)
        return
    await manager.start(Onboarding.welcome, mode=StartMode.RESET_STACK)


async def on_code(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    code = normalize_code(message.text or "")
    if not looks_like_code(code):
        # "hello", "?" or "EP" is not a wrong code: no try is spent on it.
        await message.answer(not_a_code())
        return
    await redeem_and_welcome(manager, code)


async def code_getter(dialog_manager: DialogManager, settings: Any, **_: Any) -> dict[str, Any]:
    return {
        "removed": bool(start_data(dialog_manager).get(REMOVED)),
        "contact": settings.contact_email,
    }


async def welcome_getter(
    enrolment: Enrolment,
    answering: Answering,
    event_from_user: User,
    i18n: I18n,
    settings: Any,
    **_: Any,
) -> dict[str, Any]:
    found = await enrolment.whereabouts(event_from_user.id)
    deadline = found.deadline if found else None
    return {
        "office": found.office.name(i18n.current_locale) if found else "",
        "total": len(answering.questionnaire),
        "deadline": when(deadline),
        "has_deadline": deadline is not None,
        "contact": settings.contact_email,
        **page_fields(settings),
    }


async def on_begin(_event: Any, _button: Button, manager: DialogManager) -> None:
    await open_journey(manager)


def build_dialog() -> Dialog:
    return Dialog(
        screen(
            T(
                "The Secretariat has withdrawn your access to the survey. If you think this is "
                "a mistake, please write to {contact}. With a new invitation code from the "
                "Secretariat you can be verified again.\n",
                when="removed",
            ),
            T(
                "Welcome! This bot collects your Office's answers to the survey of the Committee "
                "on WIPO Standards on the priority of the 40 Recommendations for ICT "
                "Strategies.\n\n"
                "Please send the invitation code you received from the Secretariat."
            ),
            MessageInput(on_code, content_types=[ContentType.TEXT]),
            Start(T("🌐 Language"), id=LANGUAGE, state=Language.pick),
            getter=code_getter,
            state=Onboarding.code,
        ),
        screen(
            T("✅ You are verified. You answer for <b>{office}</b>.\n"),
            Plural(
                "How it works:\n"
                "• {total} Recommendation: choose a priority for it.\n"
                "• Every answer is saved at once. Stop whenever you like and send /continue to "
                "resume.\n"
                "• Review all answers before the final submission.\n"
                "• The submission is made once for your whole Office and then locks the answers.\n",
                "How it works:\n"
                "• {total} Recommendations, one at a time: choose a priority for each.\n"
                "• Every answer is saved at once. Stop whenever you like and send /continue to "
                "resume.\n"
                "• Review all answers before the final submission.\n"
                "• The submission is made once for your whole Office and then locks the answers.\n",
                count="total",
            ),
            T("The survey closes on {deadline}.", when="has_deadline"),
            T("Questions: {contact}"),
            Button(T("▶ Start"), id=BEGIN, on_click=on_begin),
            open_page_button(),
            getter=welcome_getter,
            state=Onboarding.welcome,
        ),
    )
