"""Dialog state in a SQLite file: what aiogram and aiogram-dialog store there survives the
process being killed and the file being opened again. With REDIS_URL, in Redis: shared by the
replicas, with one lock per chat across them that a killed replica does not keep for long."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio import Redis

from bot.config import ConfigError, Settings
from bot.dialog_state import (
    SqliteStorage,
    chat_isolation,
    check_dialog_state,
    dialog_state_storage,
)
from bot.redis_state import RenewedRedisEventIsolation

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


def writes(storage: SqliteStorage) -> list[str]:
    """The statements that change the file from now on."""
    seen: list[str] = []
    storage._connection.set_trace_callback(
        lambda sql: (
            seen.append(sql) if sql.lstrip().upper().startswith(("INSERT", "DELETE")) else None
        )
    )
    return seen


async def test_saving_what_the_file_already_holds_writes_nothing(storage: SqliteStorage) -> None:
    # aiogram-dialog saves a chat's stack after every update, most often unchanged.
    stack = key(destiny="aiogd:stack:")
    await storage.set_data(stack, {"intents": ["a1"]})
    assert await storage.get_state(key()) is None
    seen = writes(storage)
    await storage.set_data(stack, {"intents": ["a1"]})
    await storage.set_state(key(), None)  # read as nothing: nothing to clear
    assert seen == []
    await storage.set_data(stack, {"intents": ["a1", "b2"]})
    assert len(seen) == 1
    assert await storage.get_data(stack) == {"intents": ["a1", "b2"]}


async def test_what_is_remembered_is_what_the_file_holds(tmp_path: Path) -> None:
    path = tmp_path / "dialog-state.db"
    storage = SqliteStorage(path)
    storage.REMEMBERED = 2  # forget quickly: reads and writes of forgotten keys go to the file
    try:
        for chat in range(5):
            await storage.set_data(key(chat=chat), {"chat": chat})
        first = await storage.get_data(key(chat=0))  # forgotten: read from the file
        first["changed by the caller"] = True  # a copy of its own
        assert await storage.get_data(key(chat=0)) == {"chat": 0}
        await storage.set_data(key(chat=1), {"chat": 1})  # forgotten: written again, harmless
        reopened = SqliteStorage(path)
        try:
            for chat in range(5):
                assert await reopened.get_data(key(chat=chat)) == {"chat": chat}
        finally:
            await reopened.close()
    finally:
        await storage.close()


async def test_a_write_that_failed_is_not_remembered(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "dialog-state.db")
    await storage.set_data(key(), {"number": 1})
    storage._connection.execute(
        "CREATE TRIGGER refuse BEFORE UPDATE ON dialog_state "
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        await storage.set_data(key(), {"number": 2})
    storage._connection.execute("DROP TRIGGER refuse")
    try:
        assert await storage.get_data(key()) == {"number": 1}  # what the file holds
        await storage.set_data(key(), {"number": 2})  # tried again: written this time
        assert await storage.get_data(key()) == {"number": 2}
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


async def test_memory_is_chosen_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DIALOG_STATE_PATH", ":memory:")
    storage = dialog_state_storage(Settings(_env_file=None))
    try:
        assert isinstance(storage, MemoryStorage)
        assert isinstance(chat_isolation(storage), SimpleEventIsolation)
        await storage.set_state(key(), "S:1")
        assert await storage.get_state(key()) == "S:1"
    finally:
        await storage.close()
    assert not any(tmp_path.iterdir())  # noqa: ASYNC240 - no file anywhere


# -- Redis, for several replicas ------------------------------------------------------------


@pytest.fixture
async def redis_settings(redis_url: str) -> AsyncIterator[tuple[Settings, int]]:
    """Settings with REDIS_URL, and a bot id of this test's own: aiogram's keys start with
    it, so that tests sharing the server keep apart; its keys are deleted afterwards."""
    bot_id = random.randrange(10**9, 10**10)
    yield Settings(_env_file=None, redis_url=redis_url), bot_id  # type: ignore[call-arg]
    client = Redis.from_url(redis_url)
    try:
        async for name in client.scan_iter(match=f"fsm:{bot_id}:*"):
            await client.delete(name)
    finally:
        await client.aclose()


def replica_key(bot_id: int, destiny: str = "default") -> StorageKey:
    return StorageKey(bot_id=bot_id, chat_id=42, user_id=42, destiny=destiny)


@pytest.mark.redis
async def test_with_redis_the_replicas_share_the_state(
    redis_settings: tuple[Settings, int],
) -> None:
    settings, bot_id = redis_settings
    first, second = dialog_state_storage(settings), dialog_state_storage(settings)
    try:
        assert isinstance(first, RedisStorage)
        await first.set_state(replica_key(bot_id), Form.comment)
        await first.set_data(replica_key(bot_id, "aiogd:stack:"), {"intents": ["a"]})
        assert await second.get_state(replica_key(bot_id)) == Form.comment.state
        # aiogram-dialog's stacks and contexts are kept apart by destiny.
        assert await second.get_data(replica_key(bot_id, "aiogd:stack:")) == {"intents": ["a"]}
        assert await second.get_data(replica_key(bot_id)) == {}
    finally:
        await first.close()
        await second.close()


@pytest.mark.redis
async def test_with_redis_one_chat_is_handled_by_one_replica_at_a_time(
    redis_settings: tuple[Settings, int],
) -> None:
    settings, bot_id = redis_settings
    storages = [dialog_state_storage(settings) for _ in range(2)]
    first, second = (chat_isolation(storage) for storage in storages)
    assert isinstance(first, RenewedRedisEventIsolation)
    first.ttl = second.ttl = 0.3  # renewed every 0.1 s while held
    order: list[str] = []

    async def handle(isolation: BaseEventIsolation, name: str, seconds: float) -> None:
        async with isolation.lock(replica_key(bot_id)):
            order.append(f"{name} in")
            await asyncio.sleep(seconds)
            order.append(f"{name} out")

    try:
        slow = asyncio.create_task(handle(first, "A", 1.0))  # longer than the ttl
        await asyncio.sleep(0.05)
        await handle(second, "B", 0)
        await slow
        assert order == ["A in", "A out", "B in", "B out"]
        # Another chat is not held up.
        other = StorageKey(bot_id=bot_id, chat_id=43, user_id=43)
        async with first.lock(replica_key(bot_id)):
            async with asyncio.timeout(5):
                async with second.lock(other):
                    pass
    finally:
        for storage in storages:
            await storage.close()


@pytest.mark.redis
async def test_with_redis_a_killed_replicas_lock_expires(
    redis_settings: tuple[Settings, int],
) -> None:
    settings, bot_id = redis_settings
    storages = [dialog_state_storage(settings) for _ in range(2)]
    dead, alive = (chat_isolation(storage) for storage in storages)
    assert isinstance(dead, RenewedRedisEventIsolation)
    assert isinstance(alive, RenewedRedisEventIsolation)
    dead.ttl = 0.5
    try:
        # Taken and never released nor renewed, as by a process killed mid-update.
        held = dead.redis.lock(dead.key_builder.build(replica_key(bot_id), "lock"), timeout=0.5)
        assert await held.acquire()
        started = asyncio.get_running_loop().time()
        async with asyncio.timeout(5), alive.lock(replica_key(bot_id)):
            waited = asyncio.get_running_loop().time() - started
        assert 0.2 < waited < 3
    finally:
        for storage in storages:
            await storage.close()


async def test_an_unreachable_redis_is_one_line_at_start_up() -> None:
    settings = Settings(_env_file=None, redis_url="redis://127.0.0.1:1/0")  # type: ignore[call-arg]
    storage = dialog_state_storage(settings)
    try:
        with pytest.raises(ConfigError, match=r"cannot reach Redis \(REDIS_URL\) at 127.0.0.1:1"):
            await check_dialog_state(storage)
    finally:
        await storage.close()


async def test_without_redis_the_isolation_is_this_process(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "dialog-state.db")
    try:
        assert isinstance(chat_isolation(storage), SimpleEventIsolation)
    finally:
        await storage.close()
