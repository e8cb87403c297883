"""The Secretariat's files (CSV, workbook, collated document) made in a process of their own,
which reads the database itself.

Made in a thread of the bot's process, an export of 10,000 Offices (400,000 answers read,
then tens of seconds of openpyxl and python-docx) holds the interpreter's lock much of the
time it runs, and its reading runs on the event loop itself. In a process of its own it needs
a core of its own but not the bot's lock or loop; only the finished files come back. (On a
machine of two busy cores, bench/export_bench.py showed no clear gain either way: the cores,
not the lock, were then what every tap waited for.) The process is started for each
export and ends with it (a second or two of start-up against tens of seconds of work), so
that the export's memory (hundreds of MB at 10,000 Offices) is given back at once."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import AsyncIterator
from multiprocessing.connection import Connection

from bot.bounded_pool import yield_to_the_bot
from bot.config import Settings
from reports.files import FORMATS, ResultsFile
from survey.model import Actor
from survey.secretariat import Secretariat


class FileWorkerError(RuntimeError):
    """The worker process failed or died; the job says so to the person."""


class ResultsFilesInAProcess:
    """dialogs.jobs.ResultsFiles, made in a worker process on the same database."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        # Spawned, not forked: a fork would copy the event loop, the database connections
        # and the locks of a running bot.
        self._context = multiprocessing.get_context("spawn")

    async def __call__(
        self, secretariat: Secretariat, who: Actor, lang: str, *, drafts: bool
    ) -> AsyncIterator[ResultsFile]:
        secretariat.check_member(who)  # refused here, as in the bot, before any work
        receiving, sending = self._context.Pipe(duplex=False)
        worker = self._context.Process(
            target=_work,
            args=(sending, self._settings, who, lang, drafts),
            name="results-files",
            daemon=True,  # ended with the bot, whatever the bot's end
        )
        worker.start()
        sending.close()
        try:
            outcome, made = await asyncio.to_thread(_receive, receiving)
        finally:
            # Also when the job is cancelled (the bot stops): the worker goes with it, and
            # the job is left to the next process.
            if worker.is_alive():
                worker.terminate()
            await asyncio.to_thread(worker.join)
            receiving.close()
        if outcome != "made":
            raise FileWorkerError(f"the results files were not made: {made}")
        assert isinstance(made, list)
        for found in made:
            yield found


def _receive(receiving: Connection) -> tuple[str, object]:
    try:
        outcome, made = receiving.recv()
    except EOFError:  # it died (killed for memory, or terminated)
        return "died", "the worker process ended without a result"
    return str(outcome), made


def _work(sending: Connection, settings: Settings, who: Actor, lang: str, drafts: bool) -> None:
    yield_to_the_bot()
    try:
        made: object = make_results_files(settings, who, lang, drafts)
        outcome = "made"
    except Exception as exc:  # said to the bot, which logs it with the job
        made, outcome = f"{type(exc).__name__}: {exc}", "failed"
    sending.send((outcome, made))
    sending.close()


def make_results_files(
    settings: Settings, who: Actor, lang: str, drafts: bool
) -> list[ResultsFile]:
    """In the worker process: read what the files are made of, then make each."""
    return asyncio.run(_read_and_make(settings, who, lang, drafts))


async def _read_and_make(
    settings: Settings, who: Actor, lang: str, drafts: bool
) -> list[ResultsFile]:
    from bot.bootstrap import open_service
    from reports.files import ResultsData, results_file

    # Read-only: a snapshot that holds back nobody's answer while 400,000 rows are read.
    async with open_service(settings, prepare=False, read_only=True) as service:
        secretariat = service.secretariat
        data = ResultsData(
            await secretariat.digest(who, include_drafts=drafts),
            await secretariat.export_rows(who),
            await secretariat.office_statuses(who),
            secretariat.in_force.questionnaire,
            secretariat.in_force,
        )
    return [results_file(kind, data, lang) for kind in FORMATS]
