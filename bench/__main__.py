"""Every benchmark, one table: ``python -m bench [--quick] [--only NAME,...] [--readme]``.

Each benchmark runs in a process of its own (``python -m bench.figures MODULE``) so that one
benchmark's imports, caches and memory never colour the next, and each compares the bot with
the bare framework measured in that same process, at that same moment. ``--readme`` writes
the table into bench/README.md between its table markers. Nothing here is a pass/fail test:
the "met" column says how a figure compares with the target of issue 12.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.figures import MARK, Figure

BENCHMARKS = {
    "dialog_bench": "a click in process (SQLite, PostgreSQL)",
    "process_bench": "the real process: tap to edit, 200 at once, cold start, memory",
    "scale_bench": "/results and the exports at 200 to 10,000 Offices",
    "broadcast_bench": "reminders at Telegram's limits",
    "export_bench": "200 people tapping while a 10,000-Office export is made",
}
README = Path(__file__).with_name("README.md")
BEGIN, END = "<!-- bench-table -->", "<!-- /bench-table -->"
CLICK_RATIO = "click in process, SQLite, median"


def run_one(module: str, quick: bool) -> tuple[list[Figure], float, str]:
    """The figures of one benchmark, its time, and the last lines it wrote if it failed."""
    command = [sys.executable, "-m", "bench.figures", module, *(["--quick"] if quick else [])]
    started = time.perf_counter()
    process = subprocess.run(
        command, stdout=subprocess.PIPE, stderr=None, text=True, check=False, env=os.environ
    )
    elapsed = time.perf_counter() - started
    lines = process.stdout.splitlines()
    found = [Figure.from_json(line[len(MARK) :]) for line in lines if line.startswith(MARK)]
    failure = ""
    if process.returncode != 0:
        failure = f"exit {process.returncode}: " + " | ".join(lines[-3:])
    return found, elapsed, failure


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _met(figure: Figure) -> str:
    return {True: "yes", False: "**no**", None: ""}[figure.met]


def table(figures: Sequence[Figure]) -> list[str]:
    lines = [
        "| figure | value | floor, same run | ratio | target | met |",
        "|---|---:|---|---:|---|---|",
    ]
    for figure in figures:
        floor = (
            f"{_number(figure.floor)} {figure.unit} ({figure.floor_name})"
            if figure.floor is not None
            else figure.floor_name
        )
        ratio = f"x{figure.ratio:.2f}" if figure.ratio is not None else ""
        lines.append(
            f"| {figure.name} | {_number(figure.value)} {figure.unit} | {floor} | {ratio} "
            f"| {figure.target} | {_met(figure)} |"
        )
    return lines


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kb = int(meminfo.read_text().split()[1])
        memory = f", {total_kb / 1024 / 1024:.0f} GB RAM"
    load = f", load {os.getloadavg()[0]:.1f} at the start" if hasattr(os, "getloadavg") else ""
    return (
        f"{model}, {os.cpu_count()} cores{memory}{load}; Python {platform.python_version()} "
        f"on {platform.system()} {platform.release()}"
    )


def report(
    figures: Sequence[Figure], timings: dict[str, float], failures: dict[str, str], quick: bool
) -> list[str]:
    mode = "quick" if quick else "full"
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {mode} mode "
        f"(`python -m bench{' --quick' if quick else ''}`), on {machine()}.",
        "",
        *table(figures),
        "",
    ]
    click = next((f for f in figures if f.name == CLICK_RATIO), None)
    if click is not None and click.ratio is not None:
        lines += [f"b/a click ratio: {click.ratio:.2f}", ""]
    lines.append(
        "Time per benchmark: "
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items())
        + f"; total {sum(timings.values()):.0f} s."
    )
    for name, failure in failures.items():
        lines.append(f"{name} FAILED ({failure})")
    return lines


def write_readme(lines: Sequence[str]) -> None:
    text = README.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{README} has no {BEGIN} ... {END} markers")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    README.write_text(head + BEGIN + "\n" + "\n".join(lines) + "\n" + END + tail)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: under two minutes")
    parser.add_argument(
        "--only",
        default=",".join(BENCHMARKS),
        help="comma-separated benchmarks to run (default: all): " + ", ".join(BENCHMARKS),
    )
    parser.add_argument(
        "--readme", action="store_true", help="write the table into bench/README.md"
    )
    options = parser.parse_args(argv)
    options.only = [name.strip() for name in options.only.split(",") if name.strip()]
    unknown = [name for name in options.only if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    return options


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    figures: list[Figure] = []
    timings: dict[str, float] = {}
    failures: dict[str, str] = {}
    for name in options.only:
        print(f"== {name}: {BENCHMARKS[name]}", file=sys.stderr, flush=True)
        found, timings[name], failure = run_one(name, options.quick)
        figures += found
        if failure:
            failures[name] = failure
    lines = report(figures, timings, failures, options.quick)
    print("\n".join(lines))
    if options.readme:
        write_readme(lines)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
