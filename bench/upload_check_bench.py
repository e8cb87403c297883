"""What checking a genuine uploaded workbook costs in the bounded worker (bot/upload_checker.py)
against the thread of the bot's own process it ran in before (issue 21), and the worker's
memory. Not part of the table: `python -m bench.upload_check_bench [--rounds N]`."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings
from bot.upload_checker import UploadChecker, pool_limits
from reports.workbook import office_workbook
from reports.workbook_upload import Upload, read_office_workbook
from reports.xlsx_limits import check_xlsx_limits
from survey.model import AnswerRecord, Office
from survey.questionnaire import load_questionnaire

KEY = bytes(32)  # the bot's secret signing the workbook; any key does for a benchmark


def genuine_workbook() -> tuple[bytes, Office]:
    """The largest genuine workbook: 40 answers, each with a comment of 1,000 characters."""
    questionnaire = load_questionnaire()
    office = Office(id=1, code="EP", kind="regional", names={"en": "European Patent Office"})
    at = datetime(2026, 1, 1, tzinfo=UTC)
    answers = {
        number: AnswerRecord(number, "high", "é" * 999 + "x", at, 1, "Ana Pérez")
        for number in questionnaire.numbers
    }
    return office_workbook(office, answers, questionnaire, "fr", exported_at=at, key=KEY), office


def _memory(pid: int) -> dict[str, int]:
    """The worker's peak resident and virtual sizes, in MB (Linux)."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmPeak", "VmRSS"):
            found[key] = int(value.split()[0]) // 1024
    return found


async def measure(rounds: int) -> None:
    questionnaire = load_questionnaire()
    data, office = genuine_workbook()
    in_thread, in_worker, limits = [], [], []
    for _ in range(rounds):
        started = time.perf_counter()
        assert check_xlsx_limits(data) is None
        limits.append(time.perf_counter() - started)
    for _ in range(rounds):
        started = time.perf_counter()
        result = await asyncio.to_thread(
            read_office_workbook, data, questionnaire, "fr", office=office, key=KEY
        )
        in_thread.append(time.perf_counter() - started)
        assert isinstance(result, Upload)
    checker = UploadChecker(pool_limits(Settings()))
    checker.start()
    try:
        started = time.perf_counter()
        first = await checker.check_office_workbook(
            data, questionnaire, "fr", office=office, key=KEY
        )
        cold = time.perf_counter() - started
        assert isinstance(first, Upload)
        for _ in range(rounds):
            started = time.perf_counter()
            result = await checker.check_office_workbook(
                data, questionnaire, "fr", office=office, key=KEY
            )
            in_worker.append(time.perf_counter() - started)
            assert isinstance(result, Upload)
        memory = _memory(checker.pool.pids[0])
    finally:
        await checker.close()
    print(f"genuine workbook: {len(data) / 1024:.0f} KB, {rounds} rounds")
    print(f"in a thread (before): median {statistics.median(in_thread) * 1000:.1f} ms")
    worker = statistics.median(in_worker) * 1000
    print(f"in the worker: median {worker:.1f} ms (the first, as it starts: {cold * 1000:.0f} ms)")
    print(f"of which the cheap limits: median {statistics.median(limits) * 1000:.1f} ms")
    print(f"worker memory: {memory} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    asyncio.run(measure(parser.parse_args().rounds))


if __name__ == "__main__":
    main()
