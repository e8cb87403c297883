"""Jobs for the bounded pool's tests (bot/bounded_pool.py): module-level, so that a worker
process can import them; standard library only, so that it starts quickly."""

from __future__ import annotations

import os
import time


def echo(value: object) -> object:
    return value


def pid() -> int:
    return os.getpid()


def burn() -> None:
    """Computes for ever: only the CPU limit ends it."""
    total = 0
    while True:
        total += 1


def hoard() -> bytes:
    """Far more memory than a worker may have."""
    return bytes(2 * 1024 * 1024 * 1024)


def block() -> None:
    """Waits for ever without computing: only the wall time ends it."""
    time.sleep(3600)


def crash() -> None:
    os._exit(3)


def fail() -> None:
    raise ValueError("a bug in the job")


def niceness() -> int:
    import os

    return os.nice(0)
