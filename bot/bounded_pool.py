"""A small pool of worker processes for work on what people send (uploaded files), each job
capped in CPU seconds, memory and wall time.

A file of some kilobytes can cost a parser minutes of CPU or gigabytes of memory; in the bot's
own process that stops everyone, and a thread cannot be stopped at all. Here the work runs in a
separate process started once and reused: the kernel ends it past its CPU seconds
(``RLIMIT_CPU``: SIGXCPU) or fails its allocations past its address space (``RLIMIT_AS``:
MemoryError), and the pool kills it past the wall time (a job blocked, not computing). A worker
that ends any of these ways is replaced; the caller gets ``JobAbortedError`` with the reason.

``concurrent.futures.ProcessPoolExecutor`` cannot kill one worker through its public API (on
Python 3.11 a worker that dies breaks the whole executor), hence this pool over
``multiprocessing`` (a spawned process and a pipe each: never a fork of the asyncio process).
This module imports only the standard library, so that a worker starts quickly: it imports what
its jobs need (``preload``) before it takes the first one.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import math
import multiprocessing
import os
import resource
import signal
import traceback
import types
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.reduction import ForkingPickler
from typing import Any, TypeVar

__all__ = ["Abort", "BoundedPool", "JobAbortedError", "JobFailedError", "PoolLimits"]

log = logging.getLogger(__name__)

Result = TypeVar("Result")

_DONE, _MEMORY, _FAILED = "done", "memory", "failed"
_REAP_SECONDS = 2.0  # a worker that closed its pipe is ending; how long to wait for its status


def _mapping_proxy(proxy: types.MappingProxyType[Any, Any]) -> tuple[Any, ...]:
    return read_only, (dict(proxy),)


def read_only(mapping: dict[Any, Any]) -> types.MappingProxyType[Any, Any]:
    return types.MappingProxyType(mapping)


# Read-only mappings (the questionnaire's, an Office's names) go to and from a worker as the
# same read-only mappings; only the pool's own pipes pickle them this way.
ForkingPickler.register(types.MappingProxyType, _mapping_proxy)


class Abort(StrEnum):
    TOO_LONG = "too_long"  # over its CPU seconds or its wall time
    TOO_MUCH_MEMORY = "too_much_memory"
    CRASHED = "crashed"  # ended in any other way


class JobAbortedError(Exception):
    """The job was stopped, and its worker replaced."""

    def __init__(self, reason: Abort) -> None:
        super().__init__(reason.value)
        self.reason = reason


class JobFailedError(Exception):
    """The job raised an exception in the worker (its traceback is the message); the worker
    goes on."""


@dataclass(frozen=True, slots=True)
class PoolLimits:
    workers: int = 1
    cpu_seconds: int = 10  # per job
    memory_bytes: int = 256 * 1024 * 1024  # the worker's address space, interpreter included
    wall_seconds: float = 15.0  # per job, from the moment it is handed to a worker


class BoundedPool:
    """``await pool.run(function, *args)`` runs ``function`` (a module-level function, as the
    arguments and the result, picklable) in a worker. Workers start at ``start()``, or at the
    first job; ``close()`` kills them."""

    def __init__(self, limits: PoolLimits, *, preload: Sequence[str] = ()) -> None:
        self.limits = limits
        self.preload = tuple(preload)
        self._context = multiprocessing.get_context("spawn")
        self._idle: deque[_Worker] = deque()
        # Jobs waiting for a worker. Plain futures of the waiting job's own loop, not an
        # asyncio.Queue bound to the first loop that used it: tests share one pool across loops.
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._all: set[_Worker] = set()
        self._started = False
        self._closed = False

    def start(self) -> None:
        if self._started or self._closed:
            return
        self._started = True
        for _ in range(self.limits.workers):
            self._idle.append(self._spawn())

    @property
    def pids(self) -> list[int]:
        """The workers' process ids (for tests and the operator)."""
        return sorted(worker.process.pid or 0 for worker in self._all)

    async def run(self, function: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
        if self._closed:
            raise RuntimeError("the pool is closed")
        self.start()
        worker = await self._take()
        try:
            if not worker.process.is_alive():  # ended while idle (killed from outside)
                worker = self._replace(worker)
            result: Result = await self._run_on(worker, (function, args, kwargs))
            return result
        finally:
            if not self._closed:
                self._give(worker if worker.usable else self._replace(worker))

    def close(self) -> None:
        """Kill every worker, a job running or not: stopping the bot never waits for a check."""
        self._closed = True
        for worker in list(self._all):
            worker.kill()
        self._all.clear()
        self._idle.clear()
        for waiter in self._waiting:
            if not waiter.done():
                waiter.set_result(None)

    async def _take(self) -> _Worker:
        while not self._idle:
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                await waiter
            finally:
                with contextlib.suppress(ValueError):
                    self._waiting.remove(waiter)
            if self._closed:
                raise RuntimeError("the pool is closed")
        return self._idle.popleft()

    def _give(self, worker: _Worker) -> None:
        self._idle.append(worker)
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break

    def _spawn(self) -> _Worker:
        ours, theirs = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=serve,
            args=(theirs, self.limits.memory_bytes, self.limits.cpu_seconds, self.preload),
            name="upload-check",
            daemon=True,  # ended by multiprocessing at exit if close() was never called
        )
        process.start()
        theirs.close()  # the worker's end: once it ends, reading ours gives EOF
        worker = _Worker(process, ours)
        self._all.add(worker)
        return worker

    def _replace(self, worker: _Worker) -> _Worker:
        worker.kill()
        self._all.discard(worker)
        return self._spawn()

    async def _run_on(self, worker: _Worker, job: tuple[Any, ...]) -> Any:
        try:
            worker.conn.send(job)
        except (OSError, ValueError):
            worker.kill()
            raise JobAbortedError(Abort.CRASHED) from None
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        worker.waiting = ready
        fd = worker.conn.fileno()
        loop.add_reader(fd, worker.wake)
        try:
            async with asyncio.timeout(self.limits.wall_seconds):
                await ready
        except TimeoutError:
            worker.kill()
            log.warning(
                "A job ran past %.0f s of wall time: its worker was killed",
                self.limits.wall_seconds,
            )
            raise JobAbortedError(Abort.TOO_LONG) from None
        except BaseException:  # cancelled: the job's caller is gone, so is the job
            worker.kill()
            raise
        finally:
            loop.remove_reader(fd)
            worker.waiting = None
        try:
            status, value = worker.conn.recv()
        except (EOFError, OSError):
            reason = worker.ended()
            log.warning("A job's worker ended (%s, exit code %s)", reason, worker.process.exitcode)
            raise JobAbortedError(reason) from None
        if status == _MEMORY:
            worker.ended()
            log.warning("A job ran out of its %d MB", self.limits.memory_bytes // 2**20)
            raise JobAbortedError(Abort.TOO_MUCH_MEMORY)
        if status == _FAILED:
            raise JobFailedError(value)
        return value


class _Worker:
    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.usable = True
        self.killed = False  # by the pool: a job over its wall time, or the pool closing
        self.waiting: asyncio.Future[None] | None = None  # the job's wait for a reply

    def wake(self) -> None:
        if self.waiting is not None and not self.waiting.done():
            self.waiting.set_result(None)

    def kill(self) -> None:
        self.usable = False
        self.killed = True
        with contextlib.suppress(OSError, ValueError, AttributeError):
            self.process.kill()
            self.process.join(_REAP_SECONDS)
        self.wake()  # a job waiting on this worker reads its end, closed, and stops
        self.conn.close()

    def ended(self) -> Abort:
        """The worker ended: why, from its exit status."""
        self.usable = False
        killed = self.killed
        self.process.join(_REAP_SECONDS)
        code = self.process.exitcode
        self.kill()
        if killed:
            return Abort.CRASHED
        if code == -signal.SIGXCPU:
            return Abort.TOO_LONG
        if code == -signal.SIGKILL:  # none of ours: the kernel's out-of-memory killer
            return Abort.TOO_MUCH_MEMORY
        return Abort.CRASHED


# -- in the worker --------------------------------------------------------------------------------

# How much lower than the bot a worker runs. A worker that needs a whole core (a check, an
# export of 10,000 Offices) then takes what the bot leaves: on two cores the export's process
# at the bot's own priority took a share of the core the taps needed (bench/export_bench.py).
WORKER_NICENESS = 10


def yield_to_the_bot() -> None:
    """Called first in a worker process: lower its priority below the bot's."""
    with contextlib.suppress(OSError):  # never fatal: the worker is then merely as urgent
        os.nice(WORKER_NICENESS)


def serve(conn: Connection, memory_bytes: int, cpu_seconds: int, preload: Sequence[str]) -> None:
    """The worker's loop: one job at a time until the pipe closes."""
    # Ctrl-C in a terminal reaches the whole process group: the bot decides when a job ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    yield_to_the_bot()
    for name in preload:
        importlib.import_module(name)
    # Never above a limit the bot itself runs under (a container's, `prlimit`): only lowered.
    _, as_hard = resource.getrlimit(resource.RLIMIT_AS)
    if as_hard != resource.RLIM_INFINITY:
        memory_bytes = min(memory_bytes, as_hard)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    while True:
        try:
            function, args, kwargs = conn.recv()
        except EOFError:
            return
        # The limit counts the process's CPU since it began: each job gets its own seconds.
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = math.ceil(usage.ru_utime + usage.ru_stime) + cpu_seconds
        if cpu_hard != resource.RLIM_INFINITY:
            soft = min(soft, cpu_hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, cpu_hard))
        try:
            reply: tuple[str, Any] = (_DONE, function(*args, **kwargs))
        except MemoryError:
            del function, args, kwargs
            conn.send((_MEMORY, None))
            return  # what is left of the memory may be scattered: a fresh worker takes over
        except Exception:
            reply = (_FAILED, traceback.format_exc())
        del function, args, kwargs
        try:
            conn.send(reply)
        except MemoryError:
            conn.send((_MEMORY, None))
            return
        except Exception:
            conn.send((_FAILED, traceback.format_exc()))
