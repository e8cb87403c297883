"""The barest aiogram-dialog bot, the floor the real process is measured against.

    BOT_TOKEN=123456:sandbox TELEGRAM_API_URL=http://127.0.0.1:8081 python -m bench.bare_bot

It reads the same environment variables as ``python -m bot run`` for what both need
(``BOT_TOKEN``, ``TELEGRAM_API_URL``, ``WEBHOOK_URL``, ``WEBHOOK_SECRET``,
``WEBHOOK_LISTEN_HOST``, ``WEBHOOK_LISTEN_PORT``), so ``bench/process_bench.py`` drives both
through the stand-in the same way: long polling (aiogram's ``start_polling``) without
``WEBHOOK_URL``, else a webhook served by aiogram's ``SimpleRequestHandler``.

What it does: aiogram-dialog with aiogram's ``MemoryStorage``, one dialog of two windows
shaped like a Recommendation's (a title, a few lines, a row of four level buttons, Back).
``/start`` and ``/continue`` open the first window (a new message); a level button shows the
next window and Back the previous one (each an ``editMessageText``). No database, no
translations, no middlewares: what aiogram and aiogram-dialog cost on their own.

Imports nothing of the bot: its start-up time and memory are the framework's alone.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.filters import Command, CommandStart
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiogram_dialog import Dialog, DialogManager, StartMode, Window, setup_dialogs
from aiogram_dialog.widgets.kbd import Back, Button, Next, Row
from aiogram_dialog.widgets.text import Const, Format

LEVELS = ("High", "Medium", "Low", "No opinion")


class Screens(StatesGroup):
    first = State()
    second = State()


async def _window_data(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    return {"number": 2 if dialog_manager.current_context().state == Screens.second else 1}


def _window(state: State) -> Window:
    # A level shows the other window: the next from the first, the previous from the last.
    step = Back if state == Screens.second else Next
    levels = [step(Const(level), id=f"lv{i}") for i, level in enumerate(LEVELS)]
    return Window(
        Format("<b>Question {number} of 2</b>"),
        Const("A statement, long enough to look like one, on one or two lines of text."),
        Row(*levels),
        Back(Const("◀ Back"), id="back")
        if state == Screens.second
        else Button(Const("◀ Back"), id="noop"),
        state=state,
        getter=_window_data,
    )


def build_dispatcher() -> Dispatcher:
    dispatcher = Dispatcher(storage=MemoryStorage())

    async def start(message: Message, dialog_manager: DialogManager) -> None:
        await dialog_manager.start(Screens.first, mode=StartMode.RESET_STACK)

    dispatcher.message.register(start, CommandStart())
    dispatcher.message.register(start, Command("continue"))
    dispatcher.include_router(Dialog(_window(Screens.first), _window(Screens.second)))
    setup_dialogs(dispatcher)
    return dispatcher


def _settings() -> dict[str, str]:
    token = os.environ.get("BOT_TOKEN", "").strip()
    if not token:
        raise SystemExit("BOT_TOKEN is not set")
    return {
        "token": token,
        "api": os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/"),
        "webhook_url": os.environ.get("WEBHOOK_URL", "").strip(),
        "webhook_secret": os.environ.get("WEBHOOK_SECRET", "").strip(),
        "host": os.environ.get("WEBHOOK_LISTEN_HOST", "127.0.0.1"),
        "port": os.environ.get("WEBHOOK_LISTEN_PORT", "8080"),
    }


async def _serve_webhook(dispatcher: Dispatcher, bot: Bot, settings: dict[str, str]) -> None:
    from aiohttp import web

    app = web.Application()
    handler = SimpleRequestHandler(dispatcher, bot, secret_token=settings["webhook_secret"] or None)
    app.router.add_post(urlsplit(settings["webhook_url"]).path or "/", handler.handle)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    await dispatcher.emit_startup(bot=bot, dispatcher=dispatcher)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopped.set)
    try:
        await web.TCPSite(runner, settings["host"], int(settings["port"])).start()
        await bot.set_webhook(
            settings["webhook_url"],
            secret_token=settings["webhook_secret"] or None,
            allowed_updates=dispatcher.resolve_used_update_types(),
        )
        await stopped.wait()
    finally:
        await runner.cleanup()
        await dispatcher.emit_shutdown(bot=bot, dispatcher=dispatcher)


async def run() -> None:
    settings = _settings()
    dispatcher = build_dispatcher()
    bot = Bot(
        settings["token"],
        session=AiohttpSession(api=TelegramAPIServer.from_base(settings["api"])),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    try:
        await bot.get_me()
        if settings["webhook_url"]:
            await _serve_webhook(dispatcher, bot, settings)
        else:
            await bot.delete_webhook()
            await dispatcher.start_polling(
                bot, allowed_updates=dispatcher.resolve_used_update_types(), close_bot_session=False
            )
    finally:
        await bot.session.close()


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run())


if __name__ == "__main__":
    main()
