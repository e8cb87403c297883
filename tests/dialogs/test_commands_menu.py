"""The command menu is set once per language, each in its own language."""

from __future__ import annotations

from aiogram.methods import SetMyCommands
from aiogram.types import BotCommandScopeChat
from aiogram.utils.i18n import I18n

from bot.runner import set_commands
from bot.secretariat import SECRETARIAT_COMMANDS
from tests.support import ADMIN_ID

from .harness import RecordingBot


async def test_commands_menu_per_language(i18n: I18n) -> None:
    bot = RecordingBot()
    await set_commands(bot, i18n)
    calls = [call for call in bot.calls if isinstance(call, SetMyCommands)]
    by_language = {call.language_code: call for call in calls}
    assert set(by_language) == {None, "en", "fr", "es"}
    menus = {
        lang: {c.command: c.description for c in call.commands}
        for lang, call in by_language.items()
    }
    for menu in menus.values():
        assert set(menu) == {"start", "continue", "review", "workbook", "language", "help"}
        assert all(0 < len(text) <= 256 for text in menu.values())
    assert menus[None] == menus["en"]
    assert menus["fr"]["continue"] != menus["en"]["continue"]
    assert menus["es"]["continue"] != menus["en"]["continue"]
    assert menus["fr"]["continue"] == i18n.gettext("Resume where you left off", locale="fr")


async def test_secretariat_members_get_their_commands_in_their_chats_only(i18n: I18n) -> None:
    bot = RecordingBot()
    await set_commands(bot, i18n, admin_ids={ADMIN_ID})
    calls = [call for call in bot.calls if isinstance(call, SetMyCommands)]
    everyone = [call for call in calls if call.scope is None]
    theirs = [call for call in calls if isinstance(call.scope, BotCommandScopeChat)]
    assert all("results" not in {c.command for c in call.commands} for call in everyone)
    assert {call.language_code for call in theirs} == {None, "en", "fr", "es"}
    for call in theirs:
        assert call.scope.chat_id == ADMIN_ID  # type: ignore[union-attr]
        commands = {c.command for c in call.commands}
        assert set(SECRETARIAT_COMMANDS) <= commands
        assert "continue" in commands  # a member may answer for an Office too
