"""Dialog state in a SQLite file: what aiogram and aiogram-dialog store there survives the
process being killed and the file being opened again."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey

from bot.config import Settings
from bot.dialog_state import SqliteStorage, dialog_state_storage

BOT = 123456


def key(chat: int = 42, user: int = 42, destiny: str = "default", **more: object) -> StorageKey:
    return StorageKey(bot_id=BOT, chat_id=chat, user_id=user, destiny=destiny, **more)  # type: ignore[arg-type]


class Form(StatesGroup):
    comment = State()


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[SqliteStorage]:
    storage = SqliteStorage(tmp_path / "state" / "dialog-state.db")  # the folder is created
    yield storage
    await storage.close()


async def test_state_and_data_are_kept_and_cleared(storage: SqliteStorage) -> None:
    assert await storage.get_state(key()) is None
    assert await storage.get_data(key()) == {}
    await storage.set_state(key(), Form.comment)
    await storage.set_data(key(), {"number": 7, "name": "Ève", "nested": {"page": [1, 2]}})
    assert await storage.get_state(key()) == "Form:comment"
    assert await storage.get_data(key()) == {"number": 7, "name": "Ève", "nested": {"page": [1, 2]}}
    assert await storage.update_data(key(), {"page": 2}) == {
        "number": 7,
        "name": "Ève",
        "nested": {"page": [1, 2]},
        "page": 2,
    }
    assert await storage.get_value(key(), "page") == 2

    await storage.set_state(key(), None)
    assert await storage.get_state(key()) is None
    assert await storage.get_data(key()) != {}  # data stays without a state
    await storage.set_data(key(), {})
    assert await storage.get_data(key()) == {}
    await storage.set_state(key(), "plain:string")
    assert await storage.get_state(key()) == "plain:string"


async def test_destinies_chats_users_and_bots_are_kept_apart(storage: SqliteStorage) -> None:
    # aiogram-dialog keeps each stack and each context under its own destiny.
    keys = [
        key(destiny="aiogd:stack:"),
        key(destiny="aiogd:context:abc"),
        key(destiny="aiogd:context:abd"),
        key(chat=43, user=43, destiny="aiogd:stack:"),
        key(chat=-100, user=42, destiny="aiogd:stack:"),
        key(thread_id=5, destiny="aiogd:stack:"),
        key(business_connection_id="biz", destiny="aiogd:stack:"),
        StorageKey(bot_id=BOT + 1, chat_id=42, user_id=42, destiny="aiogd:stack:"),
    ]
    for number, each in enumerate(keys):
        await storage.set_data(each, {"n": number})
        await storage.set_state(each, f"S:{number}")
    for number, each in enumerate(keys):
        assert await storage.get_data(each) == {"n": number}
        assert await storage.get_state(each) == f"S:{number}"
    assert await storage.get_data(key()) == {}


async def test_everything_is_there_after_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "dialog-state.db"
    first = SqliteStorage(path)
    await first.set_data(key(destiny="aiogd:context:x"), {"state": "Survey:question"})
    await first.set_state(key(), Form.comment)
    await first.close()
    await first.close()  # closing twice is harmless (the dispatcher and the runner both do)

    again = SqliteStorage(path)
    try:
        assert await again.get_data(key(destiny="aiogd:context:x")) == {"state": "Survey:question"}
        assert await again.get_state(key()) == "Form:comment"
    finally:
        await again.close()


async def test_a_write_survives_the_process_being_killed(tmp_path: Path) -> None:
    path = tmp_path / "dialog-state.db"
    script = f"""
import asyncio, os, signal
from aiogram.fsm.storage.base import StorageKey
from bot.dialog_state import SqliteStorage

async def main():
    storage = SqliteStorage({str(path)!r})
    await storage.set_data(StorageKey(bot_id=1, chat_id=2, user_id=2), {{"number": 13}})
    os.kill(os.getpid(), signal.SIGKILL)  # no close, no clean exit

asyncio.run(main())
"""
    killed = await asyncio.create_subprocess_exec(sys.executable, "-c", script)
    assert await asyncio.wait_for(killed.wait(), timeout=60) == -9

    storage = SqliteStorage(path)
    try:
        assert await storage.get_data(StorageKey(bot_id=1, chat_id=2, user_id=2)) == {"number": 13}
    finally:
        await storage.close()


async def test_a_closed_storage_refuses_to_work(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "dialog-state.db")
    await storage.close()
    with pytest.raises(RuntimeError, match="closed"):
        await storage.get_data(key())


async def test_the_setting_chooses_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings(_env_file=None).dialog_state_path == Path("data/dialog-state.db")  # type: ignore[call-arg]
    monkeypatch.setenv("DIALOG_STATE_PATH", str(tmp_path / "elsewhere" / "state.db"))
    storage = dialog_state_storage(Settings(_env_file=None))  # type: ignore[call-arg]
    try:
        await storage.set_state(key(), "S:1")
    finally:
        await storage.close()
    assert (tmp_path / "elsewhere" / "state.db").exists()
