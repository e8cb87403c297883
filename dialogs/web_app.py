"""The Mini App (webapp/) from the chat: the `web_app` buttons of the welcome, the review and
the Secretariat's digest, and the chat's menu button. Nothing of it without WEBAPP_URL.

The menu button is set per chat, in the person's language, when they are verified and when
they change language. Telegram's answer is not waited for: the window is drawn at once, and a
refusal or an outage is logged, never shown (the page stays reachable from the buttons).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import MenuButtonWebApp, WebAppInfo
from aiogram.utils.i18n import I18n
from aiogram_dialog.widgets.kbd import WebApp
from aiogram_dialog.widgets.text import Format

from dialogs.widgets import T
from reports.i18n import N_

log = logging.getLogger(__name__)

SECRETARIAT_PAGE = "secretariat"  # beside the representative's page (the shared contract)
MENU_BUTTON_TEXT = N_("Open the form")

_pending: set[asyncio.Task[None]] = set()


def page_fields(settings: Any) -> dict[str, Any]:
    """What a getter adds for the buttons below: nothing is shown while `has_webapp` is
    false."""
    url: str | None = settings.webapp_url
    return {
        "has_webapp": url is not None,
        "webapp_url": url or "",
        "dashboard_url": (url or "") + SECRETARIAT_PAGE,
    }


def open_page_button() -> WebApp:
    return WebApp(T("📝 Open the form"), Format("{webapp_url}"), when="has_webapp")


def open_dashboard_button() -> WebApp:
    return WebApp(T("📊 Open the dashboard"), Format("{dashboard_url}"), when="has_webapp")


def show_page_in_menu(bot: Bot, chat_id: int, settings: Any, i18n: I18n, lang: str) -> None:
    """The chat's menu button opens the page, labelled in `lang`; in the background."""
    url: str | None = settings.webapp_url
    if url is None:
        return
    button = MenuButtonWebApp(
        text=i18n.gettext(MENU_BUTTON_TEXT, locale=lang), web_app=WebAppInfo(url=url)
    )
    task = asyncio.create_task(_set(bot, chat_id, button), name="menu-button")
    _pending.add(task)
    task.add_done_callback(_pending.discard)


async def _set(bot: Bot, chat_id: int, button: MenuButtonWebApp) -> None:
    try:
        await bot.set_chat_menu_button(chat_id=chat_id, menu_button=button)
    except TelegramAPIError as exc:  # Telegram's refusal (a chat it does not know): one line
        log.warning("Setting the menu button of chat %d failed: %s", chat_id, exc.message)
    except Exception:  # a background task: nobody else would see it
        log.warning("Setting the menu button of chat %d failed", chat_id, exc_info=True)


async def settled() -> None:
    """Wait for the menu buttons still being set (tests; shutdown need not: a lost one is set
    again at the person's next language change)."""
    if _pending:
        await asyncio.wait(set(_pending))
