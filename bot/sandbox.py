"""`python -m bot sandbox`: the whole survey on this machine, no Telegram account, no internet.

Starts the Bot API stand-in (the `standin` package, which knows nothing of this bot), runs the
real bot (`python -m bot run`, the production code path) against it through TELEGRAM_API_URL,
keeps the data in a SQLite file so a second run resumes, and opens a chat in the terminal
(`standin.terminal`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bot.bootstrap import open_service
from bot.config import ConfigError, Settings
from standin.telegram import TelegramStandIn
from standin.terminal import StdinLines, TerminalChat
from standin.web_app import launch_url, signed_init_data
from survey.errors import Refused
from survey.model import Actor

SANDBOX_USER_ID = 1001
SANDBOX_NAME = "Sandbox Delegate"
DEMO_OFFICE = "EP"
START_TIMEOUT = 60.0

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SandboxOptions:
    data_dir: Path
    language: str = "en"
    admin: bool = False
    office: str = DEMO_OFFICE


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _page_links(token: str, page_url: str, options: SandboxOptions) -> str:
    """The Mini App's links, signed as Telegram signs them for the sandbox's person: they
    open the page in a browser on this machine, for an hour (the page's own limit)."""
    init_data = signed_init_data(
        token, SANDBOX_USER_ID, first_name=SANDBOX_NAME, language_code=options.language
    )
    lines = [
        "The survey on one page, in a browser on this machine (the link works for an hour; "
        "the form's button in the chat prints a fresh one):",
        f"  {launch_url(page_url, init_data)}",
    ]
    if options.admin:
        lines += [
            "The Secretariat's dashboard:",
            f"  {launch_url(page_url + 'secretariat', init_data)}",
        ]
    return "\n".join(lines)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def run_sandbox(options: SandboxOptions, settings: Settings) -> int:
    try:
        options.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        problem = (
            "it is a file, not a folder" if options.data_dir.is_file() else exc.strerror or str(exc)
        )
        raise ConfigError(
            f"cannot keep the sandbox's data in {options.data_dir}: {problem}"
        ) from None
    database_url = f"sqlite+aiosqlite:///{(options.data_dir / 'sandbox.db').resolve()}"
    sandbox_settings = settings.model_copy(update={"database_url": database_url})

    # Seed: the demo Office's invitation, unless this person is already in from an earlier run.
    async with open_service(sandbox_settings) as service:
        try:
            returning = await service.enrolment.whereabouts(SANDBOX_USER_ID) is not None
        except Refused:  # removed with `representatives remove`: a new code lets them back
            returning = False
        code = None
        if not returning:
            issued = await service.secretariat.create_invitation(
                options.office, Actor.cli(), max_uses=None
            )
            code = issued.code

    # Each run has a new stand-in whose chats start empty, so the windows an earlier run
    # remembered are in no chat any more: start the dialog state afresh too.
    dialog_state = (options.data_dir / "sandbox-dialog-state.db").resolve()
    for leftover in (dialog_state, *(Path(f"{dialog_state}{end}") for end in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)

    telegram = TelegramStandIn()
    url = await telegram.start("127.0.0.1", 0)
    bot_log = options.data_dir / "sandbox-bot.log"
    # The Mini App, served by the bot on this machine and opened in a browser here: plain
    # http on the loopback, Telegram's script replaced by the stand-in's.
    page_port = _free_port()
    page_url = f"http://127.0.0.1:{page_port}/app/"
    env = {
        **os.environ,
        "BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": url,
        "DATABASE_URL": database_url,
        "DIALOG_STATE_PATH": str(dialog_state),
        "REDIS_URL": "",  # one process, its dialog state started afresh above
        "ADMIN_IDS": str(SANDBOX_USER_ID) if options.admin else "",
        "WEBHOOK_URL": "",
        "WEBAPP_URL": page_url,
        "WEBAPP_LISTEN_HOST": "127.0.0.1",
        "WEBAPP_LISTEN_PORT": str(page_port),
        "WEBAPP_SCRIPT_URL": f"{url}/js/telegram-web-app.js",
    }
    with bot_log.open("ab") as log_file:
        bot = subprocess.Popen(  # noqa: ASYNC220 - a long-lived child, not awaited
            [sys.executable, "-m", "bot", "run"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        _say(f"Sandbox: Bot API stand-in at {url}; the bot's log is in {bot_log}.")
        await telegram.wait_for(lambda t: t.calls_of("getUpdates"), START_TIMEOUT)
        chat = TerminalChat(
            telegram,
            SANDBOX_USER_ID,
            language=options.language,
            name=SANDBOX_NAME,
            files_dir=(options.data_dir / "files").resolve(),
        )
        _say(
            "Type the number of a button to press it, or any text or command (/help, "
            "/continue, /review, /language). /quit or Ctrl-D leaves; your answers are kept."
        )
        if options.admin:
            _say(
                "You are also the Secretariat: /results, /export, /offices, /invite, /remind, "
                "/deadline, /reopen. Charts and files the bot sends are saved under "
                f"{(options.data_dir / 'files').resolve()}."
            )
        _say(_page_links(telegram.token, page_url, options))
        if code is not None:
            _say(f"Opening the invitation link for {options.office}: t.me/<bot>?start={code}")
            await chat.send(f"/start {code}")
        else:
            _say("Welcome back: resuming where you left off.")
            await chat.send("/continue")
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        stdin = StdinLines(sys.stdin.fileno(), lines)
        try:
            await chat.run(lines)
        finally:
            stdin.close()
        return 0
    except TimeoutError:
        _say(f"The bot did not start; see {bot_log}.")
        return 1
    finally:
        bot.terminate()
        try:
            await asyncio.to_thread(bot.wait, 30)
        except subprocess.TimeoutExpired:
            bot.kill()
        await telegram.stop()
