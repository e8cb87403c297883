"""The bounded pool of worker processes (bot/bounded_pool.py) and the upload checker over it
(bot/upload_checker.py): a job over a cap is stopped, its worker replaced, the person told
why in their language, and the next job runs. Small caps; no wall-clock assertion."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bounded_pool import Abort, BoundedPool, JobAbortedError, JobFailedError, PoolLimits
from bot.upload_checker import UploadChecker
from reports.workbook_upload import ProblemKind, UploadProblems
from tests import pool_jobs

LIMITS = PoolLimits(workers=1, cpu_seconds=1, memory_bytes=256 * 1024 * 1024, wall_seconds=60)


@pytest.fixture
async def pool() -> AsyncIterator[BoundedPool]:
    pool = BoundedPool(LIMITS)
    yield pool
    pool.close()


async def test_a_job_runs_in_another_process_and_its_worker_is_reused(pool: BoundedPool) -> None:
    import os

    first = await pool.run(pool_jobs.pid)
    assert first != os.getpid()
    assert await pool.run(pool_jobs.pid) == first
    assert await pool.run(pool_jobs.echo, {"a": (1, "é")}) == {"a": (1, "é")}


@pytest.mark.parametrize(
    ("job", "limits", "reason"),
    [
        (pool_jobs.burn, LIMITS, Abort.TOO_LONG),
        (pool_jobs.hoard, LIMITS, Abort.TOO_MUCH_MEMORY),
        (pool_jobs.block, PoolLimits(cpu_seconds=60, wall_seconds=1), Abort.TOO_LONG),
        (pool_jobs.crash, LIMITS, Abort.CRASHED),
    ],
    ids=["cpu", "memory", "wall-time", "crash"],
)
async def test_a_job_over_a_cap_is_stopped_and_the_next_runs_in_a_fresh_worker(
    job: object, limits: PoolLimits, reason: Abort
) -> None:
    pool = BoundedPool(limits)
    try:
        before = await pool.run(pool_jobs.pid)
        with pytest.raises(JobAbortedError) as aborted:
            await pool.run(job)  # type: ignore[arg-type]
        assert aborted.value.reason is reason
        after = await pool.run(pool_jobs.pid)
        assert after != before
        assert pool.pids == [after]  # the stopped worker is gone, not left running
    finally:
        pool.close()


async def test_a_job_that_raises_leaves_its_worker_running(pool: BoundedPool) -> None:
    before = await pool.run(pool_jobs.pid)
    with pytest.raises(JobFailedError, match="a bug in the job"):
        await pool.run(pool_jobs.fail)
    assert await pool.run(pool_jobs.pid) == before


async def test_a_worker_killed_while_idle_is_replaced(pool: BoundedPool) -> None:
    import os
    import signal

    before = await pool.run(pool_jobs.pid)
    os.kill(before, signal.SIGKILL)
    # Until the kernel has ended it: nothing to wait on but its state.
    while _state(before) not in ("Z", "X", ""):  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    assert await pool.run(pool_jobs.pid) != before


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return ""


async def test_close_kills_a_worker_in_the_middle_of_a_job() -> None:
    import asyncio

    pool = BoundedPool(PoolLimits(cpu_seconds=600, wall_seconds=600))
    worker = await pool.run(pool_jobs.pid)
    job = asyncio.create_task(pool.run(pool_jobs.block))
    await asyncio.sleep(0)
    pool.close()
    with pytest.raises(JobAbortedError):
        await job
    assert pool.pids == []
    import os

    with pytest.raises(ProcessLookupError):
        os.kill(worker, 0)


async def test_a_cancelled_job_kills_its_worker() -> None:
    import asyncio
    import os

    pool = BoundedPool(PoolLimits(cpu_seconds=600, wall_seconds=600))
    try:
        worker = await pool.run(pool_jobs.pid)
        job = asyncio.create_task(pool.run(pool_jobs.block))
        await asyncio.sleep(0.1)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        with pytest.raises(ProcessLookupError):
            os.kill(worker, 0)
        assert await pool.run(pool_jobs.pid) != worker
    finally:
        pool.close()


@pytest.mark.parametrize(
    ("job", "limits", "lang", "said"),
    [
        (
            pool_jobs.burn,
            LIMITS,
            "en",
            "This file is too complex to be checked (checking it took too long)",
        ),
        (pool_jobs.hoard, LIMITS, "fr", "trop de mémoire"),
        (pool_jobs.block, PoolLimits(cpu_seconds=60, wall_seconds=1), "es", "demasiado tiempo"),
    ],
    ids=["cpu-en", "memory-fr", "wall-time-es"],
)
async def test_the_person_is_told_the_file_is_too_complex_and_why(
    job: object, limits: PoolLimits, lang: str, said: str
) -> None:
    checker = UploadChecker(limits, preload=())
    try:
        result = await checker.check(job, lang=lang)  # type: ignore[call-overload]
        assert isinstance(result, UploadProblems)
        assert [problem.kind for problem in result.problems] == [ProblemKind.TOO_COMPLEX]
        assert said in result.text()
        assert await checker.run(pool_jobs.echo, 7) == 7
    finally:
        await checker.close()


async def test_a_worker_runs_below_the_bots_priority(pool: BoundedPool) -> None:
    """A check or an export that needs a whole core takes what the bot's taps leave."""
    import os

    from bot.bounded_pool import WORKER_NICENESS

    assert await pool.run(pool_jobs.niceness) == min(os.nice(0) + WORKER_NICENESS, 19)
