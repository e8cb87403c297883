"""The polling runner: `python -m bot run`."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n

from bot.config import ConfigError, Settings
from bot.factory import create_dispatcher
from bot.handlers import command_descriptions
from bot.i18n import build_i18n
from survey.questionnaire import DEFAULT_LANGUAGE, LANGUAGES
from survey.service import SurveyService

log = logging.getLogger(__name__)


def create_bot(settings: Settings) -> Bot:
    assert settings.bot_token is not None
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(
        settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


async def set_commands(bot: Bot, i18n: I18n) -> None:
    """The command menu in each language; clients in other languages get the English one."""
    for lang in LANGUAGES:
        with i18n.context(), i18n.use_locale(lang):
            menu = [BotCommand(command=n, description=d) for n, d in command_descriptions().items()]
        await bot.set_my_commands(menu, language_code=lang)
        if lang == DEFAULT_LANGUAGE:
            await bot.set_my_commands(menu)


async def run_polling(settings: Settings, service: SurveyService) -> None:
    i18n = build_i18n()
    dispatcher = create_dispatcher(settings, service, i18n=i18n)
    bot = create_bot(settings)
    try:
        try:
            me = await bot.get_me()
        except TelegramUnauthorizedError:
            raise ConfigError(
                f"the Bot API at {settings.telegram_api_url} refused BOT_TOKEN: check the token"
            ) from None
        except TelegramNetworkError as exc:
            raise ConfigError(
                f"cannot reach the Bot API at {settings.telegram_api_url}: {exc.message}"
            ) from None
        log.info("Running as @%s against %s", me.username, settings.telegram_api_url)
        await set_commands(bot, i18n)
        await dispatcher.start_polling(
            bot,
            allowed_updates=dispatcher.resolve_used_update_types(skip_events={"aiogd_update"}),
            handle_signals=True,
        )
    finally:
        await bot.session.close()
