"""Random sessions against the real dispatcher (hypothesis, fixed seed): two representatives
of one Office and one of another tap current and older messages, double-tap, forge and
truncate callback data, type, send commands, a stranger presses buttons in their chats, their
stored dialog state stops fitting (renamed states, lost windows, a foreign record, another
user's access), and the bot restarts between steps; in the
fault variant the Bot API also refuses window updates and messages at random points.

After every step: no exception escaped; every press was answered exactly once; the stored
levels equal what "each tap applies to the Recommendation its message shows" predicts;
nobody saw another Office's data; no Office was submitted twice.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiogram.exceptions import TelegramRetryAfter, TelegramServerError
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.methods import AnswerCallbackQuery, EditMessageText
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, Update, User
from aiogram.utils.i18n import I18n
from aiogram_dialog.api.entities import DEFAULT_STACK_ID
from aiogram_dialog.test_tools.memory_storage import JsonMemoryStorage
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from storage.db import create_engine
from survey.model import Actor
from survey.offices import shipped_offices
from survey.questionnaire import LANGUAGES, Questionnaire
from survey.service import SurveyService
from tests.support import Clock, survey_service

from .harness import App, Person, check_html, start_app

PEOPLE = {1: ("EP", "en"), 2: ("EP", "fr"), 3: ("JP", "es")}
TEXTS = [
    "hello",
    "/continue",
    "/review",
    "/help",
    "/language",
    "/start",
    "/start junk",
    "/results",
    "EP",
    "x" * 1200,
    "NOTE",  # becomes a note naming the sender's Office: any stored comment must be one
]
FIRST_NUMBER = re.compile(r"(\d+)")
STRANGER = User(id=4242, is_bot=False, first_name="Mallory")
# How a stored dialog state can stop fitting: its states renamed by a newer version, its
# windows lost, a record written by something else, access given to another user.
UNFIT = ("renamed", "missing", "foreign", "denied")
WENT_WRONG = "Sorry, something went wrong"

person_ids = st.sampled_from(sorted(PEOPLE))
older = st.integers(min_value=0, max_value=6)  # 0 = the latest message, 1 = the one before...
actions = st.one_of(
    st.tuples(st.just("tap"), person_ids, older, st.integers(0, 30)),
    st.tuples(st.just("level"), person_ids, older, st.integers(0, 3)),
    st.tuples(st.just("double"), person_ids, st.integers(0, 3)),
    st.tuples(st.just("text"), person_ids, st.sampled_from(TEXTS)),
    st.tuples(st.just("forge"), person_ids, person_ids, older, st.integers(0, 64)),
    st.tuples(st.just("fill"), person_ids),
    st.tuples(st.just("submit"), person_ids),
    st.tuples(st.just("restart"), st.booleans()),
    st.tuples(st.just("race"), person_ids),  # answer all, then both of EP press Submit
    # Someone who is not the chat's user presses a button in it (a forged or bridged update).
    st.tuples(st.just("stranger"), person_ids, older, st.integers(0, 30)),
    # The person's stored dialog state stops fitting (bot/dialog_guard.py).
    st.tuples(st.just("unfit"), person_ids, st.sampled_from(UNFIT)),
)
faults = st.tuples(
    st.just("fault"), st.sampled_from(["edit", "send"]), st.sampled_from(["5xx", "429"])
)


@dataclass
class Session:
    """One random session: the bot, the people, and the model of what must be stored."""

    settings: Settings
    service: SurveyService
    i18n: I18n
    storage_kind: str
    engine: AsyncEngine
    app: App = field(init=False)
    storage: BaseStorage = field(init=False)
    people: dict[int, Person] = field(default_factory=dict)
    expected: dict[str, dict[int, str]] = field(default_factory=lambda: {"EP": {}, "JP": {}})
    notes: dict[str, set[str]] = field(default_factory=lambda: {"EP": set(), "JP": set()})
    typed: dict[str, set[str]] = field(default_factory=lambda: {"EP": set(), "JP": set()})
    shown: dict[int, list[str]] = field(default_factory=dict)
    note_count: int = 0
    stranger_presses: int = 0

    def __post_init__(self) -> None:
        self.storage = self.new_storage()
        self.app = start_app(self.settings, self.service, self.i18n, storage=self.storage)

    def new_storage(self) -> BaseStorage:
        return MemoryStorage() if self.storage_kind == "memory" else JsonMemoryStorage()

    @property
    def questionnaire(self) -> Questionnaire:
        return self.service.questionnaire

    async def enrol(self) -> None:
        for user_id, (office, lang) in PEOPLE.items():
            person = Person(self.app, user_id, lang)
            code = (await self.service.secretariat.create_invitation(office, Actor.cli())).code
            await person.send(f"/start {code}")
            self.people[user_id] = person
            await self.tap_label(user_id, person.last(), "▶ Start")

    # What people see ----------------------------------------------------------------------

    def windows(self, user_id: int) -> list[Message]:
        """This person's window messages with buttons, newest first (all versions)."""
        return [
            m
            for m in reversed(self.app.messages.sent_messages)
            if m.chat.id == user_id and isinstance(m.reply_markup, InlineKeyboardMarkup)
        ]

    def pick(self, user_id: int, back: int) -> Message | None:
        windows = self.windows(user_id)
        return windows[min(back, len(windows) - 1)] if windows else None

    def level_of(self, label: str) -> str | None:
        label = label.removeprefix("✅ ")
        for level in self.questionnaire.scale:
            if label in {level.label(lang) for lang in LANGUAGES}:
                return level.code
        return None

    # Acting -------------------------------------------------------------------------------

    async def press(self, user_id: int, message: Message, index: int) -> None:
        person = self.people[user_id]
        assert isinstance(message.reply_markup, InlineKeyboardMarkup)
        buttons = [b for row in message.reply_markup.inline_keyboard for b in row]
        button = buttons[index % len(buttons)]
        level = self.level_of(button.text)
        office = PEOPLE[user_id][0]
        shows = FIRST_NUMBER.search(message.text or "")
        if level is not None and shows and not await self.submitted(office):
            # The model: a level tap applies to the Recommendation its message shows.
            self.expected[office][int(shows.group(1))] = level
        before = len(self.app.bot.calls)
        callback_id = await person.client.click(message, _Exactly(button.text))
        await person.settle()
        assert self.app.answers_to(callback_id) == 1, (button.text, self.app.bot.calls[before:])

    async def submitted(self, office: str) -> bool:
        async with self.engine.connect() as connection:
            result = await connection.execute(
                text(
                    "SELECT count(*) FROM response JOIN office ON office.id = response.office_id "
                    "WHERE office.code = :code AND response.submitted_at IS NOT NULL"
                ),
                {"code": office},
            )
            return bool(result.scalar())

    async def step(self, action: tuple[Any, ...]) -> None:
        kind = action[0]
        event(kind)  # hypothesis statistics: what the sessions did
        if kind == "tap":
            _, user_id, back, index = action
            if (message := self.pick(user_id, back)) is not None:
                await self.press(user_id, message, index)
        elif kind == "level":
            _, user_id, back, which = action
            message = self.pick(user_id, back)
            if message is not None:
                await self.tap_level(user_id, message, which)
        elif kind == "double":
            _, user_id, which = action
            message = self.pick(user_id, 0)
            if message is not None:
                await self.tap_level(user_id, message, which)
                await self.tap_level(user_id, message, which)
        elif kind == "text":
            _, user_id, typed = action
            if typed == "NOTE":
                self.note_count += 1
                typed = f"note {PEOPLE[user_id][0]} {self.note_count}"
                self.notes[PEOPLE[user_id][0]].add(typed)
            if not typed.startswith("/"):
                self.typed[PEOPLE[user_id][0]].add(typed)  # a comment, if a comment was asked
            await self.people[user_id].send(typed)
        elif kind == "forge":
            _, user_id, owner, back, cut = action
            source, target = self.pick(owner, back), self.pick(user_id, 0)
            if source is not None and target is not None:
                await self.forge(user_id, source, target, cut)
        elif kind == "fill":
            await self.people[action[1]].send("/continue")
            for _ in range(len(self.questionnaire.numbers)):
                message = self.pick(action[1], 0)
                if message is None or not await self.tap_level(action[1], message, 0):
                    break
        elif kind == "submit":
            await self.people[action[1]].send("/review")
            for label in ("✅ Submit final answers", "✅ Yes, submit now"):
                message = self.pick(action[1], 0)
                if message is None or not await self.tap_label(action[1], message, label):
                    break
        elif kind == "race":
            await self.step(("fill", action[1]))
            both = [user_id for user_id, (office, _) in PEOPLE.items() if office == "EP"]
            for user_id in both:
                await self.people[user_id].send("/review")
                await self.tap_label(
                    user_id, self.people[user_id].last(), "✅ Submit final answers"
                )
            for user_id in both:  # the two confirmations, one after the other
                await self.tap_label(user_id, self.people[user_id].last(), "✅ Yes, submit now")
        elif kind == "stranger":
            _, owner, back, index = action
            if (message := self.pick(owner, back)) is not None:
                await self.strangers_press(message, index)
        elif kind == "unfit":
            await self.unfit(action[1], action[2])
        elif kind == "restart":
            if not action[1]:
                self.storage = self.new_storage()  # dialog state lost with the process
            self.app = start_app(self.settings, self.service, self.i18n, storage=self.storage)
            for person in self.people.values():
                person.connect(self.app)
        elif kind == "fault":
            _, where, how = action
            error: Any = (
                TelegramServerError(EditMessageText(text="?"), "Bad Gateway")
                if how == "5xx"
                else TelegramRetryAfter(EditMessageText(text="?"), "Too Many Requests", 60)
            )
            if where == "edit":
                self.app.messages.fail.append(error)
            else:
                self.app.bot.fail.append(error)

    async def strangers_press(self, message: Message, index: int) -> None:
        """Answered, and nothing shown, sent or stored."""
        assert isinstance(message.reply_markup, InlineKeyboardMarkup)
        buttons = [b for row in message.reply_markup.inline_keyboard for b in row]
        data = buttons[index % len(buttons)].callback_data
        self.stranger_presses += 1
        callback_id = f"stranger-{self.stranger_presses}"
        shown, calls = len(self.app.messages.sent_messages), len(self.app.bot.calls)
        await self.app.dispatcher.feed_update(
            self.app.bot,
            Update(
                update_id=10**6 + self.stranger_presses,
                callback_query=CallbackQuery(
                    id=callback_id,
                    data=data,
                    chat_instance="--",
                    from_user=STRANGER,
                    message=message,
                ),
            ),
        )
        assert self.app.answers_to(callback_id) == 1
        assert len(self.app.messages.sent_messages) == shown
        assert all(isinstance(c, AnswerCallbackQuery) for c in self.app.bot.calls[calls:])

    async def unfit(self, user_id: int, how: str) -> None:
        def key(destiny: str) -> StorageKey:
            return StorageKey(
                bot_id=self.app.bot.id, chat_id=user_id, user_id=user_id, destiny=destiny
            )

        stack_key = key(f"aiogd:stack:{DEFAULT_STACK_ID}")
        stack = await self.storage.get_data(stack_key)
        if how == "foreign":
            await self.storage.set_data(stack_key, {"intents": "theirs", "owner": "other bot"})
            return
        for intent_id in stack.get("intents", []):
            context_key = key(f"aiogd:context:{intent_id}")
            context = await self.storage.get_data(context_key)
            if not context:
                continue
            if how == "renamed":
                context["state"] = context["state"].replace(":", ":old_")
            elif how == "denied":
                context["access_settings"] = {"user_ids": [STRANGER.id], "custom": None}
            else:
                context = {}
            await self.storage.set_data(context_key, context)

    async def tap_level(self, user_id: int, message: Message, which: int) -> bool:
        assert isinstance(message.reply_markup, InlineKeyboardMarkup)
        buttons = [b for row in message.reply_markup.inline_keyboard for b in row]
        levels = [i for i, b in enumerate(buttons) if self.level_of(b.text) is not None]
        if not levels:
            return False
        await self.press(user_id, message, levels[which % len(levels)])
        return True

    async def tap_label(self, user_id: int, message: Message, label: str) -> bool:
        assert isinstance(message.reply_markup, InlineKeyboardMarkup)
        buttons = [b.text for row in message.reply_markup.inline_keyboard for b in row]
        if label not in buttons:
            return False
        await self.press(user_id, message, buttons.index(label))
        return True

    async def forge(self, user_id: int, source: Message, target: Message, cut: int) -> None:
        assert isinstance(source.reply_markup, InlineKeyboardMarkup)
        datas = [b.callback_data or "" for row in source.reply_markup.inline_keyboard for b in row]
        whole = datas[cut % len(datas)]
        data = whole[: max(cut, 1)]
        if source.chat.id == user_id and data == whole:
            data = data[:-1]  # a whole, real button of one's own is a tap, not a forgery
        # A forged press may name a whole level button (someone else's): it counts as a tap
        # by this person on the Recommendation that button names.
        office = PEOPLE[user_id][0]
        named = re.fullmatch(r"[^\x1d]*\x1dlv:(\d+):(\w+)", data)
        codes = {level.code for level in self.questionnaire.scale}
        if named and named.group(2) in codes and not await self.submitted(office):
            self.expected[office][int(named.group(1))] = named.group(2)
        callback_id = await self.people[user_id].press_raw(target, data)
        assert self.app.answers_to(callback_id) == 1, data

    # Checking -----------------------------------------------------------------------------

    async def check(self, faults: bool) -> None:
        for office, expected in self.expected.items():
            user_id = next(u for u, (o, _) in PEOPLE.items() if o == office)
            progress = await self.service.answering.progress(user_id)
            stored = {n: a.level for n, a in progress.answers.items() if a.level}
            assert stored == expected, office
            comments = {a.comment for a in progress.answers.values() if a.comment}
            assert comments <= self.typed[office], (comments, self.typed[office])
        async with self.engine.connect() as connection:
            result = await connection.execute(
                text(
                    "SELECT office_id, count(*) FROM audit_event "
                    "WHERE action = 'response.submit' GROUP BY office_id"
                )
            )
            assert all(count == 1 for _, count in result.all())
        names = {
            code: {o.name(lang) for lang in LANGUAGES}
            for code in ("EP", "JP")
            for o in shipped_offices()
            if o.code == code
        }
        for user_id, (office, _) in PEOPLE.items():
            other = "JP" if office == "EP" else "EP"
            seen = [
                check_html(m.text or "")
                for m in self.app.messages.sent_messages
                if m.chat.id == user_id
            ]
            seen += [check_html(t) for t in self.app.bot.sent(user_id)]
            for shown in seen:
                assert not any(name in shown for name in names[other]), shown
                assert not any(note in shown for note in self.notes[other]), shown
                assert faults or WENT_WRONG not in shown, shown
        assert faults or not any(WENT_WRONG in alert for alert in self.app.bot.alerts())


class _Exactly:
    """aiogram-dialog's button locator, by the exact label."""

    def __init__(self, label: str) -> None:
        self.label = label

    def find_button(self, message: Message) -> Any:
        assert isinstance(message.reply_markup, InlineKeyboardMarkup)
        for row in message.reply_markup.inline_keyboard:
            for button in row:
                if button.text == self.label:
                    return button
        return None


async def run_session(
    steps: list[tuple[Any, ...]],
    *,
    database: Path,
    settings_: Settings,
    i18n: I18n,
    questionnaire: Questionnaire,
    storage_kind: str,
    faults: bool,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        service = await survey_service(engine, questionnaire, Clock())
        session = Session(settings_, service, i18n, storage_kind, engine)
        await session.enrol()
        for action in steps:
            await session.step(action)
            await session.check(faults)
        event(f"submitted Offices: {sum([await session.submitted(o) for o in ('EP', 'JP')])}")
        event(f"alerts: {min(len(session.app.bot.alerts()), 3)}+")
    finally:
        await engine.dispose()


def _fresh_database(template: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "survey.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copy(template, path)
    return path


@pytest.mark.parametrize(
    ("storage_kind", "steps", "examples", "faults"),
    [
        # Dialog state serialized as Redis would; restarts keep it or lose it.
        pytest.param("json", st.lists(actions, max_size=30), 60, False, id="sessions"),
        # The production in-memory state, and the Bot API refusing window updates and
        # messages (5xx past the retries, a long 429) at random points.
        pytest.param(
            "memory", st.lists(st.one_of(actions, faults), max_size=30), 40, True, id="faults"
        ),
    ],
)
def test_random_sessions_keep_every_invariant(
    storage_kind: str,
    steps: Any,
    examples: int,
    faults: bool,
    tmp_path: Path,
    sqlite_template: Path,
    settings: Settings,
    i18n: I18n,
    questionnaire: Questionnaire,
) -> None:
    @hypothesis_settings(
        max_examples=examples,
        derandomize=True,  # a fixed seed: the same sessions on every run
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(steps)
    def session(actions_: list[tuple[Any, ...]]) -> None:
        database = _fresh_database(sqlite_template, tmp_path / "db")
        asyncio.run(
            run_session(
                actions_,
                database=database,
                settings_=settings,
                i18n=i18n,
                questionnaire=questionnaire,
                storage_kind=storage_kind,
                faults=faults,
            )
        )

    session()
