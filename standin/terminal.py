"""A chat client for the terminal: the bot's messages with numbered buttons, edits shown as
edits; a number presses a button, anything else is sent as a message."""

from __future__ import annotations

import asyncio
import codecs
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from standin.state import ChatEvent, SandboxError
from standin.telegram import TelegramStandIn
from standin.web_app import launch_url, signed_init_data

QUIT = {"/quit", "/exit"}
MENU = "0"  # the chat's menu button, when the bot has set one that opens a page
BOLD, DIM, RESET = "\033[1m", "\033[2m", "\033[0m"


@dataclass
class Keyboard:
    """The buttons a number refers to: those of the bot's latest message that has any."""

    message_id: int = 0
    labels: list[str] = field(default_factory=list)
    # The page each button opens (a web_app button), None for one that presses.
    pages: list[str | None] = field(default_factory=list)


class TerminalChat:
    def __init__(
        self,
        telegram: TelegramStandIn,
        user_id: int,
        *,
        language: str,
        name: str,
        out: TextIO = sys.stdout,
        color: bool | None = None,
        files_dir: Path | None = None,
    ) -> None:
        self.telegram = telegram
        self.user_id = user_id
        self.language = language
        self.name = name
        self.out = out
        self.color = out.isatty() if color is None else color
        self.keyboard = Keyboard()
        self.menu_page: str | None = None
        self.seen = 0
        # Photos and documents the bot sends are saved here, so that they can be opened.
        self.files_dir = files_dir

    def _style(self, code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if self.color else text

    def _print(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def _events(self) -> list[ChatEvent]:
        chat = self.telegram.state.chats.get(self.user_id)
        return chat.events if chat is not None else []

    def show_new_events(self) -> None:
        for event in self._events()[self.seen :]:
            self.seen = event.seq
            self._show(event)

    def _show(self, event: ChatEvent) -> None:
        if event.kind in ("message", "edit"):
            message: dict[str, Any] = event.data["message"]
            if not message["from_bot"]:
                return
            revisions = message["revisions"]
            same_text = len(revisions) > 1 and revisions[-1] == revisions[-2]
            if message["message_id"] == self.keyboard.message_id and not message["buttons"]:
                self.keyboard = Keyboard()  # its numbers no longer mean anything
            if event.kind == "edit" and same_text and not message["buttons"]:
                self._print(self._style(DIM, "(the buttons of an earlier message are gone)"))
                return
            header = "bot" if event.kind == "message" else "bot (edited its message)"
            self._print()
            self._print(self._style(DIM, f"── {header} ──"))
            if message.get("file_id") and event.kind == "message":
                self._show_file(event.seq, message["file_id"])
            if message["text"]:
                self._print(message["text"])
            self._show_buttons(message)
        elif event.kind == "answer":
            answer = event.data["answer"]
            if answer.get("text"):
                mark = "⚠" if answer.get("show_alert") else "ℹ"
                self._print(self._style(BOLD, f"{mark} {answer['text']}"))
        elif event.kind == "delete":
            self._print(self._style(DIM, "(the bot deleted a message)"))
        elif event.kind == "menu_button":
            button = event.data["menu_button"]
            if button.get("type") == "web_app":
                self.menu_page = button["web_app"]["url"]
                self._print(
                    self._style(DIM, f"(menu button: [{MENU}] {button['text']}, opens the page)")
                )
            else:
                self.menu_page = None

    def _show_file(self, seq: int, file_id: str) -> None:
        stored = self.telegram.state.files.get(file_id)
        if stored is None:
            return
        kind = "photo" if stored.kind == "photo" else "document"
        name = stored.file_name or stored.path.rsplit("/", 1)[-1]
        if self.files_dir is None:
            self._print(f"[{kind}: {name}, {len(stored.data):,} bytes]")
            return
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path = self.files_dir / f"{seq:04d}-{Path(name).name}"
        path.write_bytes(stored.data)
        self._print(f"[{kind} saved: {path}]")

    def _show_buttons(self, message: dict[str, Any]) -> None:
        markup = message.get("reply_markup") or {}
        rows: list[list[dict[str, Any]]] = markup.get("inline_keyboard") or []
        if not rows:
            return
        buttons = [button for row in rows for button in row]
        self.keyboard = Keyboard(
            message["message_id"],
            [button["text"] for button in buttons],
            [_page(button) for button in buttons],
        )
        number = 0
        for row in rows:
            cells = []
            for button in row:
                number += 1
                opens = " (opens the page)" if _page(button) else ""
                cells.append(f"[{number}] {button['text']}{opens}")
            self._print("   " + "   ".join(cells))

    def open_page(self, page_url: str) -> None:
        """What a Telegram client does for a web_app button: open the page signed for this
        person. Here: print the link, for a browser on this machine."""
        init_data = signed_init_data(
            self.telegram.token,
            self.user_id,
            first_name=self.name,
            language_code=self.language.split("-")[0] or None,
        )
        self._print("The page, signed for you (the link works for an hour):")
        self._print(f"  {launch_url(page_url, init_data)}")

    async def handle(self, line: str) -> bool:
        """One line typed by the person; returns False when they want to leave."""
        text = line.strip()
        if not text:
            return True
        if text in QUIT:
            return False
        if text == MENU and self.menu_page is not None:
            self.open_page(self.menu_page)
            return True
        if text.isdigit() and self.keyboard.labels:
            index = int(text) - 1
            if not 0 <= index < len(self.keyboard.labels):
                self._print(f"(no button {text}: choose 1 to {len(self.keyboard.labels)})")
                return True
            page = self.keyboard.pages[index] if index < len(self.keyboard.pages) else None
            if page is not None:
                self.open_page(page)  # a page opens; nothing reaches the bot
                return True
            try:
                await self.telegram.user_clicks(
                    self.user_id, self.keyboard.message_id, text=self.keyboard.labels[index]
                )
            except SandboxError:  # the bot changed the message since it was shown
                self.keyboard = Keyboard()
                self._print("(that button is no longer there; use the latest message)")
            return True
        await self.send(text)
        return True

    async def send(self, text: str) -> None:
        await self.telegram.user_sends(
            self.user_id, text, language_code=self.language, first_name=self.name
        )

    async def follow(self) -> None:
        """Print whatever happens in the chat, as it happens."""
        while True:
            await self.telegram.state.wait_until(self._has_news, None)
            self.show_new_events()

    def _has_news(self) -> bool:
        return len(self._events()) > self.seen

    async def run(self, lines: asyncio.Queue[str | None]) -> None:
        follower = asyncio.create_task(self.follow())
        try:
            while (line := await lines.get()) is not None:
                if not await self.handle(line):
                    break
                await asyncio.sleep(0)  # let the follower print what the bot answers
        finally:
            follower.cancel()
            await asyncio.gather(follower, return_exceptions=True)


def _page(button: dict[str, Any]) -> str | None:
    web_app = button.get("web_app")
    return str(web_app["url"]) if isinstance(web_app, dict) and web_app.get("url") else None


class StdinLines:
    """Lines typed on stdin, read by the event loop itself (no thread that would keep the
    process alive after /quit while blocked in readline)."""

    def __init__(self, fd: int, lines: asyncio.Queue[str | None]) -> None:
        self.fd = fd
        self.lines = lines
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.pending = ""
        self.loop = asyncio.get_running_loop()
        self.watched = True
        try:
            self.loop.add_reader(fd, self._readable)
        except PermissionError:  # a regular file (`sandbox < script.txt`) cannot be watched
            self.watched = False
            self.loop.call_soon(self._read_file)

    def _read_file(self) -> None:
        """A file never blocks: its lines are all there at once, then its end."""
        with os.fdopen(os.dup(self.fd), "rb") as source:
            text = self.decoder.decode(source.read(), final=True)
        for line in text.splitlines():
            self.lines.put_nowait(line)
        self.lines.put_nowait(None)

    def _readable(self) -> None:
        chunk = os.read(self.fd, 4096)
        if not chunk:
            if self.pending:
                self.lines.put_nowait(self.pending)
            self.lines.put_nowait(None)
            self.close()
            return
        self.pending += self.decoder.decode(chunk)
        *complete, self.pending = self.pending.split("\n")
        for line in complete:
            self.lines.put_nowait(line)

    def close(self) -> None:
        if self.watched:
            self.loop.remove_reader(self.fd)
