"""What a purge clears outside the database: the dialog state file and the journal of updates
in hand beside it, or this bot's keys in Redis (another bot's stay, and so does the lock of a
chat whose update is being handled)."""

from __future__ import annotations

import random
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey
from redis.asyncio import Redis

from bot.config import Settings
from bot.dialog_state import SqliteStorage, dialog_state_storage
from bot.poison import InHandJournal, journal_path
from bot.purge_state import clear_dialog_state, count_dialog_state


def _key(chat: int, bot_id: int = 1, destiny: str = "default") -> StorageKey:
    return StorageKey(bot_id=bot_id, chat_id=chat, user_id=chat, destiny=destiny)


async def test_the_sqlite_file_and_the_journal_are_emptied(tmp_path: Path) -> None:
    path = tmp_path / "dialog-state.db"
    settings = Settings(_env_file=None, dialog_state_path=path)  # type: ignore[call-arg]
    storage = SqliteStorage(path)
    await storage.set_state(_key(11), "Answering:comment")
    await storage.set_data(_key(12, destiny="aiogd:stack:"), {"typed": "a draft comment"})
    await storage.close()
    journal = InHandJournal(journal_path(path))
    await journal.take(501, "message")  # a death: never done
    await journal.close()

    assert await count_dialog_state(settings) == 3  # two chats, one journal line
    assert await clear_dialog_state(settings) == 3

    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT count(*) FROM dialog_state").fetchone() == (0,)
    assert journal_path(path).read_bytes() == b""
    assert await count_dialog_state(settings) == 0


async def test_the_running_bots_own_storage_forgets_what_it_remembered(tmp_path: Path) -> None:
    path = tmp_path / "dialog-state.db"
    settings = Settings(_env_file=None, dialog_state_path=path)  # type: ignore[call-arg]
    storage = SqliteStorage(path)
    await storage.set_state(_key(11), "Answering:comment")
    try:
        assert await clear_dialog_state(settings, storage) == 1
        assert await storage.get_state(_key(11)) is None  # not from its memory either
    finally:
        await storage.close()


async def test_a_journal_held_by_a_running_bot_is_left_to_it(tmp_path: Path) -> None:
    path = tmp_path / "dialog-state.db"
    settings = Settings(_env_file=None, dialog_state_path=path)  # type: ignore[call-arg]
    journal = InHandJournal(journal_path(path))  # locked: a bot runs
    try:
        await journal.take(502, "message")
        assert await clear_dialog_state(settings) == 0
        assert journal_path(path).read_bytes() != b""
    finally:
        await journal.close()


@pytest.mark.redis
async def test_with_redis_this_bots_keys_are_deleted(redis_url: str) -> None:
    bot_id, other_bot = random.randrange(10**9, 10**10), random.randrange(10**9, 10**10)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, redis_url=redis_url, bot_token=f"{bot_id}:TEST"
    )
    storage = dialog_state_storage(settings)
    client = Redis.from_url(redis_url)
    try:
        await storage.set_state(_key(11, bot_id), "Answering:comment")
        await storage.set_data(_key(12, bot_id, "aiogd:stack:"), {"typed": "a draft"})
        await storage.set_state(_key(11, other_bot), "Answering:comment")
        await client.set(f"in_hand:{bot_id}:601", 2)
        await client.set(f"fsm:{bot_id}:13:13:default:lock", "held")

        assert await count_dialog_state(settings) == 3
        assert await clear_dialog_state(settings) == 3

        assert await storage.get_state(_key(11, bot_id)) is None
        assert await storage.get_data(_key(12, bot_id, "aiogd:stack:")) == {}
        assert await client.exists(f"in_hand:{bot_id}:601") == 0
        assert await client.exists(f"fsm:{bot_id}:13:13:default:lock") == 1
        assert await storage.get_state(_key(11, other_bot)) == "Answering:comment"
    finally:
        for pattern in (f"fsm:{bot_id}:*", f"fsm:{other_bot}:*", f"in_hand:{bot_id}:*"):
            async for name in client.scan_iter(match=pattern):
                await client.delete(name)
        await client.aclose()
        await storage.close()
