"""/language: pick English, French or Spanish; the window below re-renders in it."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from aiogram.types import CallbackQuery
from aiogram.utils.i18n import I18n
from aiogram_dialog import Dialog, DialogManager
from aiogram_dialog.widgets.kbd import Column, Select
from aiogram_dialog.widgets.text import Format

from dialogs.deps import LocaleMemory
from dialogs.screen import screen
from dialogs.states import Language
from dialogs.web_app import show_page_in_menu
from dialogs.widgets import T
from survey.enrolment import Enrolment
from survey.errors import Refused
from survey.questionnaire import LANGUAGES

# Widget ids: they travel in callback data, so they are short and never reused.
LANGUAGES_SELECT = "lg"

# Each language is named in itself, so that anyone can find their own.
NATIVE_NAMES = {"en": "English", "fr": "Français", "es": "Español"}


async def language_getter(i18n: I18n, **_: Any) -> dict[str, Any]:
    current = i18n.current_locale
    return {
        "languages": [
            (code, ("✅ " if code == current else "") + NATIVE_NAMES[code]) for code in LANGUAGES
        ]
    }


async def on_language(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, language: str
) -> None:
    if language not in LANGUAGES:
        return
    enrolment: Enrolment = manager.middleware_data["enrolment"]
    await enrolment.set_language(callback.from_user.id, language)
    middleware: LocaleMemory = manager.middleware_data["i18n_middleware"]
    middleware.remember(callback.from_user.id, language)
    # The rest of this update (the window below, re-rendered on close) speaks the new language.
    i18n: I18n = manager.middleware_data["i18n"]
    i18n.current_locale = language
    settings = manager.middleware_data["settings"]
    if settings.webapp_url is not None and await _verified(enrolment, callback.from_user.id):
        bot = manager.middleware_data["bot"]
        show_page_in_menu(bot, callback.from_user.id, settings, i18n, language)
    await manager.done()


async def _verified(enrolment: Enrolment, user_id: int) -> bool:
    """A representative the page would serve (anyone else is told so by the page)."""
    try:
        return await enrolment.whereabouts(user_id) is not None
    except Refused:  # removed
        return False


def build_dialog() -> Dialog:
    return Dialog(
        screen(
            T("Choose your language:"),
            Column(
                Select(
                    Format("{item[1]}"),
                    id=LANGUAGES_SELECT,
                    item_id_getter=itemgetter(0),
                    items="languages",
                    on_click=on_language,
                )
            ),
            getter=language_getter,
            state=Language.pick,
        )
    )
