"""Dialog state in Redis, for several replicas (REDIS_URL): aiogram's RedisStorage, and one
chat's updates handled one at a time across every replica by a lock in Redis that a killed
replica holds for LOCK_TTL seconds at most (see bot/dialog_state.py).

A module of its own so that redis, a fifth of a second and some MB at start-up, is imported
only when REDIS_URL is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import Any, cast

from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StorageKey
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

from bot.config import ConfigError
from bot.dialog_state import dialog_key_builder

log = logging.getLogger(__name__)

# Seconds a chat's lock outlives a replica that stopped renewing it (killed); renewed every
# third of that while the update is handled, however long that takes.
LOCK_TTL = 10.0


def redis_storage(url: str) -> RedisStorage:
    return RedisStorage.from_url(url, key_builder=dialog_key_builder())


def redis_isolation(storage: BaseStorage) -> BaseEventIsolation | None:
    """The lock per chat across replicas, for a RedisStorage; None for any other storage."""
    if isinstance(storage, RedisStorage):
        return RenewedRedisEventIsolation(storage.redis, key_builder=storage.key_builder)
    return None


async def check_redis(storage: BaseStorage) -> None:
    """At start-up: Redis answers, or one line for the operator (not an error per update)."""
    if not isinstance(storage, RedisStorage):
        return
    try:
        await cast(Awaitable[bool], storage.redis.ping())  # redis-py types both clients' ping
    except (RedisError, OSError) as exc:
        where = storage.redis.connection_pool.connection_kwargs
        target = where.get("path") or f"{where.get('host')}:{where.get('port')}"
        raise ConfigError(f"cannot reach Redis (REDIS_URL) at {target}: {exc}") from None


class RenewedRedisEventIsolation(RedisEventIsolation):
    """aiogram's Redis lock per chat, with a short expiry renewed while it is held: a
    replica killed mid-update leaves the chat locked for LOCK_TTL seconds at most, and an
    update handled for longer than that keeps its lock."""

    def __init__(self, *args: Any, ttl: float = LOCK_TTL, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ttl = ttl

    @contextlib.asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        name = self.key_builder.build(key, "lock")
        held = self.redis.lock(name=name, timeout=self.ttl, sleep=0.02)
        await held.acquire()
        renewing = asyncio.create_task(self._renew(held), name=f"renew {name}")
        try:
            yield None
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            try:
                await held.release()
            except LockError:  # expired meanwhile (the loop stalled past the ttl): say so
                log.warning("The lock %s had expired before the update was handled", name)

    async def _renew(self, held: Lock) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                await held.reacquire()
            except (LockError, RedisError) as exc:
                log.warning("Could not renew the lock %s: %s", held.name, exc)
                return
