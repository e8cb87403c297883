"""The Mini App's pages in a real browser: Debian's headless Chromium driven by Selenium,
opening the pages served by the real bot process (`python -m bot run`, polling) against the
Bot API stand-in, with launch data signed as Telegram signs it.

The stand-in, the database set-up and the chat run on an event loop in a thread of their own,
because Selenium's calls block: the page's script comes from the stand-in while a test waits
on the browser."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from standin.telegram import TelegramStandIn
from standin.web_app import launch_url, signed_init_data
from storage.db import SqlStoreFactory, create_engine
from storage.migrate import upgrade_async
from survey.model import Actor
from survey.offices import shipped_offices
from survey.questionnaire import load_questionnaire
from survey.service import SurveyService
from tests.e2e.conftest import STEP_TIMEOUT, TOKEN, BotProcess, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE = Path(__file__).parent / "axe" / "axe.min.js"
SECRETARY = 900
PHONE = (390, 844)
DESKTOP = (1280, 900)

T = TypeVar("T")


def _browser_missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not binary.exists() and shutil.which(binary.name) is None:
            return f"{binary} is not installed (apt-get install chromium chromium-driver)"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    missing = _browser_missing()
    if missing is None:
        return
    if os.environ.get("SURVEY_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"SURVEY_REQUIRE_BROWSER=1 but {missing}")
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.skip(reason=missing))


class Loop:
    """An event loop in a thread: the tests hand it coroutines and wait for their results."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(STEP_TIMEOUT * 2)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(STEP_TIMEOUT)
        self.loop.close()


@dataclass
class World:
    """The running bot, its stand-in, and the database the tests set people up in."""

    loop: Loop
    telegram: TelegramStandIn
    service: SurveyService
    bot: BotProcess
    page_url: str

    def open_as(
        self,
        user_id: int,
        *,
        page: str = "",
        dark: bool = False,
        lang: str = "en",
        auth_date: int | None = None,
        token: str = TOKEN,
    ) -> str:
        data = signed_init_data(
            token, user_id, first_name=f"Person{user_id}", language_code=lang, auth_date=auth_date
        )
        return launch_url(self.page_url + page, data, dark=dark)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    workdir = tmp_path_factory.mktemp("browser")
    database = f"sqlite+aiosqlite:///{workdir / 'survey.db'}"
    loop = Loop()
    telegram = TelegramStandIn(TOKEN)
    loop.run(telegram.start("127.0.0.1", 0))

    async def prepare() -> tuple[SurveyService, Any]:
        await upgrade_async(database)
        engine = create_engine(database)
        service = SurveyService(SqlStoreFactory(engine), load_questionnaire())
        await service.secretariat.import_offices(shipped_offices(), Actor.cli())
        return service, engine

    service, engine = loop.run(prepare())
    port = free_port()
    page_url = f"http://127.0.0.1:{port}/app/"
    bot = BotProcess(
        env={
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": telegram.url,
            "DATABASE_URL": database,
            "LOG_LEVEL": "INFO",
            "ADMIN_IDS": str(SECRETARY),
            "WEBAPP_URL": page_url,
            "WEBAPP_LISTEN_PORT": str(port),
            "WEBAPP_SCRIPT_URL": f"{telegram.url}/js/telegram-web-app.js",
        },
        workdir=workdir,
    )
    bot.start()
    try:
        loop.run(bot.wait_for_log("Mini App served on"))
        yield World(loop, telegram, service, bot, page_url)
    finally:
        code = bot.stop()
        loop.run(engine.dispose())
        loop.run(telegram.stop())
        loop.close()
    assert code == 0, bot.log()[-3000:]
    assert "Traceback" not in bot.log(), bot.log()[-3000:]


@pytest.fixture(scope="session")
def driver() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium"))
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--lang=en-US",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
    ):
        options.add_argument(argument)
    path = CHROMEDRIVER if CHROMEDRIVER.exists() else Path(shutil.which("chromedriver") or "")
    browser = webdriver.Chrome(service=Service(str(path)), options=options)
    browser.implicitly_wait(0)
    yield browser
    browser.quit()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where the screenshots go: SURVEY_SCREENSHOTS (outside the repository) for people to
    look at, else the test's own temporary folder."""
    return Path(os.environ.get("SURVEY_SCREENSHOTS") or tmp_path)
