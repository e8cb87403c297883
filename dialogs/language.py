"""/language: pick English, French or Spanish; the window below re-renders in it."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager
from aiogram_dialog.widgets.kbd import Column, Select
from aiogram_dialog.widgets.text import Format

from dialogs.context import LocaleMemory, ctx
from dialogs.screen import screen
from dialogs.states import Language
from dialogs.widgets import T
from survey.questionnaire import LANGUAGES

# Widget ids: they travel in callback data, so they are short and never reused.
LANGUAGES_SELECT = "lg"

# Each language is named in itself, so that anyone can find their own.
NATIVE_NAMES = {"en": "English", "fr": "Français", "es": "Español"}


async def language_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    current = ctx(dialog_manager).lang
    return {
        "languages": [
            (code, ("✅ " if code == current else "") + NATIVE_NAMES[code]) for code in LANGUAGES
        ]
    }


async def on_language(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, language: str
) -> None:
    if language not in LANGUAGES:
        return
    c = ctx(manager)
    await c.service.set_language(c.user_id, language)
    middleware: LocaleMemory = manager.middleware_data["i18n_middleware"]
    middleware.remember(c.user_id, language)
    # The rest of this update (the window below, re-rendered on close) speaks the new language.
    c.i18n.current_locale = language
    await manager.done()


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
