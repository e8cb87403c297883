"""The real bot process (`python -m bot run`) against the local Bot API stand-in."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from standin.state import ChatMessage
from standin.telegram import TelegramStandIn
from storage.db import SqlStoreFactory, create_engine
from storage.migrate import upgrade_async
from survey.model import Actor
from survey.offices import shipped_offices
from survey.questionnaire import load_questionnaire
from survey.service import SurveyService

TOKEN = "123456:sandbox"
STEP_TIMEOUT = 30.0  # seconds; generous for a loaded CI machine, never a performance bound


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class BotProcess:
    """`python -m bot run` in a subprocess, as in production, with its log kept in a file."""

    env: dict[str, str]
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    runs: int = 0
    logs: list[Path] = field(default_factory=list)

    def start(self, *, prefix: Sequence[str] = (), **extra: str) -> None:
        """Start `python -m bot run`; `prefix` runs it under another command (prlimit)."""
        assert self.process is None or self.process.poll() is not None
        self.runs += 1
        log = self.workdir / f"bot-{self.runs}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [*prefix, sys.executable, "-m", "bot", "run"],
                cwd=self.workdir,
                env={**os.environ, **self.env, **extra},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=STEP_TIMEOUT)

    def stop(self) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def log(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in self.logs if path.exists())

    def last_log(self) -> str:
        """The log of the latest run only."""
        return self.logs[-1].read_text(errors="replace") if self.logs else ""

    def terminate(self) -> None:
        """SIGTERM, without waiting for the exit (see `exit_code`)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)

    async def exit_code(self) -> int:
        assert self.process is not None
        return await asyncio.to_thread(self.process.wait, STEP_TIMEOUT)

    async def wait_for_log(self, text: str) -> None:
        """Wait until the latest run has logged `text` (a file, so it is read again and
        again; the deadline only keeps a broken run from hanging the test)."""
        async with asyncio.timeout(STEP_TIMEOUT):
            while text not in self.last_log():  # noqa: ASYNC110 - a file has no event to await
                await asyncio.sleep(0.05)


@dataclass
class Launch:
    """Start (and start again) the bot in one mode: long polling, or a webhook whose URL
    stays the same across restarts, as behind a real reverse proxy."""

    bot: BotProcess
    telegram: TelegramStandIn
    mode: str
    port: int = field(default_factory=free_port)

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram/updates"

    async def start(self) -> None:
        """Start the process and wait until it takes updates."""
        if self.mode == "polling":
            polled = len(self.telegram.calls_of("getUpdates"))
            self.bot.start()
            await self.telegram.wait_for(
                lambda t: len(t.calls_of("getUpdates")) > polled, STEP_TIMEOUT
            )
            return
        hooked = len(self.telegram.calls_of("setWebhook"))
        self.bot.start(
            WEBHOOK_URL=self.webhook_url,
            WEBHOOK_SECRET="e2e_secret-token",
            WEBHOOK_LISTEN_PORT=str(self.port),
        )
        await self.telegram.wait_for(lambda t: len(t.calls_of("setWebhook")) > hooked, STEP_TIMEOUT)


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramStandIn]:
    stand_in = TelegramStandIn(TOKEN)
    await stand_in.start("127.0.0.1", 0)
    yield stand_in
    await stand_in.stop()


@pytest.fixture
def database_file(tmp_path: Path) -> Path:
    return tmp_path / "survey.db"


@pytest.fixture
async def service(database_file: Path) -> AsyncIterator[SurveyService]:
    url = f"sqlite+aiosqlite:///{database_file}"
    await upgrade_async(url)
    engine = create_engine(url)
    service = SurveyService(SqlStoreFactory(engine), load_questionnaire())
    await service.secretariat.import_offices(shipped_offices(), Actor.cli())
    yield service
    await engine.dispose()


@pytest.fixture
def bot_process(
    telegram: TelegramStandIn, database_file: Path, tmp_path: Path
) -> Iterator[BotProcess]:
    process = BotProcess(
        env={
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": telegram.url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{database_file}",
            "LOG_LEVEL": "INFO",
        },
        workdir=tmp_path,
    )
    yield process
    process.stop()


@pytest.fixture(params=["polling", "webhook"])
def launch(
    request: pytest.FixtureRequest, bot_process: BotProcess, telegram: TelegramStandIn
) -> Launch:
    """A test that starts the bot through this runs once by polling, once by webhook."""
    return Launch(bot_process, telegram, request.param)


class Delegate:
    """A person in a private chat with the bot, through the stand-in."""

    def __init__(self, telegram: TelegramStandIn, user_id: int, language: str = "en") -> None:
        self.telegram = telegram
        self.user_id = user_id
        self.language = language

    def last(self) -> ChatMessage | None:
        return self.telegram.last_bot_message(self.user_id)

    async def send(self, text: str) -> ChatMessage:
        return await self.telegram.user_sends(
            self.user_id, text, language_code=self.language, first_name=f"Delegate{self.user_id}"
        )

    async def expect(self, pattern: str, *, newer_than: int = 0) -> ChatMessage:
        """Wait until the bot's last message in this chat matches `pattern` (and, with
        `newer_than`, was sent after that message id)."""
        regex = re.compile(pattern)

        def shown(t: TelegramStandIn) -> bool:
            message = t.last_bot_message(self.user_id)
            return (
                message is not None
                and message.message_id > newer_than
                and bool(regex.search(message.text))
            )

        try:
            await self.telegram.wait_for(shown, STEP_TIMEOUT)
        except TimeoutError:
            recent = [
                ("bot" if m.from_bot else "user", m.text[:80], m.deleted)
                for m in self.telegram.history(self.user_id)[-6:]
            ]
            raise AssertionError(
                f"no bot message matching {pattern!r}; chat ends: {recent}"
            ) from None
        message = self.last()
        assert message is not None
        return message

    async def click(self, label: str, *, wait: bool = True) -> str:
        message = self.last()
        assert message is not None, "nothing to click"
        query = await self.telegram.user_clicks(self.user_id, message.message_id, text=label)
        if wait:
            await self.telegram.wait_answered(query, STEP_TIMEOUT)
        return query


def update_id_of(
    telegram: TelegramStandIn, chat_id: int, *, query: str | None = None, message_id: int = 0
) -> int:
    """The id of the pending update that carries this press, or this message of the chat."""
    for update in telegram.pending_updates:
        payload = update.payload
        if update.kind == "callback_query" and query is not None and payload["id"] == query:
            return update.update_id
        if (
            update.kind == "message"
            and payload["chat"]["id"] == chat_id
            and payload["message_id"] == message_id
        ):
            return update.update_id
    raise LookupError(f"no pending update in chat {chat_id} for {query or message_id}")


async def wait_until_polling(telegram: TelegramStandIn) -> None:
    await telegram.wait_for(lambda t: t.calls_of("getUpdates"), STEP_TIMEOUT)


LEVELS = ("High", "Medium", "Low", "No opinion")


async def verify(delegate: Delegate, service: SurveyService, office: str = "EP") -> None:
    """The delegate opens an invitation link of `office` and starts the survey."""
    code = (await service.secretariat.create_invitation(office, Actor.cli())).code
    await delegate.send(f"/start {code}")
    await delegate.expect("You are verified")
    await delegate.click("▶ Start")
    await delegate.expect("/forgetme")  # the privacy notice, before the first answer
    await delegate.click("✅ I understand, continue")
    await delegate.expect("Recommendation 1 of 40")


async def answer(delegate: Delegate, number: int) -> None:
    """Answer the Recommendation on screen and wait for the acknowledgement."""
    await delegate.expect(f"Recommendation {number} of 40")
    await delegate.click(LEVELS[number % 4])
