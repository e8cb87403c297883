"""`python -m bot run`: the bot, by long polling (bot/polling.py) or a webhook (bot/webhook.py).

Either way an update is confirmed to Telegram only once it has been handled, and dialog
state is kept in a file (bot/dialog_state.py), so a process killed mid-update gets the
update again after a restart and finds the window it was meant for.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import AsyncIterator, Collection, Iterator
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.types import BotCommand, BotCommandScopeChat
from aiogram.utils.i18n import I18n

from bot.bootstrap import create_dispatcher
from bot.commands import command_descriptions
from bot.config import ConfigError, Settings
from bot.descriptions import set_descriptions
from bot.dialog_state import dialog_state_storage
from bot.file_worker import ResultsFilesInAProcess
from bot.holds import HOLDS
from bot.i18n import build_i18n
from bot.logs import UpdateLogContext
from bot.poison import POISON, updates_in_hand
from bot.polling import Poller
from bot.retry import ExpiredPressMiddleware, RetryMiddleware
from bot.secretariat import secretariat_command_descriptions
from bot.upload_checker import UploadChecker
from dialogs.deps import SURVEY_EVENTS
from survey.questionnaire import DEFAULT_LANGUAGE, LANGUAGES
from survey.service import SurveyService

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = logging.getLogger(__name__)


def create_bot(settings: Settings, metrics: Metrics | None = None) -> Bot:
    assert settings.bot_token is not None
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    if metrics is not None:  # outermost: the whole wait, retries included
        from bot.metrics import ApiWaitMiddleware

        session.middleware(ApiWaitMiddleware())
    session.middleware(RetryMiddleware())
    session.middleware(ExpiredPressMiddleware())
    if metrics is not None:  # innermost: each failed attempt counts, retried ones included
        from bot.metrics import ApiErrorMiddleware

        session.middleware(ApiErrorMiddleware(metrics))
    return Bot(
        settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


async def set_commands(bot: Bot, i18n: I18n, admin_ids: Collection[int] = ()) -> None:
    """The command menu in each language; clients in other languages get the English one.
    Secretariat members see theirs too, in their chats only."""
    for lang in LANGUAGES:
        with i18n.context(), i18n.use_locale(lang):
            menu = [BotCommand(command=n, description=d) for n, d in command_descriptions().items()]
            extra = [
                BotCommand(command=n, description=d)
                for n, d in secretariat_command_descriptions().items()
            ]
        await bot.set_my_commands(menu, language_code=lang)
        if lang == DEFAULT_LANGUAGE:
            await bot.set_my_commands(menu)
        for admin in sorted(admin_ids):
            scope = BotCommandScopeChat(chat_id=admin)
            await bot.set_my_commands(extra + menu, scope=scope, language_code=lang)
            if lang == DEFAULT_LANGUAGE:
                await bot.set_my_commands(extra + menu, scope=scope)


async def run(settings: Settings, service: SurveyService) -> None:
    """Long polling, or a webhook server when WEBHOOK_URL is set."""
    i18n = build_i18n()
    storage = dialog_state_storage(settings)
    # Uploaded files are checked in worker processes (started once the Bot API answers), killed
    # when the bot stops, whatever they are doing: SIGTERM never waits for a check.
    checker = UploadChecker.from_settings(settings)
    results_files = ResultsFilesInAProcess(settings)
    dispatcher = create_dispatcher(
        settings,
        service,
        storage=storage,
        i18n=i18n,
        upload_checker=checker,
        results_files=results_files,
    )
    # Every log line written while an update is handled names it.
    dispatcher.update.outer_middleware(UpdateLogContext())
    # Metrics are counted where they can be read: the webhook server serves /metrics; a
    # polling process has no server, so it neither counts nor loads prometheus_client.
    metrics = None
    if settings.webhook_url:
        from bot.metrics import Metrics

        metrics = Metrics()
        observe(dispatcher, metrics)
    bot = create_bot(settings, metrics)
    # The updates in hand, recorded where dialog state is: a poison update is skipped.
    in_hand = updates_in_hand(settings, storage, bot.id)
    dispatcher[POISON].use(in_hand)
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
        checker.start()  # ready before the first upload: a worker takes a second to start
        await set_commands(bot, i18n, settings.admin_ids)
        await set_descriptions(bot, i18n)
        allowed = dispatcher.resolve_used_update_types(skip_events={"aiogd_update"})
        # What start-up built (aiogram's types and models, the questionnaire) lives as long as
        # the process: kept out of the garbage collector's full collections, which would walk
        # all of it while people wait. Without this, the first full collections under load
        # paused every chat: with 200 people tapping, p99 173 ms instead of 27 ms (bench/README).
        gc.collect()
        gc.freeze()
        if settings.webhook_url:
            # aiohttp's server side and aiogram's webhook handler: only for a webhook.
            from bot.webhook import serve_webhook

            stopped = asyncio.Event()
            assert metrics is not None
            with _set_on_signals(stopped):
                await serve_webhook(settings, dispatcher, bot, allowed, stopped, metrics=metrics)
        else:
            await bot.delete_webhook()
            async with _webapp_beside_polling(settings, dispatcher, bot):
                await Poller(dispatcher, bot, allowed_updates=allowed).run(handle_signals=True)
    finally:
        await checker.close()
        if in_hand is not None:
            await in_hand.close()
        await bot.session.close()
        await storage.close()


@contextlib.asynccontextmanager
async def _webapp_beside_polling(
    settings: Settings, dispatcher: Dispatcher, bot: Bot
) -> AsyncIterator[None]:
    """The Mini App's own server while the poller runs, when WEBAPP_URL is set (a webhook
    serves it beside itself)."""
    if not settings.webapp_url:
        yield
        return
    from webapp.context import WebAppContext
    from webapp.server import serve_webapp

    context = WebAppContext.from_dispatcher(dispatcher, bot)
    async with serve_webapp(context, settings.webapp_listen_host, settings.webapp_listen_port):
        yield


def observe(dispatcher: Dispatcher, metrics: Metrics) -> None:
    """Count and time the updates, and let the dialogs report what they store
    (dialogs/deps.py: SurveyEvents)."""
    from bot.metrics import UpdateMiddleware

    dispatcher.update.outer_middleware(UpdateMiddleware(metrics))
    dispatcher[SURVEY_EVENTS] = metrics
    holds = dispatcher.get(HOLDS)
    if holds is not None:
        holds.events = metrics


@contextlib.contextmanager
def _set_on_signals(stopped: asyncio.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set `stopped`, so that the process ends cleanly (exit 0)."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        with contextlib.suppress(NotImplementedError):  # Windows
            loop.add_signal_handler(signum, stopped.set)
    try:
        yield
    finally:
        for signum in signals:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(signum)
