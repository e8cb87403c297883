"""`create_dispatcher`: the one wiring used by `python -m bot run`, the sandbox and the tests."""

from __future__ import annotations

from aiogram import Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.utils.i18n import I18n
from aiogram_dialog import setup_dialogs
from aiogram_dialog.api.protocols import MessageManagerProtocol

from bot import handlers
from bot.config import Settings
from bot.i18n import LocaleMiddleware, build_i18n
from dialogs import help as help_dialog
from dialogs import language, onboarding, survey
from dialogs.presses import SurveyMessageManager
from survey.service import SurveyService


def create_dispatcher(
    settings: Settings,
    service: SurveyService,
    *,
    storage: BaseStorage | None = None,
    message_manager: MessageManagerProtocol | None = None,
    i18n: I18n | None = None,
) -> Dispatcher:
    # Dialog state is only where a person is on screen; everything that matters is in the
    # database. `python -m bot run` passes a file-backed storage (bot/dialog_state.py) so that
    # an update delivered again after a crash finds its window; tests pass their own.
    dispatcher = Dispatcher(
        storage=storage or MemoryStorage(),
        # One update at a time per chat: two quick taps, or a tap and a command, must not
        # race on the same dialog stack when updates are handled concurrently.
        events_isolation=SimpleEventIsolation(),
        service=service,
        settings=settings,
    )
    # Order matters: commands and guards before the dialogs (a dialog window would otherwise
    # take "/continue" as typed text), the fallback after them.
    dispatcher.include_routers(
        handlers.errors_router(),
        handlers.guards_router(),
        handlers.commands_router(),
        onboarding.build_dialog(),
        survey.build_dialog(),
        language.build_dialog(),
        help_dialog.build_dialog(),
        handlers.fallback_router(),
    )
    setup_dialogs(dispatcher, message_manager=message_manager or SurveyMessageManager())
    # After setup_dialogs: the middleware attaches to the observers that exist now, including
    # the one aiogram-dialog adds for its background updates.
    LocaleMiddleware(i18n or build_i18n(), service.language).setup(dispatcher)
    return dispatcher
