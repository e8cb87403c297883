"""What a purge clears outside the database: dialog state (who is on which window, with what
they typed: bot/dialog_state.py), and the record of the updates in hand (bot/poison.py), in
the SQLite files beside DIALOG_STATE_PATH or in Redis with REDIS_URL.

The running bot clears its own storage (`clear_dialog_state(settings, storage)`) and its
language cache; `python -m bot privacy purge --apply` in another process opens the files or
Redis itself, and cannot reach a running process's memory: docs/privacy.md says to restart it.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage

from bot.config import Settings
from bot.dialog_state import IN_MEMORY, SqliteStorage, dialog_key_builder
from bot.poison import journal_path

if TYPE_CHECKING:
    from redis.asyncio import Redis

IN_HAND_PREFIX = "in_hand:"  # bot/poison.py's Redis namespace, `in_hand:<bot id>`


async def count_dialog_state(settings: Settings, storage: BaseStorage | None = None) -> int:
    """Entries a purge would delete: dialog state keys (or rows), updates in hand."""
    return await _dialog_state(settings, storage, delete=False)


async def clear_dialog_state(settings: Settings, storage: BaseStorage | None = None) -> int:
    """Delete every chat's dialog state and the record of the updates in hand; how many
    entries. `storage`: the running bot's own (its memory is cleared with the file)."""
    return await _dialog_state(settings, storage, delete=True)


async def _dialog_state(settings: Settings, storage: BaseStorage | None, *, delete: bool) -> int:
    if settings.redis_url:
        return await _redis_state(settings, settings.redis_url, storage, delete=delete)
    if isinstance(storage, MemoryStorage):  # tests, benchmarks: nothing on disk
        found = len(storage.storage)
        if delete:
            storage.storage.clear()
        return found
    if settings.dialog_state_path == IN_MEMORY:
        return 0  # another process's memory: out of reach, and gone with it
    path = settings.dialog_state_path
    if isinstance(storage, SqliteStorage):
        found = storage.clear() if delete else storage.count()
    else:
        found = _sqlite_state(path, delete=delete)
    return found + _journal(journal_path(path), delete=delete)


def _sqlite_state(path: Path, *, delete: bool) -> int:
    if not path.exists():
        return 0
    db = sqlite3.connect(path, isolation_level=None)
    try:
        try:
            found = int(db.execute("SELECT count(*) FROM dialog_state").fetchone()[0])
        except sqlite3.OperationalError:  # no table: the bot never ran with this file
            return 0
        if delete and found:
            db.execute("DELETE FROM dialog_state")
        return found
    finally:
        db.close()


def _journal(path: Path, *, delete: bool) -> int:
    """The journal's lines (update ids and kinds, no person's data, but the purge leaves
    nothing of the survey's chats behind). A journal locked by a running bot is its own to
    compact; left alone."""
    if not path.exists():
        return 0
    lines = len(path.read_bytes().splitlines())
    if not delete or not lines:
        return lines
    lock = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return 0
    else:
        path.write_bytes(b"")
        return lines
    finally:
        os.close(lock)  # the lock with it


def _bot_id(settings: Settings) -> str:
    """The bot's id, the part of BOT_TOKEN before the colon: every key of this bot starts
    with it, and another bot's keys on the same Redis are not this purge's. "*" without a
    token (every bot's)."""
    if settings.bot_token is None:
        return "*"
    return settings.bot_token.get_secret_value().partition(":")[0]


async def _redis_state(
    settings: Settings, url: str, storage: BaseStorage | None, *, delete: bool
) -> int:
    from aiogram.fsm.storage.redis import RedisStorage

    from bot.redis_state import redis_storage

    own = storage if isinstance(storage, RedisStorage) else redis_storage(url)
    try:
        return await _redis_keys(own.redis, _bot_id(settings), delete=delete)
    finally:
        if own is not storage:
            await own.close()


async def _redis_keys(redis: Redis, bot_id: str, *, delete: bool) -> int:
    prefix = dialog_key_builder().prefix
    found = 0
    for pattern in (f"{prefix}:{bot_id}:*", f"{IN_HAND_PREFIX}{bot_id}:*"):
        batch: list[bytes | str] = []
        async for key in redis.scan_iter(match=pattern, count=500):
            name = key.decode() if isinstance(key, bytes) else key
            if name.endswith(":lock"):  # a chat's update being handled now: its holder's
                continue
            found += 1
            batch.append(key)
            if delete and len(batch) >= 500:
                await redis.delete(*batch)
                batch.clear()
        if delete and batch:
            await redis.delete(*batch)
    return found
