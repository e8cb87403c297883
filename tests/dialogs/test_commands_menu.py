"""The command menu is set once per language, each in its own language."""

from __future__ import annotations

from aiogram.methods import SetMyCommands
from aiogram.utils.i18n import I18n

from bot.runner import set_commands

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
        assert set(menu) == {"start", "continue", "review", "language", "help"}
        assert all(0 < len(text) <= 256 for text in menu.values())
    assert menus[None] == menus["en"]
    assert menus["fr"]["continue"] != menus["en"]["continue"]
    assert menus["es"]["continue"] != menus["en"]["continue"]
    assert menus["fr"]["continue"] == i18n.gettext("Resume where you left off", locale="fr")
