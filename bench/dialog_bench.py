"""What one click costs the bot, end to end in-process, against the bare framework in one run.

    python -m bench.dialog_bench [--clicks N] [--messages N] [--users N]
                                 [--storage memory|json] [--backend sqlite|postgres]

1. Bot path: the real dispatcher from ``bot.bootstrap.create_dispatcher`` on a migrated SQLite
   file (or PostgreSQL database, --backend postgres), with aiogram-dialog's
   ``MockMessageManager`` (no network) and a ``FakeBot`` that answers in-process. Several
   verified representatives, each of an Office of their own, are served round-robin. Every
   timed update is a click on a level button of the last window the person was shown: it
   records the answer, moves on and renders the next Recommendation. The 40th click of a
   person opens the review instead and is reported on its own row; the person is then
   replaced by a new one with a fresh Office (untimed).
2. Message path: ``/continue`` through the same dispatcher (reads the progress, opens the
   first unanswered Recommendation).
3. Baselines in the same run, fed the same number of similar updates with the same
   ``dp.feed_update``: a bare aiogram ``Dispatcher`` whose handlers only ``return``, and bare
   aiogram-dialog (one Window with one Button, the same message manager, no database).
   The three paths are interleaved in blocks, so they share the machine's state and load.
4. Breakdown of the bot's time: use-case calls (the database and the survey's
   rules), window rendering (without the service calls made by getters), the stand-in for
   Telegram (message manager and bot), and the rest (aiogram, aiogram-dialog, handlers).

See bench/README.md ("Dialog benchmark") for how to read the output. Nothing here is a
pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import gc
import inspect
import io
import itertools
import pstats
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import CommandStart
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.methods import AnswerCallbackQuery, SendMessage, TelegramMethod
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window, setup_dialogs
from aiogram_dialog.api.entities import NewMessage, OldMessage
from aiogram_dialog.api.protocols import MessageNotModified
from aiogram_dialog.test_tools import MockMessageManager
from aiogram_dialog.test_tools.bot_client import FakeBot
from aiogram_dialog.test_tools.memory_storage import JsonMemoryStorage
from aiogram_dialog.widgets.kbd import Button
from aiogram_dialog.widgets.text import Const
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import common
from bench.common import log, ms
from bench.figures import Figure, at_most_times
from bot.bootstrap import create_dispatcher
from bot.config import Settings
from bot.dialog_state import SqliteStorage
from dialogs.privacy import CATALOG_VERSION
from storage.db import SqlStoreFactory, create_engine
from storage.migrate import upgrade
from survey.model import Actor
from survey.offices import OfficeInfo, shipped_offices
from survey.questionnaire import Questionnaire, load_questionnaire
from survey.service import SurveyService

BENCH_DATABASE = "dialog_bench"
ONE = text("SELECT 1")
BLOCK = 50  # the three paths take turns in blocks of this many timed updates
FIRST_USER_ID = 8_000_001
CLIENT_LANGUAGES = ("en", "fr-FR", "es-419")  # Telegram clients' language_code, round-robin
STORAGES = {
    "memory": "aiogram MemoryStorage",
    "json": "aiogram-dialog JsonMemoryStorage",
    "file": "the bot's SQLite file (bot.dialog_state)",
}

# Where the bot's time goes. FRAMEWORK is what is left: aiogram's dispatch, filters and
# middlewares, the FSM storage, aiogram-dialog's stack and context handling, the handlers.
DB, RENDER, SEND, FRAMEWORK = "db", "render", "send", "framework"


# Measuring ---------------------------------------------------------------------------------


class Probe:
    """Exclusive wall time per category while one update is processed.

    Updates are fed one at a time, so whatever runs inside a wrapped call belongs to it; a
    category entered inside another (a service call from a window's getter) is taken out of
    the outer one.
    """

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._stack: list[str] = []
        self._current = FRAMEWORK
        self._mark = 0.0
        self.start()

    def start(self) -> None:
        self.totals = {DB: 0.0, RENDER: 0.0, SEND: 0.0}
        self.calls = {DB: 0, RENDER: 0, SEND: 0}
        self._stack.clear()
        self._current = FRAMEWORK
        self._mark = time.perf_counter()

    def enter(self, category: str) -> None:
        now = time.perf_counter()
        if self._current != FRAMEWORK:
            self.totals[self._current] += now - self._mark
        if category != self._current:
            self.calls[category] = self.calls.get(category, 0) + 1
        self._stack.append(self._current)
        self._current = category
        self._mark = now

    def leave(self) -> None:
        now = time.perf_counter()
        if self._current != FRAMEWORK:
            self.totals[self._current] = self.totals.get(self._current, 0.0) + now - self._mark
        self._current = self._stack.pop()
        self._mark = now


PROBE = Probe()


def probed(category: str, call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(call)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        PROBE.enter(category)
        try:
            return await call(*args, **kwargs)
        finally:
            PROBE.leave()

    return wrapper


def probe_service(service: SurveyService) -> SurveyService:
    """Time every public coroutine method of the service's use cases (before the dispatcher
    is built: the locale middleware keeps a reference to ``service.enrolment.language``)."""
    for use_case in (service.enrolment, service.answering, service.secretariat):
        for name, _member in inspect.getmembers(type(use_case), inspect.iscoroutinefunction):
            if not name.startswith("_"):
                setattr(use_case, name, probed(DB, getattr(use_case, name)))
    return service


class ProbedWindows:
    """While active, every aiogram-dialog ``Window.render`` (getter included) is timed."""

    def __enter__(self) -> None:
        self._render = Window.render
        Window.render = probed(RENDER, Window.render)  # type: ignore[method-assign,assignment]

    def __exit__(self, *_exc: object) -> None:
        Window.render = self._render  # type: ignore[method-assign]


COUNTS = common.StatementCounter()


@dataclass
class Samples(common.Samples):
    """Per-update wall and process CPU seconds, and the probe's totals over all updates."""

    parts: dict[str, float] = field(default_factory=lambda: {DB: 0.0, RENDER: 0.0, SEND: 0.0})
    calls: dict[str, int] = field(default_factory=lambda: {DB: 0, RENDER: 0, SEND: 0})

    @property
    def mean(self) -> float:
        return statistics.fmean(self.wall)

    @property
    def per_core(self) -> float:
        """Updates per second one core could do if nothing but this process's CPU counted."""
        return 1 / self.cpu_mean

    def part(self, name: str) -> float:
        """Mean seconds per update in one category; FRAMEWORK is what the others leave."""
        if name == FRAMEWORK:
            return self.mean - sum(self.parts.values()) / len(self)
        return self.parts[name] / len(self)


async def timed(samples: Samples | None, feed: Callable[[], Awaitable[Any]]) -> None:
    """Run one update; record it unless this is warm-up (samples is None)."""
    statements = COUNTS.statements
    PROBE.start()
    wall, cpu = time.perf_counter(), time.process_time()
    await feed()
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    if samples is None:
        return
    samples.wall.append(wall)
    samples.cpu.append(cpu)
    for name, seconds in PROBE.totals.items():
        samples.parts[name] += seconds
    for name, count in PROBE.calls.items():
        samples.calls[name] += count
    samples.statements += COUNTS.statements - statements


# Telegram, in-process -----------------------------------------------------------------------


class BenchMessageManager(MockMessageManager):
    """aiogram-dialog's mock message manager, keeping only each chat's last window (the mock
    keeps every message, which would grow for the whole run) and counting what it shows;
    its deep copy of every keyboard is left out (see show_message)."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.last: dict[int, Message] = {}
        self.shown = 0

    async def show_message(
        self, bot: Bot, new_message: NewMessage, old_message: OldMessage | None
    ) -> OldMessage:
        # What the mock does for a text message, without its deep copy of the keyboard: the
        # copy cost grows with the number of buttons, and it is the stand-in's work, not the
        # bot's (Telegram gets the keyboard as JSON, which the end-to-end benchmark counts).
        PROBE.enter(SEND)
        try:
            assert not new_message.media, "the benchmark's windows are text"
            markup = new_message.reply_markup
            assert markup is None or isinstance(markup, InlineKeyboardMarkup)
            if new_message.show_mode is ShowMode.NO_UPDATE:
                raise MessageNotModified
            self.last_message_id += 1
            message = Message(
                message_id=self.last_message_id,
                date=datetime.now(),
                chat=new_message.chat,
                text=new_message.text,
                reply_markup=markup,
            )
            self.last[new_message.chat.id] = message
            self.shown += 1
            return OldMessage(
                message_id=message.message_id,
                chat=new_message.chat,
                text=new_message.text,
                media_id=None,
                media_uniq_id=None,
                has_reply_keyboard=False,
                business_connection_id=None,
            )
        finally:
            PROBE.leave()

    async def remove_kbd(
        self, bot: Bot, show_mode: ShowMode, old_message: OldMessage | None
    ) -> Message | None:
        PROBE.enter(SEND)
        try:
            removed = await super().remove_kbd(bot, show_mode, old_message)
            self.sent_messages.clear()
            return removed
        finally:
            PROBE.leave()

    async def answer_callback(self, bot: Bot, callback_query: CallbackQuery) -> None:
        PROBE.enter(SEND)  # Telegram would get answerCallbackQuery; the mock only records it
        PROBE.leave()


class BenchBot(FakeBot):
    """Answers the calls handlers make themselves (alerts, replies), in-process, and counts
    them: on the timed paths there should be none."""

    def __init__(self) -> None:  # FakeBot.__init__ deliberately does nothing either
        self.alerts = 0
        self.sent = 0

    async def __call__(
        self, method: TelegramMethod[Any], request_timeout: int | None = None
    ) -> Any:
        PROBE.enter(SEND)
        try:
            if isinstance(method, AnswerCallbackQuery):
                self.alerts += bool(method.text)
                return True
            if isinstance(method, SendMessage):
                self.sent += 1
                return Message(
                    message_id=1_000_000 + self.sent,
                    date=datetime.now(),
                    chat=Chat(id=int(method.chat_id), type="private"),
                    text=method.text,
                )
            return True
        finally:
            PROBE.leave()


_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


def find_button(message: Message, label: str) -> InlineKeyboardButton:
    markup = message.reply_markup
    if isinstance(markup, InlineKeyboardMarkup):
        for row in markup.inline_keyboard:
            for button in row:
                if button.text == label and button.callback_data:
                    return button
    raise LookupError(f"no button {label!r} under {message.text!r}")


def click_update(user: User, message: Message, button: InlineKeyboardButton) -> Update:
    """A button press, built the way aiogram_dialog.test_tools.BotClient builds it."""
    return Update(
        update_id=next(_update_ids),
        callback_query=CallbackQuery(
            id=str(uuid.uuid4()),
            data=button.callback_data,
            chat_instance="--",
            from_user=user,
            message=message,
        ),
    )


def text_update(user: User, chat: Chat, text: str) -> Update:
    return Update(
        update_id=next(_update_ids),
        message=Message(
            message_id=next(_message_ids),
            date=datetime.fromtimestamp(1_234_567_890),
            chat=chat,
            from_user=user,
            text=text,
        ),
    )


def make_storage(kind: str) -> BaseStorage:
    if kind == "file":  # what `python -m bot run` uses: kept across restarts
        folder = Path(tempfile.mkdtemp(prefix="bench-state-"))
        return SqliteStorage(folder / "dialog-state.db")
    return JsonMemoryStorage() if kind == "json" else MemoryStorage()


# 1-2. The bot -------------------------------------------------------------------------------


@dataclass
class Seat:
    """One private chat; the person in it is replaced when they have answered everything."""

    index: int
    client_language: str
    user: User = field(init=False)
    chat: Chat = field(init=False)
    answered: int = 0


class SurveyBot:
    """The real dispatcher over a real database, people served round-robin."""

    def __init__(
        self,
        service: SurveyService,
        questionnaire: Questionnaire,
        offices: Iterator[str],
        users: int,
        storage: str,
    ) -> None:
        settings = Settings(
            _env_file=None,
            bot_token="123:BENCH",
            admin_ids=frozenset(),
            contact_email="cws.surveys@wipo.int",
        )
        self.service = service
        self.messages = BenchMessageManager()
        self.bot = BenchBot()
        self.dispatcher = create_dispatcher(
            settings, service, storage=make_storage(storage), message_manager=self.messages
        )
        self.total = len(questionnaire.numbers)
        self.levels = {
            lang: [item.label(lang) for item in questionnaire.scale] for lang in ("en", "fr", "es")
        }
        self._offices = offices
        self._user_ids = itertools.count(FIRST_USER_ID)
        self.seats = [Seat(i, CLIENT_LANGUAGES[i % len(CLIENT_LANGUAGES)]) for i in range(users)]
        self.people = 0
        self._turn = itertools.cycle(self.seats)
        self._continue_turn = itertools.cycle(self.seats)

    async def seat_new_person(self, seat: Seat) -> None:
        """A new representative of a fresh Office, verified, with the first window open."""
        user_id = next(self._user_ids)
        code = next(self._offices)
        issued = await self.service.secretariat.create_invitation(code, Actor.cli())
        await self.service.enrolment.redeem(user_id, issued.code, full_name=f"Delegate {user_id}")
        await self.service.privacy.acknowledge(user_id, CATALOG_VERSION)  # the notice read
        seat.user = User(
            id=user_id,
            is_bot=False,
            first_name="Delegate",
            last_name=str(user_id),
            language_code=seat.client_language,
        )
        seat.chat = Chat(id=user_id, type="private")
        seat.answered = 0
        self.people += 1
        shown = self.messages.shown
        await self.dispatcher.feed_update(self.bot, text_update(seat.user, seat.chat, "/continue"))
        assert self.messages.shown == shown + 1, "/continue must show exactly one window"

    async def start(self) -> None:
        for seat in self.seats:
            await self.seat_new_person(seat)

    async def click(
        self,
        samples: Samples | None,
        last: Samples | None,
        seat: Seat | None = None,
    ) -> None:
        """The next seat's person presses a level; their 40th press lands in `last`."""
        seat = seat or next(self._turn)
        lang = seat.client_language.split("-")[0]
        levels = self.levels[lang]
        message = self.messages.last[seat.chat.id]
        button = find_button(message, levels[seat.answered % len(levels)])
        update = click_update(seat.user, message, button)
        shown = self.messages.shown
        final = seat.answered == self.total - 1
        await timed(
            last if final else samples, lambda: self.dispatcher.feed_update(self.bot, update)
        )
        assert self.messages.shown == shown + 1, "a click must show exactly one window"
        seat.answered += 1
        if final:
            await self.check(seat)
            await self.seat_new_person(seat)

    async def stagger(self, step: int) -> None:
        """Untimed: seat i answers i * step more, so that the seats are at different places."""
        for seat in self.seats:
            for _ in range(seat.index * step % (self.total - 1)):
                await self.click(None, None, seat)

    async def resume(self, samples: Samples | None) -> None:
        """The next seat's person sends /continue."""
        seat = next(self._continue_turn)
        update = text_update(seat.user, seat.chat, "/continue")
        shown = self.messages.shown
        await timed(samples, lambda: self.dispatcher.feed_update(self.bot, update))
        assert self.messages.shown == shown + 1, "/continue must show exactly one window"

    async def check(self, seat: Seat) -> None:
        progress = await self.service.answering.progress(seat.user.id)
        assert progress.answered == seat.answered, (seat.user.id, progress, seat.answered)

    async def check_all(self) -> None:
        for seat in self.seats:
            await self.check(seat)
        assert self.bot.alerts == 0, f"{self.bot.alerts} alerts: some clicks were refused"
        assert self.bot.sent == 0, f"{self.bot.sent} messages sent outside the dialogs"


# 3. Baselines -------------------------------------------------------------------------------


class Bare(StatesGroup):
    main = State()


async def do_nothing(_event: object) -> None:
    return


async def open_bare_window(_message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(Bare.main, mode=StartMode.RESET_STACK)


class Baseline:
    """A bare dispatcher fed the same kind of updates, for as many chats, round-robin."""

    command = "/continue"

    def __init__(self, users: int, storage: str) -> None:
        self.bot = BenchBot()
        self.users = [
            User(id=FIRST_USER_ID + i, is_bot=False, first_name="Delegate", language_code="en")
            for i in range(users)
        ]
        self._turn = itertools.cycle(self.users)
        self._message_turn = itertools.cycle(self.users)
        self.dispatcher = Dispatcher(storage=make_storage(storage))

    def chat(self, user: User) -> Chat:
        return Chat(id=user.id, type="private")

    def message_for(self, user: User) -> tuple[Message, InlineKeyboardButton]:
        raise NotImplementedError

    async def start(self) -> None:
        pass

    async def click(self, samples: Samples | None) -> None:
        user = next(self._turn)
        message, button = self.message_for(user)
        update = click_update(user, message, button)
        await timed(samples, lambda: self.dispatcher.feed_update(self.bot, update))

    async def resume(self, samples: Samples | None) -> None:
        user = next(self._message_turn)
        update = text_update(user, self.chat(user), self.command)
        await timed(samples, lambda: self.dispatcher.feed_update(self.bot, update))


class BareAiogram(Baseline):
    """aiogram alone: one callback_query handler and one message handler that only return."""

    def __init__(self, users: int, storage: str) -> None:
        super().__init__(users, storage)
        router = Router(name="bare")
        router.callback_query.register(do_nothing)
        router.message.register(do_nothing)
        self.dispatcher.include_router(router)
        button = InlineKeyboardButton(text="Go", callback_data="go")
        markup = InlineKeyboardMarkup(inline_keyboard=[[button]])
        self._messages = {
            user.id: (
                Message(
                    message_id=1,
                    date=datetime.now(),
                    chat=self.chat(user),
                    text="Bare window",
                    reply_markup=markup,
                ),
                button,
            )
            for user in self.users
        }

    def message_for(self, user: User) -> tuple[Message, InlineKeyboardButton]:
        return self._messages[user.id]


class BareDialog(Baseline):
    """aiogram-dialog alone: one Window with one Button, the same message manager, no DB."""

    command = "/start"

    def __init__(self, users: int, storage: str) -> None:
        super().__init__(users, storage)
        self.messages = BenchMessageManager()
        router = Router(name="bare")
        router.message.register(open_bare_window, CommandStart(), F.chat.type == "private")
        self.dispatcher.include_router(router)
        self.dispatcher.include_router(
            Dialog(Window(Const("Bare window"), Button(Const("Go"), id="go"), state=Bare.main))
        )
        setup_dialogs(self.dispatcher, message_manager=self.messages)

    async def start(self) -> None:
        for user in self.users:
            update = text_update(user, self.chat(user), "/start")
            await self.dispatcher.feed_update(self.bot, update)

    def message_for(self, user: User) -> tuple[Message, InlineKeyboardButton]:
        message = self.messages.last[user.id]
        return message, find_button(message, "Go")

    async def click(self, samples: Samples | None) -> None:
        shown = self.messages.shown
        await super().click(samples)
        assert self.messages.shown == shown + 1, "a click must show exactly one window"


# Running ------------------------------------------------------------------------------------


@dataclass
class Result:
    database: str
    offices: int
    people: int
    clicks: dict[str, Samples]
    messages: dict[str, Samples]
    transaction: Samples
    profile: str = ""


def office_codes(needed: int) -> tuple[list[OfficeInfo], list[str]]:
    """The shipped Offices, and as many extra regional ones with unused letter codes as the
    run needs (each person answers for an Office of their own)."""
    shipped = list(shipped_offices())
    taken = {office.code for office in shipped}
    extra = [
        OfficeInfo(code, "regional", {"en": f"Benchmark Office {code}"})
        for code in common.LETTER_PAIRS
        if code not in taken
    ][: max(0, needed - len(shipped))]
    offices = shipped + extra
    return offices, [office.code for office in offices]


def offices_needed(options: argparse.Namespace, total: int) -> int:
    clicks = options.warmup + options.clicks + options.profile + options.users * total
    return int(options.users + clicks // total + 1)  # the stagger is counted generously


async def interleave(
    count: int, runners: Sequence[Callable[[int, bool], Awaitable[None]]], what: str
) -> None:
    """`count` timed updates per runner, in blocks of BLOCK; the first runner rotates."""
    started = time.perf_counter()
    for block, start in enumerate(range(0, count, BLOCK)):
        size = min(BLOCK, count - start)
        shift = block % len(runners)
        for runner in [*runners[shift:], *runners[:shift]]:
            await runner(size, True)
        if block % 10 == 9:
            log(f"{what}: {start + size}/{count} ({time.perf_counter() - started:.0f} s)")


async def _version(engine: AsyncEngine) -> str:
    version = await common.server_version(engine)
    if engine.dialect.name == "postgresql":
        return f"{version} (asyncpg)"
    return f"{version} file (sqlite3 on the event loop: storage/sqlite_in_loop.py)"


async def run(options: argparse.Namespace) -> Result:
    questionnaire = load_questionnaire()
    total = len(questionnaire.numbers)
    async with common.fresh_database(
        options.backend, options.postgres_url, BENCH_DATABASE, prefix="dialog-bench-"
    ) as url:
        log(f"{options.backend}: migrating a fresh database")
        await asyncio.to_thread(upgrade, url)
        engine = create_engine(url)
        try:
            version = await _version(engine)
            service = SurveyService(SqlStoreFactory(engine), questionnaire)
            offices, codes = office_codes(offices_needed(options, total))
            await service.secretariat.import_offices(offices, Actor.cli())
            with ProbedWindows(), COUNTS.watching(engine):
                result = await measure(options, probe_service(service), questionnaire, codes)
                result.transaction = await bare_transactions(engine, options.warmup)
            result.database = version
            return result
        finally:
            await engine.dispose()


async def bare_transactions(engine: AsyncEngine, runs: int) -> Samples:
    """The floor of one unit of work on this engine: a pooled connection, BEGIN, SELECT 1,
    COMMIT. Every SurveyService call is at least one of these."""

    async def transaction() -> None:
        async with engine.begin() as connection:
            await connection.execute(ONE)

    samples = Samples()
    for _ in range(BLOCK):
        await timed(None, transaction)
    for _ in range(max(runs, BLOCK)):
        await timed(samples, transaction)
    return samples


async def measure(
    options: argparse.Namespace,
    service: SurveyService,
    questionnaire: Questionnaire,
    codes: list[str],
) -> Result:
    bot = SurveyBot(service, questionnaire, iter(codes), options.users, options.storage)
    bare_dialog = BareDialog(options.users, options.storage)
    bare = BareAiogram(options.users, options.storage)
    await bot.start()
    await bare_dialog.start()
    log(f"{options.users} representatives verified, each with an Office of their own")

    clicks = {"bot": Samples(), "bot last": Samples(), "dialog": Samples(), "aiogram": Samples()}
    messages = {"bot": Samples(), "dialog": Samples(), "aiogram": Samples()}

    def kept(samples: Samples, record: bool) -> Samples | None:
        return samples if record else None

    async def bot_clicks(n: int, record: bool) -> None:
        for _ in range(n):
            await bot.click(kept(clicks["bot"], record), kept(clicks["bot last"], record))

    async def dialog_clicks(n: int, record: bool) -> None:
        for _ in range(n):
            await bare_dialog.click(kept(clicks["dialog"], record))

    async def bare_clicks(n: int, record: bool) -> None:
        for _ in range(n):
            await bare.click(kept(clicks["aiogram"], record))

    async def bot_messages(n: int, record: bool) -> None:
        for _ in range(n):
            await bot.resume(kept(messages["bot"], record))

    async def dialog_messages(n: int, record: bool) -> None:
        for _ in range(n):
            await bare_dialog.resume(kept(messages["dialog"], record))

    async def bare_messages(n: int, record: bool) -> None:
        for _ in range(n):
            await bare.resume(kept(messages["aiogram"], record))

    log(f"warm-up: {options.warmup} clicks and {options.warmup // 4} messages per path")
    await bot.stagger(3)
    for runner in (bot_clicks, dialog_clicks, bare_clicks):
        await runner(options.warmup, False)
    for runner in (bot_messages, dialog_messages, bare_messages):
        await runner(options.warmup // 4, False)

    # As `python -m bot run` does once it is up (bot/runner.py): what start-up made is kept out
    # of the collector's full collections. For all three paths alike.
    gc.collect()
    gc.freeze()
    await interleave(options.clicks, [bot_clicks, dialog_clicks, bare_clicks], "clicks")
    gc.collect()
    await interleave(options.messages, [bot_messages, dialog_messages, bare_messages], "messages")
    await bot.check_all()

    profile = ""
    if options.profile:
        log(f"profiling {options.profile} more bot clicks (cProfile, not timed)")
        profiler = cProfile.Profile()
        profiler.enable()
        await bot_clicks(options.profile, False)
        profiler.disable()
        if options.profile_out:
            # For comparing by module (pstats): the bot's clicks, and as many bare ones.
            profiler.dump_stats(options.profile_out)
            bare_profiler = cProfile.Profile()
            bare_profiler.enable()
            await dialog_clicks(options.profile, False)
            bare_profiler.disable()
            bare_profiler.dump_stats(f"{options.profile_out}.bare")
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("tottime")
        stats.print_stats(25)
        for pattern in options.callers:
            stats.print_callers(pattern)
        profile = out.getvalue()

    return Result("", len(codes), bot.people, clicks, messages, Samples(), profile)


# Reporting ----------------------------------------------------------------------------------


def _x(ratio: float) -> str:
    return f"x{ratio:.1f}"


def report(result: Result, options: argparse.Namespace) -> str:
    c, m = result.clicks, result.messages

    def row(name: str, samples: Samples, dialog: Samples | None, bare: Samples | None) -> str:
        ratios = "".join(
            f"{_x(samples.median / base.median) if base else '':>8}" for base in (dialog, bare)
        )
        return (
            f"{name:<35}{len(samples):>5}{ms(samples.median):>8}"
            f"{ms(samples.percentile(95)):>8}{ms(samples.percentile(99)):>8}"
            f"{ms(samples.cpu_mean):>7}{samples.per_second:>7.0f}{samples.per_core:>7.0f}" + ratios
        )

    lines = [
        f"Dialog benchmark: {options.clicks} timed clicks and {options.messages} timed messages "
        f"per path, {options.users} chats round-robin, paths interleaved in blocks of {BLOCK}, "
        f"after {options.warmup} warm-up clicks.",
        f"Bot: {result.database}; FSM storage {STORAGES[options.storage]}; "
        "aiogram-dialog MockMessageManager; in-process FakeBot.",
        "ms per update (dp.feed_update); CPU = process CPU per update; upd/s = one after "
        "another; /core = 1/CPU; vs dlg, vs aio = median / median of bare aiogram-dialog, aiogram.",
        f"{'update':<35}{'n':>5}{'median':>8}{'p95':>8}{'p99':>8}{'CPU':>7}{'upd/s':>7}"
        f"{'/core':>7}{'vs dlg':>8}{'vs aio':>8}",
        row("bot: level click -> next question", c["bot"], c["dialog"], c["aiogram"]),
        row("bot: 40th click -> review", c["bot last"], c["dialog"], c["aiogram"]),
        row("bare aiogram-dialog: button click", c["dialog"], None, c["aiogram"]),
        row("bare aiogram: callback -> return", c["aiogram"], None, None),
        row("bot: /continue -> question", m["bot"], m["dialog"], m["aiogram"]),
        row("bare aiogram-dialog: /start", m["dialog"], None, m["aiogram"]),
        row("bare aiogram: message -> return", m["aiogram"], None, None),
        "",
        "Breakdown, mean ms per update (share): DB = inside SurveyService calls; render = "
        "Window.render without DB; send = mock Telegram; framework = the rest.",
        f"{'update':<35}{'mean':>6}{'DB':>12}{'render':>12}{'send':>12}{'framework':>12}"
        f"{'svc':>5}{'SQL':>5}",
    ]
    for name, samples in (
        ("bot: level click -> next question", c["bot"]),
        ("bot: 40th click -> review", c["bot last"]),
        ("bot: /continue -> question", m["bot"]),
        ("bare aiogram-dialog: button click", c["dialog"]),
        ("bare aiogram-dialog: /start", m["dialog"]),
    ):
        cells = "".join(
            f"{ms(samples.part(part)):>7}{samples.part(part) / samples.mean:>5.0%}"
            for part in (DB, RENDER, SEND, FRAMEWORK)
        )
        lines.append(
            f"{name:<35}{ms(samples.mean):>6}{cells}"
            f"{samples.calls[DB] / len(samples):>5.1f}{samples.statements_per_call:>5.1f}"
        )
    floor = result.transaction
    lines += [
        "svc = SurveyService calls, SQL = statements (without BEGIN), per update.",
        f"One bare unit of work on the same engine (connection, BEGIN, SELECT 1, COMMIT): "
        f"median {ms(floor.median)} ms, CPU {ms(floor.cpu_mean)} ms.",
        f"{result.people} representatives took part, each for an Office of their own "
        f"({result.offices} Offices in the database).",
    ]
    if result.profile:
        lines += ["", result.profile.rstrip()]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.dialog_bench", description=__doc__)
    parser.add_argument("--clicks", type=int, default=2000, help="timed clicks per path")
    parser.add_argument(
        "--messages", type=int, default=500, help="timed /continue (or bare) messages per path"
    )
    parser.add_argument("--warmup", type=int, default=200, help="untimed clicks per path first")
    parser.add_argument("--users", type=int, default=20, help="chats served round-robin")
    parser.add_argument(
        "--storage",
        choices=sorted(STORAGES),
        default="memory",
        help="FSM storage of every dispatcher: aiogram's MemoryStorage, aiogram-dialog's "
        "JsonMemoryStorage (serialises, like Redis), or the SQLite file `python -m bot run` "
        "uses (bot.dialog_state); the bare baselines get the same kind",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    common.add_postgres_options(parser, BENCH_DATABASE)
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="after the timed run, profile N more bot clicks with cProfile and print the top 25",
    )
    parser.add_argument(
        "--callers",
        nargs="*",
        default=[],
        metavar="PATTERN",
        help="with --profile, also print who calls the functions matching each pattern",
    )
    parser.add_argument(
        "--profile-out",
        metavar="FILE",
        help="with --profile, save the bot's profile to FILE and that of as many bare "
        "aiogram-dialog clicks to FILE.bare (pstats files, to compare by module)",
    )
    options = parser.parse_args(argv)
    for name in ("clicks", "messages", "users"):
        if getattr(options, name) < 2:
            parser.error(f"--{name} must be at least 2")
    if options.warmup < 0 or options.profile < 0:
        parser.error("--warmup and --profile cannot be negative")
    if offices_needed(options, len(load_questionnaire().numbers)) > len(common.LETTER_PAIRS):
        parser.error("too many clicks: every 40 need a new Office, and there are 676 letter codes")
    return options


def main(argv: Sequence[str] | None = None) -> None:
    common.main(argv, parse_args, run, report)


if __name__ == "__main__":
    main()


def figures(quick: bool) -> list[Figure]:
    """The in-process click on SQLite and PostgreSQL, each against bare aiogram-dialog in the
    same run (python -m bench)."""
    size = ["--clicks", "400", "--messages", "50"] if quick else ["--clicks", "2000"]
    found: list[Figure] = []
    for backend, times in (("sqlite", 3), ("postgres", 5)):
        options = parse_args([*size, "--backend", backend])
        result = asyncio.run(run(options))
        bot, bare = result.clicks["bot"], result.clicks["dialog"]
        name = "SQLite" if backend == "sqlite" else "PostgreSQL"
        found += [
            Figure(
                f"click in process, {name}, median",
                bot.median * 1000,
                "ms",
                bare.median * 1000,
                "bare aiogram-dialog button click",
                f"≤ {times}x floor",
                at_most_times(bot.median, bare.median, times),
            ),
            Figure(
                f"click in process, {name}, p99",
                bot.percentile(99) * 1000,
                "ms",
                bare.percentile(99) * 1000,
                "bare aiogram-dialog button click",
            ),
        ]
    return found
