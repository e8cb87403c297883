"""What recording an update in hand costs (bot/poison.py), per update, next to the tap it
guards.

    python -m bench.in_hand_bench [--updates N] [--redis-url URL]

Each update is taken before its handling and forgotten after it, as the transports do: in
the journal file (no REDIS_URL), and with a Redis URL (``--redis-url``, ``BENCH_REDIS_URL`` or
``TEST_REDIS_URL``) in Redis too, beside one PING to show the round trip it is made of.
Nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import cast

from aiogram import Bot
from aiogram.types import Update, User

from bot.i18n import build_i18n
from bot.poison import InHandJournal, InHandRedis, Poison, UpdatesInHand

BOT = Bot("123456:bench")


def tap(update_id: int) -> Update:
    person = {"id": 5, "is_bot": False, "first_name": "Eva"}
    press = {"id": str(update_id), "chat_instance": "1", "from": person, "data": "level"}
    return Update.model_validate({"update_id": update_id, "callback_query": press})


async def english(_user: User | None) -> str:
    return "en"


def line(name: str, seconds: list[float]) -> str:
    seconds = sorted(seconds)
    p99 = seconds[int(len(seconds) * 0.99)]
    return (
        f"{name:<32}{statistics.median(seconds) * 1e6:>10.1f}{p99 * 1e6:>10.1f}"
        f"{statistics.mean(seconds) * 1e6:>10.1f}"
    )


async def per_update(record: UpdatesInHand, updates: int) -> list[float]:
    guard = Poison(build_i18n(), english, "contact@example.org")
    guard.use(record)
    taps = [tap(number) for number in range(1, updates + 1)]
    times: list[float] = []
    for update in taps:
        started = time.perf_counter()
        hand = guard.hand(update)
        await hand.take(BOT)
        await hand.done()
        times.append(time.perf_counter() - started)
    return times


async def timed(call: Callable[[], Awaitable[object]], times: int) -> list[float]:
    spent: list[float] = []
    for _ in range(times):
        started = time.perf_counter()
        await call()
        spent.append(time.perf_counter() - started)
    return spent


async def main(updates: int, redis_url: str | None) -> None:
    print(f"{'per update (us)':<32}{'median':>10}{'p99':>10}{'mean':>10}")
    with tempfile.TemporaryDirectory() as folder:
        journal = InHandJournal(Path(folder) / "dialog-state.db.in-hand")
        print(line("journal: take + done", await per_update(journal, updates)))
        await journal.close()
    if redis_url is None:
        print("(no Redis: --redis-url, BENCH_REDIS_URL or TEST_REDIS_URL)")
        return
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        record = InHandRedis(client, f"bench_in_hand:{uuid.uuid4().hex}")
        print(line("redis: take + done", await per_update(record, updates)))
        ping = cast(Callable[[], Awaitable[bool]], client.ping)  # redis-py types both clients'
        print(line("redis: one PING, for scale", await timed(ping, updates)))
    finally:
        await client.aclose()


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=10_000, help="updates timed (10000)")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL") or os.environ.get("TEST_REDIS_URL"),
    )
    options = parser.parse_args()
    asyncio.run(main(options.updates, options.redis_url))


if __name__ == "__main__":
    run()
