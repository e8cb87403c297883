"""The results at scale: the /results digest, its chart, and the three export files, for
hundreds to ten thousand Offices of 40 answers each.

    python -m bench.scale_bench [--offices 200,2000,10000] [--backend sqlite|postgres|both]
                                [--formats csv,xlsx,docx] [--quick]

1. Digest: ``Secretariat.digest`` through the real service on a migrated database, and the
   same with the /results window's text (``digest_message``), at each Office count.
2. Chart: ``reports.chart.results_chart`` drawing the PNG from the digest (its cost does not
   depend on the number of Offices, only on the 40 bars).
3. Exports at the largest Office count: what ``python -m bot results --format F --output``
   and /export do (the digest, every answer row, every Office's status, then the file), each
   format in a fresh Python process, with its time and its peak RSS.

See bench/README.md ("Scale benchmark") for how to read the output. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import common, seeding
from bench.common import log
from bench.figures import Figure
from storage.db import SqlStoreFactory, create_engine
from storage.migrate import upgrade
from survey.model import Actor
from survey.questionnaire import Questionnaire, load_questionnaire
from survey.results import Digest
from survey.service import SurveyService

BENCH_DATABASE = "scale_bench"
DEFAULT_OFFICES = (200, 2_000, 10_000)
QUICK_OFFICES = 2_000
FORMATS = ("csv", "xlsx", "docx")
DIGEST_TARGET = 0.1  # s, at 10,000 Offices
CHART_TARGET = 1.0  # s
XLSX_MEMORY_TARGET = 200.0  # MB added to the process by the XLSX export

# Office.code is two characters (WIPO ST.3), so there are 676 letter codes. Beyond them the
# benchmark uses codes such as "Q00677" (and on PostgreSQL widens the column of its own
# database for them): the digest never reads codes, and the exports only copy them, so their
# cost does not depend on what the codes look like.
LETTER_CODES = len(common.LETTER_PAIRS)


def office_codes(count: int) -> list[str]:
    return [*common.LETTER_PAIRS[:count], *(f"Q{i:05d}" for i in range(LETTER_CODES, count))]


# Seeding -----------------------------------------------------------------------------------


async def widen_office_codes(engine: AsyncEngine) -> None:
    """Room for the synthetic codes on PostgreSQL (SQLite does not enforce VARCHAR lengths)."""
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE office ALTER COLUMN code TYPE varchar(8)"))


# Measuring ---------------------------------------------------------------------------------


async def median_of(runs: int, call: Callable[[], Awaitable[Any]]) -> float:
    """Median wall seconds of `runs` calls, after one untimed call."""
    await call()
    gc.collect()
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


@dataclass
class DigestPoint:
    backend: str
    offices: int
    answers: int
    seed_seconds: float
    counted: float  # median s: Secretariat.digest (the tally of submitted answers, the funnel)
    window: float  # median s: the digest and the /results window's text


@dataclass
class ChartResult:
    first: float  # s: the first chart of the process (matplotlib imported and set up)
    median: float  # s: later charts
    png_bytes: int


@dataclass
class ExportResult:
    backend: str
    kind: str
    offices: int
    read: float  # s: digest, export rows and Office statuses from the database
    render: float  # s: the file from them
    size: int  # bytes of the file
    before_mb: float  # RSS right before the export
    peak_mb: float  # the process's peak RSS
    rows: int

    @property
    def total(self) -> float:
        return self.read + self.render

    @property
    def added_mb(self) -> float:
        return self.peak_mb - self.before_mb


@dataclass
class Result:
    versions: dict[str, str] = field(default_factory=dict)
    digests: list[DigestPoint] = field(default_factory=list)
    chart: ChartResult | None = None
    exports: list[ExportResult] = field(default_factory=list)


def _window_text(digest: Digest, questionnaire: Questionnaire) -> str:
    from bot.i18n import build_i18n
    from dialogs.secretariat.results import digest_message

    i18n = _I18N.get("i18n")
    if i18n is None:
        i18n = _I18N["i18n"] = build_i18n()
    with i18n.context(), i18n.use_locale("en"):
        return str(digest_message(digest, questionnaire, "en"))


_I18N: dict[str, Any] = {}


async def bench_digest(
    stores: SqlStoreFactory, questionnaire: Questionnaire, offices: int, runs: int
) -> tuple[float, float, Digest]:
    """Median seconds of the digest (the same after a submission as before: the counts are
    a tally kept at each submission), and of the digest with the /results window's text."""
    cli = Actor.cli()
    service = SurveyService(stores, questionnaire)

    async def check(result: Digest) -> Digest:
        assert result.funnel.submitted == offices, result.funnel
        assert sum(item.answered for item in result.items) == offices * len(questionnaire)
        return result

    async def counted() -> Digest:
        return await check(await service.secretariat.digest(cli))

    async def window() -> str:
        return _window_text(await counted(), questionnaire)

    counted_median = await median_of(runs, counted)
    window_median = await median_of(runs, window)
    return counted_median, window_median, await counted()


def bench_chart(digest: Digest, questionnaire: Questionnaire, runs: int) -> ChartResult:
    from reports.chart import results_chart

    start = time.perf_counter()
    png = results_chart(digest, questionnaire, "en")
    first = time.perf_counter() - start
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        png = results_chart(digest, questionnaire, "en")
        seconds.append(time.perf_counter() - start)
    return ChartResult(first, statistics.median(seconds), len(png))


# Exports, each in a process of its own -----------------------------------------------------


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (Linux), in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"no {field} in /proc/self/status")


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def _peak_mb() -> float:
    # Not getrusage's ru_maxrss: Linux carries it over fork and exec, so a worker started by
    # this benchmark (hundreds of MB after seeding) would report the parent's peak. VmHWM
    # belongs to the worker's own address space.
    return _status_mb("VmHWM")


async def _export_in_process(kind: str, url: str) -> dict[str, Any]:
    """What `python -m bot results --format KIND --output F` does, timed and weighed."""
    # Everything the export imports is imported first, so that the memory it adds is its data
    # and not library code.
    import reports.chart
    import reports.collated
    import reports.csv_export
    import reports.xlsx  # noqa: F401
    from reports.files import ResultsData, results_file

    if kind == "docx":
        import matplotlib.backends.backend_agg
        import matplotlib.figure  # noqa: F401

    questionnaire = load_questionnaire()
    engine = create_engine(url)
    try:
        service = SurveyService(SqlStoreFactory(engine), questionnaire)
        await service.secretariat.deadline(Actor.cli())  # the connection is set up
        gc.collect()
        before = _rss_mb()
        start = time.perf_counter()
        secretariat, cli = service.secretariat, Actor.cli()
        digest = await secretariat.digest(cli)
        rows = await secretariat.export_rows(cli)
        offices = await secretariat.office_statuses(cli)
        read = time.perf_counter() - start
        start = time.perf_counter()
        made = results_file(kind, ResultsData(digest, rows, offices, questionnaire), "en")
        render = time.perf_counter() - start
        peak = _peak_mb()
    finally:
        await engine.dispose()
    return {
        "read": read,
        "render": render,
        "size": len(made.data),
        "before_mb": before,
        "peak_mb": peak,
        "rows": len(rows),
    }


def run_export(backend: str, kind: str, offices: int, url: str) -> ExportResult:
    environment = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    environment["PYTHONPATH"] = os.pathsep.join(
        [root, *filter(None, [environment.get("PYTHONPATH")])]
    )
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale_bench", "--export-worker", kind, "--url", url],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the {kind} export failed:\n{done.stderr}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    return ExportResult(backend=backend, kind=kind, offices=offices, **measured)


# Running ------------------------------------------------------------------------------------


async def run_backend(
    backend: str,
    url: str,
    questionnaire: Questionnaire,
    options: argparse.Namespace,
    result: Result,
) -> None:
    log(f"{backend}: migrating a fresh database")
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    try:
        result.versions[backend] = await common.server_version(engine)
        stores = SqlStoreFactory(engine)
        sizes = sorted(options.offices)
        if sizes[-1] > LETTER_CODES:
            await widen_office_codes(engine)
        codes = office_codes(sizes[-1])
        seeded = answers = 0
        for size in sizes:
            start = time.perf_counter()
            answers += await seeding.seed_submitted(
                engine, questionnaire, codes[seeded:size], seeded
            )
            seed_seconds = time.perf_counter() - start
            seeded = size
            log(f"{backend}: seeded up to {size:,} Offices, {answers:,} answers")
            counted, window, digest = await bench_digest(stores, questionnaire, size, options.runs)
            result.digests.append(
                DigestPoint(backend, size, answers, seed_seconds, counted, window)
            )
            log(
                f"{backend}: digest at {size:,} Offices: {counted * 1000:.1f} ms counting, "
                f"{window * 1000:.1f} ms with the window's text"
            )
            if result.chart is None and options.chart:
                result.chart = await asyncio.to_thread(bench_chart, digest, questionnaire, 3)
                log(f"chart: {result.chart.median:.2f} s")
        if backend in options.export_backends:
            for kind in options.formats:
                log(f"{backend}: {kind} export of {sizes[-1]:,} Offices in a fresh process")
                export = await asyncio.to_thread(run_export, backend, kind, sizes[-1], url)
                result.exports.append(export)
                log(
                    f"{backend}: {kind}: {export.total:.1f} s, +{export.added_mb:.0f} MB "
                    f"(peak {export.peak_mb:.0f} MB)"
                )
    finally:
        await engine.dispose()


async def run(options: argparse.Namespace) -> Result:
    questionnaire = load_questionnaire()
    result = Result()
    for backend in options.backends:
        async with common.fresh_database(
            backend, options.postgres_url, BENCH_DATABASE, prefix="scale-bench-"
        ) as url:
            await run_backend(backend, url, questionnaire, options, result)
    return result


# Reporting ----------------------------------------------------------------------------------


def _mark(met: bool) -> str:
    return "met" if met else "MISSED"


def report(result: Result, options: argparse.Namespace) -> str:
    lines = [
        f"Digest: median of {options.runs} runs after one; Offices x 40 submitted answers. "
        "`digest`: Secretariat.digest (the submitted answers' tally and the funnel); "
        "`window`: the digest and the /results window's text.",
        f"{'backend':<10}{'Offices':>8}{'answers':>10}{'seed s':>8}{'digest ms':>13}"
        f"{'window ms':>11}  target < {DIGEST_TARGET * 1000:.0f} ms (digest / window)",
    ]
    for point in result.digests:
        lines.append(
            f"{point.backend:<10}{point.offices:>8,}{point.answers:>10,}"
            f"{point.seed_seconds:>8.1f}{point.counted * 1000:>13.1f}"
            f"{point.window * 1000:>11.1f}  {_mark(point.counted < DIGEST_TARGET)} / "
            f"{_mark(point.window < DIGEST_TARGET)}"
        )
    if result.chart is not None:
        chart = result.chart
        lines += [
            "",
            f"Chart (reports.chart.results_chart, 1080 x 2160 PNG, {chart.png_bytes / 1024:.0f} "
            f"KiB): {chart.median:.2f} s median of 3, first in the process {chart.first:.2f} s; "
            f"target < {CHART_TARGET:.0f} s: {_mark(chart.median < CHART_TARGET)}",
        ]
    if result.exports:
        lines += [
            "",
            "Exports, each in a fresh process: read = digest + answer rows + Office statuses "
            "from the database; added = peak RSS - RSS right before the export.",
            f"{'backend':<10}{'format':<7}{'Offices':>8}{'rows':>9}{'read s':>8}{'file s':>8}"
            f"{'total s':>9}{'size MB':>9}{'added MB':>10}{'peak MB':>9}",
        ]
        for export in result.exports:
            lines.append(
                f"{export.backend:<10}{export.kind:<7}{export.offices:>8,}{export.rows:>9,}"
                f"{export.read:>8.1f}{export.render:>8.1f}{export.total:>9.1f}"
                f"{export.size / 2**20:>9.1f}{export.added_mb:>10.0f}{export.peak_mb:>9.0f}"
            )
        for export in result.exports:
            if export.kind == "xlsx":
                lines.append(
                    f"{export.backend} XLSX memory target < {XLSX_MEMORY_TARGET:.0f} MB added: "
                    f"{_mark(export.added_mb < XLSX_MEMORY_TARGET)}"
                )
    lines.append("")
    lines += [f"{backend}: {version}" for backend, version in result.versions.items()]
    if max(options.offices) > LETTER_CODES:
        lines.append(
            f"Offices beyond the {LETTER_CODES} letter codes have synthetic codes (Q00676...)."
        )
    return "\n".join(lines)


def figures(quick: bool) -> list[Figure]:
    """For ``python -m bench``: the digest on both databases, the chart, and the exports on
    SQLite; when `quick` at 2,000 Offices, else at 200, 2,000 and 10,000
    Offices with the exports at 10,000."""
    arguments = ["--backend", "both", "--export-backend", "sqlite"]
    options = parse_args([*arguments, "--quick", "--runs", "5"] if quick else arguments)
    result = asyncio.run(run(options))
    found: list[Figure] = []
    for point in result.digests:
        where = f"{point.offices:,} Offices, {point.backend}"
        target = f"< {DIGEST_TARGET * 1000:.0f} ms at 10,000 Offices"
        found.append(
            Figure(
                name=f"/results digest, {where}",
                value=point.counted * 1000,
                unit="ms",
                target=target,
                met=point.counted < DIGEST_TARGET,
            )
        )
        found.append(
            Figure(
                name=f"/results digest + window text, {where}",
                value=point.window * 1000,
                unit="ms",
                target=target,
                met=point.window < DIGEST_TARGET,
            )
        )
    if result.chart is not None:
        found.append(
            Figure(
                name="results chart PNG",
                value=result.chart.median,
                unit="s",
                target=f"< {CHART_TARGET:.0f} s",
                met=result.chart.median < CHART_TARGET,
            )
        )
    for export in result.exports:
        found.append(
            Figure(
                name=f"{export.kind} export, {export.offices:,} Offices, {export.backend}, time",
                value=export.total,
                unit="s",
            )
        )
        is_xlsx = export.kind == "xlsx"
        found.append(
            Figure(
                name=f"{export.kind} export, {export.offices:,} Offices, {export.backend}, "
                "memory added",
                value=export.added_mb,
                unit="MB",
                target=f"< {XLSX_MEMORY_TARGET:.0f} MB" if is_xlsx else "",
                met=export.added_mb < XLSX_MEMORY_TARGET if is_xlsx else None,
            )
        )
    return found


def _sizes(value: str) -> list[int]:
    sizes = sorted({int(part.replace("_", "")) for part in value.split(",") if part.strip()})
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("a list of positive Office counts, e.g. 200,2000")
    return sizes


def _formats(value: str) -> list[str]:
    chosen = [part.strip() for part in value.split(",") if part.strip()]
    if not chosen or any(kind not in FORMATS for kind in chosen):
        raise argparse.ArgumentTypeError(f"a list of {', '.join(FORMATS)}")
    return chosen


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_bench", description=__doc__)
    parser.add_argument(
        "--offices",
        type=_sizes,
        default=list(DEFAULT_OFFICES),
        help="Office counts, comma-separated (default 200,2000,10000)",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--export-backend",
        choices=["sqlite", "postgres", "both", "none"],
        default=None,
        help="where the exports are measured (default: --backend)",
    )
    parser.add_argument("--formats", type=_formats, default=list(FORMATS))
    parser.add_argument("--runs", type=int, default=9, help="timed digest runs per size")
    parser.add_argument("--no-chart", dest="chart", action="store_false")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="2,000 Offices; the exports on SQLite only",
    )
    parser.add_argument("--export-worker", choices=FORMATS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    common.add_postgres_options(parser, BENCH_DATABASE)
    options = parser.parse_args(argv)
    if options.quick:
        options.offices = [QUICK_OFFICES]
        options.export_backend = options.export_backend or "sqlite"
    options.backends = ["sqlite", "postgres"] if options.backend == "both" else [options.backend]
    chosen = options.export_backend or options.backend
    options.export_backends = {
        "both": ["sqlite", "postgres"],
        "none": [],
    }.get(chosen, [chosen])
    if options.runs < 1:
        parser.error("--runs must be at least 1")
    return options


def main(argv: Sequence[str] | None = None) -> None:
    options = parse_args(argv)
    if options.export_worker:
        print(json.dumps(asyncio.run(_export_in_process(options.export_worker, options.url))))
        return
    common.main(argv, parse_args, run, report)


if __name__ == "__main__":
    main()
