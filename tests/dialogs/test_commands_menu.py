"""The command menu and the bot's descriptions are set once per language, each in its own
language."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import SetMyCommands
from aiogram.types import BotCommandScopeChat
from aiogram.utils.i18n import I18n

from bot.descriptions import DESCRIPTION_LIMIT, SHORT_DESCRIPTION_LIMIT, set_descriptions
from bot.runner import set_commands
from bot.secretariat import SECRETARIAT_COMMANDS
from standin.telegram import TelegramStandIn
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
        assert set(menu) == {
            "start",
            "continue",
            "review",
            "workbook",
            "language",
            "privacy",
            "mydata",
            "forgetme",
            "help",
        }
        assert all(0 < len(text) <= 256 for text in menu.values())
    assert menus[None] == menus["en"]
    assert menus["fr"]["continue"] != menus["en"]["continue"]
    assert menus["es"]["continue"] != menus["en"]["continue"]
    assert menus["fr"]["continue"] == i18n.gettext("Resume where you left off", locale="fr")
    assert menus["es"]["privacy"] == "Qué se guarda sobre usted, y por qué"


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


async def test_what_a_person_sees_before_start_is_in_their_language(i18n: I18n) -> None:
    telegram = TelegramStandIn()
    await telegram.start()
    bot = Bot(telegram.token, session=AiohttpSession(api=TelegramAPIServer.from_base(telegram.url)))
    try:
        await set_descriptions(bot, i18n)
        english = telegram.description("en")
        assert english.startswith("The survey of the Committee on WIPO Standards (CWS)")
        assert "/continue" in english
        assert telegram.description() == english  # other languages: English
        assert telegram.description("de") == english
        assert telegram.description("fr").startswith("L’enquête du Comité des normes de l’OMPI")
        assert telegram.description("es").startswith("La encuesta del Comité de Normas Técnicas")
        for lang in ("en", "fr", "es"):
            assert 0 < len(telegram.description(lang)) <= DESCRIPTION_LIMIT
            short = telegram.short_description(lang)
            assert 0 < len(short) <= SHORT_DESCRIPTION_LIMIT
            assert short == i18n.gettext(
                "The CWS survey on the priority of the Recommendations for ICT Strategies.",
                locale=lang,
            )
        assert telegram.short_description("fr") != telegram.short_description("en")

        # A restart (or another replica) finds them in place and sends none again.
        before = len(telegram.state.calls)
        await set_descriptions(bot, i18n)
        sent = [call.method for call in telegram.state.calls[before:]]
        assert set(sent) == {"getMyDescription", "getMyShortDescription"}
    finally:
        await bot.session.close()
        await telegram.stop()
