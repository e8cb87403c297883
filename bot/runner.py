"""The polling runner: `python -m bot run`."""

from __future__ import annotations

import asyncio
import logging
import signal
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.config import ConfigError, Settings
from bot.factory import create_dispatcher
from bot.handlers import command_descriptions
from bot.i18n import build_i18n
from bot.retry import RetryMiddleware
from survey.questionnaire import DEFAULT_LANGUAGE, LANGUAGES
from survey.service import SurveyService

log = logging.getLogger(__name__)


def create_bot(settings: Settings) -> Bot:
    assert settings.bot_token is not None
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    session.middleware(RetryMiddleware())
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


async def run(settings: Settings, service: SurveyService) -> None:
    """Long polling, or a webhook server when WEBHOOK_URL is set."""
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
        allowed = dispatcher.resolve_used_update_types(skip_events={"aiogd_update"})
        if settings.webhook_url:
            await serve_webhook(settings, dispatcher, bot, allowed)
        else:
            await bot.delete_webhook()
            await dispatcher.start_polling(bot, allowed_updates=allowed, handle_signals=True)
    finally:
        await bot.session.close()


async def serve_webhook(
    settings: Settings, dispatcher: Dispatcher, bot: Bot, allowed_updates: list[str]
) -> None:
    assert settings.webhook_url is not None
    assert settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    app = web.Application()
    # The handler compares the X-Telegram-Bot-Api-Secret-Token header in constant time and
    # answers 401 to anything else.
    SimpleRequestHandler(dispatcher, bot, secret_token=secret).register(
        app, path=urlsplit(settings.webhook_url).path or "/"
    )
    setup_application(app, dispatcher, bot=bot)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_listen_host, settings.webhook_listen_port)
    await site.start()
    try:
        await bot.set_webhook(
            settings.webhook_url, secret_token=secret, allowed_updates=allowed_updates
        )
        log.info(
            "Webhook %s served on %s:%d",
            settings.webhook_url,
            settings.webhook_listen_host,
            settings.webhook_listen_port,
        )
        await _until_stopped()
    finally:
        await runner.cleanup()


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
