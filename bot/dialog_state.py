"""Where dialog state (aiogram FSM and aiogram-dialog stacks) is kept: a local SQLite file, or
Redis when REDIS_URL is set (several replicas), and how one chat's updates are kept apart.

Dialog state is where a person is on screen. It must outlive the process: updates are
confirmed to Telegram only once handled, so after a kill -9 a tap or a typed comment is
delivered again, and it must find the window it was meant for (in memory, the state would
be gone and the tap would meet "this button is from an older message").

The stdlib sqlite3 module, on the event loop: with WAL and synchronous=NORMAL a write is an
append to the WAL without fsync, tens of microseconds, which is cheaper than the thread hop
aiosqlite would add; every statement commits on its own, so what was written survives the
process being killed (not a power cut, which is fine for where-am-I-on-screen data).

With several replicas the state lives in Redis (aiogram's RedisStorage), and one chat's
updates are handled one at a time across all of them by a lock in Redis: a tap handled by
one replica while the same person's next tap reaches another must not race on the dialog
stack. The lock expires LOCK_TTL seconds after its holder stops renewing it, so a replica
killed mid-update holds that chat for seconds, not for aiogram's minute. The Redis side is in
bot/redis_state.py, imported only when REDIS_URL is set.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseEventIsolation,
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation

from bot.config import Settings
from storage.sqlite_checkpoints import Checkpointer, no_checkpoint_on_commit

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dialog_state (
    key TEXT PRIMARY KEY,
    state TEXT,
    data TEXT
) WITHOUT ROWID
"""


def dialog_key_builder() -> DefaultKeyBuilder:
    # aiogram-dialog keeps each stack and context under its own "destiny"; the bot id keeps
    # two bots on one Redis apart.
    return DefaultKeyBuilder(with_bot_id=True, with_business_connection_id=True, with_destiny=True)


# DIALOG_STATE_PATH=:memory: keeps dialog state in the process (aiogram's MemoryStorage): lost
# with the process, so a tap delivered again after a crash meets "older message". For
# benchmarks and trials (bench/process_bench.py measures memory with it), not production.
IN_MEMORY = Path(":memory:")


def dialog_state_storage(settings: Settings) -> BaseStorage:
    """The one place that chooses the dialog state storage: Redis when REDIS_URL is set
    (several replicas share it), else a SQLite file of this machine (DIALOG_STATE_PATH), or
    the process's memory when that is `:memory:`."""
    if settings.redis_url:
        from bot.redis_state import redis_storage

        return redis_storage(settings.redis_url)
    if settings.dialog_state_path == IN_MEMORY:
        return MemoryStorage()
    return SqliteStorage(settings.dialog_state_path)


def _redis_loaded() -> bool:
    """Whether a RedisStorage can exist at all: redis (a fifth of a second and some MB at
    start-up) is imported only with REDIS_URL (bot/redis_state.py), or by whoever made one."""
    return "aiogram.fsm.storage.redis" in sys.modules


def chat_isolation(storage: BaseStorage) -> BaseEventIsolation:
    """One update at a time per chat: across every replica with Redis, in this process
    otherwise (the SQLite file is one machine's, so is its process)."""
    if _redis_loaded():
        from bot.redis_state import redis_isolation

        isolation = redis_isolation(storage)
        if isolation is not None:
            return isolation
    return SimpleEventIsolation()


async def check_dialog_state(storage: BaseStorage) -> None:
    """At start-up: Redis answers, or one line for the operator (not an error per update)."""
    if _redis_loaded():
        from bot.redis_state import check_redis

        await check_redis(storage)


class SqliteStorage(BaseStorage):
    """aiogram's FSM storage in one SQLite table: one row per key, state and JSON data.

    What was last read or written for the most recent keys is kept in memory (the file is
    this process's alone): aiogram-dialog saves a chat's stack and context after every
    update, most often unchanged, and a write that would store what the file already holds
    is left out, as is the read of what was just written."""

    REMEMBERED = 4096  # keys (a stack and a context per chat being answered)

    def __init__(self, path: Path | str, key_builder: KeyBuilder | None = None) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.key_builder = key_builder or dialog_key_builder()
        # isolation_level=None: autocommit, each write is durable once the call returns.
        self._db: sqlite3.Connection | None = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        no_checkpoint_on_commit(self._db)  # every update writes here, on the loop's thread
        self._checkpoints = Checkpointer(path)
        self._checkpoints.start()
        self._stored: OrderedDict[tuple[str, str], str | None] = OrderedDict()

    @property
    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the dialog state storage is closed")
        return self._db

    def _key(self, key: StorageKey) -> str:
        return self.key_builder.build(key)

    def _known(self, column: str, key: str) -> tuple[bool, str | None]:
        try:
            value = self._stored[(column, key)]
        except KeyError:
            return False, None
        self._stored.move_to_end((column, key))
        return True, value

    def _remember(self, column: str, key: str, value: str | None) -> None:
        self._stored[(column, key)] = value
        self._stored.move_to_end((column, key))
        if len(self._stored) > self.REMEMBERED:
            self._stored.popitem(last=False)

    def _read(self, column: str, key: str) -> str | None:
        known, value = self._known(column, key)
        if not known:
            row = self._connection.execute(
                f"SELECT {column} FROM dialog_state WHERE key = ?",  # noqa: S608 - ours
                (key,),
            ).fetchone()
            value = cast(str | None, row[0]) if row else None
            self._remember(column, key, value)
        return value

    def _write(self, column: str, key: str, value: str | None) -> None:
        known, stored = self._known(column, key)
        if known and stored == value:
            return  # the file holds it already
        try:
            self._connection.execute(
                f"INSERT INTO dialog_state (key, {column}) VALUES (?, ?) "  # noqa: S608 - ours
                f"ON CONFLICT (key) DO UPDATE SET {column} = excluded.{column}",
                (key, value),
            )
            if value is None:
                self._connection.execute(
                    "DELETE FROM dialog_state WHERE key = ? AND state IS NULL AND data IS NULL",
                    (key,),
                )
        except BaseException:
            self._stored.pop((column, key), None)  # unknown now: read it again next time
            raise
        self._remember(column, key, value)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        self._write("state", self._key(key), value)

    async def get_state(self, key: StorageKey) -> str | None:
        return self._read("state", self._key(key))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        encoded = json.dumps(dict(data), ensure_ascii=False) if data else None
        self._write("data", self._key(key), encoded)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        encoded = self._read("data", self._key(key))
        # Decoded each time: the caller gets a dict of its own to change.
        return {} if encoded is None else cast(dict[str, Any], json.loads(encoded))

    def count(self) -> int:
        return int(self._connection.execute("SELECT count(*) FROM dialog_state").fetchone()[0])

    def clear(self) -> int:
        """Every chat's state deleted (the purge, bot/purge_state.py); how many keys."""
        found = self.count()
        self._connection.execute("DELETE FROM dialog_state")
        self._stored.clear()
        return found

    async def close(self) -> None:
        # The dispatcher closes its storage on shutdown and the runner again on the way out.
        if self._db is not None:
            self._db.close()
            self._db = None
            self._checkpoints.stop()
