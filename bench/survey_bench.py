"""How much time the survey's own code adds, measured against the bare framework in one run.

    python -m bench.survey_bench [--backend sqlite|postgres|both] [--offices N] [--calls N]

1. Answer write latency: ``SurveyService.record_answer`` for one verified representative,
   against the same upsert done directly with SQLAlchemy core on the same engine (one
   INSERT ... ON CONFLICT DO UPDATE and a commit per call, no rules). The two are interleaved
   in blocks so that both see the same database state, caches and machine load.
2. Results digest over N Offices with a submitted response of 40 answers each, seeded with
   bulk core inserts: ``SurveyService.digest`` against the bare GROUP BY query alone, and
   against two naive ways of counting in Python (plain rows, ORM objects).
3. Memory: tracemalloc peak (Python allocations) of each digest approach.

See bench/README.md for how to read the output. Nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import statistics
import string
import time
import tracemalloc
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Table, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import SQLModel, col

from bench import common, seeding
from bench.common import Samples, log, ms
from storage.db import SqlStoreFactory, create_engine
from storage.migrate import upgrade
from storage.models import (
    AnswerRow,
    ResponseRow,
)
from survey.model import Actor
from survey.offices import shipped_offices
from survey.questionnaire import Questionnaire, load_questionnaire
from survey.results import Digest
from survey.service import SurveyService

T = TypeVar("T")

BENCH_DATABASE = "survey_bench"

WRITER_ID = 7_000_001
WRITER_OFFICE = "EP"
BLOCK = 50  # service and bare calls alternate in blocks of this many

# Office.code is two characters. The 676 letter pairs come first; beyond them the benchmark
# uses other alphanumeric pairs ("A0", "a1", ...), which the application's own import would
# refuse but which the digest never reads: it counts rows, it does not look at codes.
_UPPER = string.ascii_uppercase
_ALNUM = string.ascii_uppercase + string.digits + string.ascii_lowercase
OFFICE_CODES: tuple[str, ...] = common.LETTER_PAIRS + tuple(
    a + b for a in _ALNUM for b in _ALNUM if not (a in _UPPER and b in _UPPER)
)
LETTER_CODES = len(common.LETTER_PAIRS)


# Measuring ---------------------------------------------------------------------------------


async def timed(
    samples: Samples, call: Callable[[], Awaitable[Any]], counter: common.StatementCounter
) -> None:
    before = counter.statements
    wall, cpu = time.perf_counter(), time.process_time()
    await call()
    samples.cpu.append(time.process_time() - cpu)
    samples.wall.append(time.perf_counter() - wall)
    samples.statements += counter.statements - before


async def repeat(runs: int, call: Callable[[], Awaitable[T]]) -> tuple[list[float], T]:
    """Wall seconds of `runs` calls after one warm-up call, and the last call's result."""
    result = await call()
    seconds = []
    gc.collect()
    for _ in range(runs):
        start = time.perf_counter()
        result = await call()
        seconds.append(time.perf_counter() - start)
    return seconds, result


async def traced_peak(call: Callable[[], Awaitable[Any]]) -> int:
    """Peak bytes of Python allocations (every thread) while `call` runs."""
    gc.collect()
    tracemalloc.start()
    try:
        await call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# Databases ---------------------------------------------------------------------------------


async def wipe(engine: AsyncEngine) -> None:
    tables = SQLModel.metadata.sorted_tables
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                await connection.execute(table.delete())


def _upsert(engine: AsyncEngine) -> Callable[[Table], Any]:
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


# 1. Answer write latency --------------------------------------------------------------------


@dataclass
class WriteResult:
    service: Samples
    bare: Samples


async def bench_writes(
    engine: AsyncEngine, questionnaire: Questionnaire, calls: int, warmup: int
) -> WriteResult:
    service = SurveyService(SqlStoreFactory(engine), questionnaire)
    cli = Actor.cli()
    await service.secretariat.import_offices(shipped_offices(), cli)
    issued = await service.secretariat.create_invitation(WRITER_OFFICE, cli)
    member = await service.enrolment.redeem(WRITER_ID, issued.code, full_name="Bench Delegate")

    numbers = questionnaire.numbers
    levels = [level.code for level in questionnaire.scale]

    def answer(i: int) -> tuple[int, str]:
        # Every Recommendation in turn; the level moves on with each pass, so rows change.
        return numbers[i % len(numbers)], levels[(i // len(numbers)) % len(levels)]

    # The bare baseline writes the same rows of the same response the service writes.
    await service.answering.record_answer(WRITER_ID, numbers[0], levels[0])
    async with engine.connect() as connection:
        response_id = await connection.scalar(
            select(col(ResponseRow.id)).where(
                col(ResponseRow.office_id) == member.office.id,
                col(ResponseRow.questionnaire_id) == questionnaire.id,
            )
        )
    representative_id = member.representative.id
    answer_table = seeding.table_of(AnswerRow)
    upsert = _upsert(engine)

    async def bare(number: int, level: str) -> None:
        changes = {"level": level, "changed_at": datetime.now(UTC), "changed_by": representative_id}
        async with engine.begin() as connection:  # commits on leaving the block
            await connection.execute(
                upsert(answer_table)
                .values(response_id=response_id, recommendation=number, **changes)
                .on_conflict_do_update(
                    index_elements=["response_id", "recommendation"], set_=changes
                )
            )

    async def run_service(i: int) -> None:
        await service.answering.record_answer(WRITER_ID, *answer(i))

    async def run_bare(i: int) -> None:
        await bare(*answer(i))

    # Both paths: connections, statement caches, and every answer row present, so that each
    # timed call of either path updates an existing row.
    for i in range(max(warmup, len(numbers))):
        await run_service(i)
        await run_bare(i)

    result = WriteResult(Samples(), Samples())
    gc.collect()
    with common.StatementCounter().watching(engine) as counter:
        for start in range(0, calls, BLOCK):
            block = range(start, min(start + BLOCK, calls))
            order = [(result.service, run_service), (result.bare, run_bare)]
            if (start // BLOCK) % 2:  # alternate which one goes first
                order.reverse()
            for samples, run in order:
                for i in block:
                    await timed(samples, lambda run=run, i=i: run(i), counter)  # type: ignore[misc]

    progress = await service.answering.progress(WRITER_ID)
    assert progress.answered == len(numbers), progress
    return result


# 2. Digest ----------------------------------------------------------------------------------


GROUP_BY = text(
    """
    SELECT a.recommendation, a.level, count(*)
    FROM answer a JOIN response r ON r.id = a.response_id
    WHERE r.questionnaire_id = :questionnaire AND r.status = 'submitted'
      AND a.level IS NOT NULL
    GROUP BY a.recommendation, a.level
    """
)
ALL_ANSWERS = text(
    """
    SELECT a.recommendation, a.level
    FROM answer a JOIN response r ON r.id = a.response_id
    WHERE r.questionnaire_id = :questionnaire AND r.status = 'submitted'
    """
)

Counts = dict[tuple[int, str], int]


@dataclass
class Approach:
    name: str
    seconds: list[float]
    peak_bytes: int


@dataclass
class DigestResult:
    offices: int
    answers: int
    seed_seconds: float
    approaches: list[Approach]


async def bench_digest(
    engine: AsyncEngine, questionnaire: Questionnaire, offices: int, runs: int, naive_runs: int
) -> DigestResult:
    await wipe(engine)
    start = time.perf_counter()
    answers = await seeding.seed_submitted(engine, questionnaire, OFFICE_CODES[:offices])
    seed_seconds = time.perf_counter() - start
    log(f"seeded {offices} Offices, {answers:,} answers in {seed_seconds:.1f} s")

    stores = SqlStoreFactory(engine)
    service = SurveyService(stores, questionnaire)
    cli = Actor.cli()
    parameters = {"questionnaire": questionnaire.id}

    async def digest() -> Counts:
        result: Digest = await service.secretariat.digest(cli)
        assert result.funnel.submitted == offices, result.funnel
        return {
            (item.number, level): count
            for item in result.items
            for level, count in item.counts.items()
            if count
        }

    async def bare() -> Counts:
        async with engine.connect() as connection:
            rows = (await connection.execute(GROUP_BY, parameters)).all()
        return {(int(number), str(level)): int(count) for number, level, count in rows}

    async def naive_rows() -> Counts:
        async with engine.connect() as connection:
            rows = (await connection.execute(ALL_ANSWERS, parameters)).all()
        return dict(Counter((int(n), str(level)) for n, level in rows if level is not None))

    async def naive_orm() -> Counts:
        async with AsyncSession(engine) as session:  # the ORM as a naive caller would use it
            rows = (
                await session.scalars(
                    select(AnswerRow)
                    .join(ResponseRow, col(ResponseRow.id) == col(AnswerRow.response_id))
                    .where(
                        col(ResponseRow.questionnaire_id) == questionnaire.id,
                        col(ResponseRow.status) == "submitted",
                    )
                )
            ).all()
        return dict(Counter((a.recommendation, a.level) for a in rows if a.level is not None))

    candidates: list[tuple[str, Callable[[], Awaitable[Counts]], int]] = [
        ("service.secretariat.digest()", digest, runs),
        ("bare GROUP BY query", bare, runs),
        ("naive: all rows -> Counter", naive_rows, naive_runs),
        ("naive: ORM rows -> Counter", naive_orm, naive_runs),
    ]
    approaches = []
    expected: Counts | None = None
    for name, call, n in candidates:
        seconds, counts = await repeat(n, call)
        # Every approach must count the same thing, or the comparison means nothing.
        assert sum(counts.values()) == answers, (name, sum(counts.values()))
        if expected is None:
            expected = counts
        assert counts == expected, name
        approaches.append(Approach(name, seconds, await traced_peak(call)))
        log(f"{name}: median {statistics.median(seconds) * 1000:.1f} ms")
    return DigestResult(offices, answers, seed_seconds, approaches)


# Running ------------------------------------------------------------------------------------


@dataclass
class BackendResult:
    backend: str
    version: str
    writes: WriteResult
    digest: DigestResult


async def run_backend(
    backend: str, url: str, questionnaire: Questionnaire, options: argparse.Namespace
) -> BackendResult:
    log(f"{backend}: migrating a fresh database")
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    try:
        version = await common.server_version(engine)
        log(f"{backend}: {options.calls} answer writes each way")
        writes = await bench_writes(engine, questionnaire, options.calls, options.warmup)
        log(f"{backend}: digest over {options.offices} Offices")
        digest = await bench_digest(
            engine, questionnaire, options.offices, options.runs, options.naive_runs
        )
    finally:
        await engine.dispose()
    return BackendResult(backend, version, writes, digest)


async def run(options: argparse.Namespace) -> list[BackendResult]:
    questionnaire = load_questionnaire()
    backends = ["sqlite", "postgres"] if options.backend == "both" else [options.backend]
    results = []
    for backend in backends:
        async with common.fresh_database(
            backend,
            options.postgres_url,
            BENCH_DATABASE,
            prefix="survey-bench-",
            keep=options.keep,
        ) as url:
            results.append(await run_backend(backend, url, questionnaire, options))
    return results


# Reporting ----------------------------------------------------------------------------------


def _size(count: int) -> str:
    return f"{count / 1024:.0f} KiB" if count < 10 * 1024 * 1024 else f"{count / 2**20:.1f} MiB"


def report(results: list[BackendResult], options: argparse.Namespace) -> str:
    lines = [
        f"Answer writes: {options.calls} timed calls per path after {options.warmup} warm-up "
        f"calls, interleaved in blocks of {BLOCK}.",
        "Times in ms per call; CPU = this process's CPU time; SQL = statements sent per call "
        "(without BEGIN/COMMIT).",
        f"{'backend':<10}{'path':<26}{'median':>8}{'p95':>8}{'p99':>8}{'CPU':>8}{'calls/s':>9}"
        f"{'SQL':>5}",
    ]
    for result in results:
        service, bare = result.writes.service, result.writes.bare
        for name, samples in (
            ("service.answering.record_answer", service),
            ("bare upsert + commit", bare),
        ):
            lines.append(
                f"{result.backend:<10}{name:<26}{ms(samples.median):>8}"
                f"{ms(samples.percentile(95)):>8}{ms(samples.percentile(99)):>8}"
                f"{ms(samples.cpu_mean):>8}{samples.per_second:>9.0f}"
                f"{samples.statements_per_call:>5.0f}"
            )
        ratios = (
            service.median / bare.median,
            service.percentile(95) / bare.percentile(95),
            service.percentile(99) / bare.percentile(99),
            service.cpu_mean / bare.cpu_mean,
            bare.per_second / service.per_second,  # fewer calls per second = more cost
        )
        lines.append(
            f"{result.backend:<10}{'overhead service / bare':<26}"
            + "".join(
                f"{'x' + format(r, '.1f'):>{w}}"
                for r, w in zip(ratios, (8, 8, 8, 8, 9), strict=True)
            )
        )
        lines.append(
            f"{result.backend:<10}{'added by the service':<26}"
            f"{ms(service.median - bare.median):>8}{'':>16}"
            f"{ms(service.cpu_mean - bare.cpu_mean):>8}"
        )

    first = results[0].digest
    lines += [
        "",
        f"Digest: {first.offices} Offices x 40 answers = {first.answers:,} submitted answers; "
        f"median (min) of {options.runs} runs, naive {options.naive_runs}; "
        "peak = tracemalloc peak of one run.",
        f"{'backend':<10}{'approach':<30}{'median ms':>10}{'min ms':>9}{'peak':>11}{'vs bare':>9}",
    ]
    for result in results:
        approaches = result.digest.approaches
        bare_median = statistics.median(approaches[1].seconds)
        for approach in approaches:
            median = statistics.median(approach.seconds)
            lines.append(
                f"{result.backend:<10}{approach.name:<30}{ms(median):>10}"
                f"{ms(min(approach.seconds)):>9}{_size(approach.peak_bytes):>11}"
                f"{'x' + format(median / bare_median, '.1f'):>9}"
            )
    lines.append("")
    for result in results:
        lines.append(
            f"{result.backend}: {result.version}; seeding {result.digest.answers:,} answers "
            f"took {result.digest.seed_seconds:.1f} s"
        )
    if first.offices > LETTER_CODES:
        lines.append(
            f"Offices beyond the {LETTER_CODES} letter pairs have synthetic alphanumeric codes "
            "(the digest never reads codes)."
        )
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    lines.append(f"Peak RSS of the whole benchmark process: {peak_rss / 1024:.0f} MiB")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.survey_bench", description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--offices",
        type=int,
        default=2000,
        help=f"Offices with a submitted response in the digest (1-{len(OFFICE_CODES)})",
    )
    parser.add_argument("--calls", type=int, default=1000, help="timed answer writes per path")
    parser.add_argument(
        "--warmup", type=int, default=80, help="untimed answer writes per path (at least 40)"
    )
    parser.add_argument("--runs", type=int, default=7, help="timed digest runs")
    parser.add_argument("--naive-runs", type=int, default=3, help="timed runs of naive counting")
    common.add_postgres_options(parser, BENCH_DATABASE, keep=True)
    options = parser.parse_args(argv)
    if not 1 <= options.offices <= len(OFFICE_CODES):
        parser.error(f"--offices must be between 1 and {len(OFFICE_CODES)}")
    for name in ("calls", "runs", "naive_runs"):
        if getattr(options, name) < 2:
            parser.error(f"--{name.replace('_', '-')} must be at least 2")
    return options


def main(argv: Sequence[str] | None = None) -> None:
    common.main(argv, parse_args, run, report)


if __name__ == "__main__":
    main()
