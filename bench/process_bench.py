"""The real bot process against the stand-in, next to the barest aiogram-dialog bot, in one run.

    python -m bench.process_bench [--quick] [--taps N] [--concurrent N] [--dialogs N]

Both processes are started the same way (``python -m bot run`` and ``python -m bench.bare_bot``,
the same environment variables, each against a stand-in of its own in this process) and
driven the same way through the stand-in:

1. Click end to end, by long polling and by webhook: a simulated person taps a level button of
   the window on screen; the time from the moment the stand-in queues the callback query to
   the moment it receives the bot's ``editMessageText`` for it. Taps alternate with Back (so
   the person goes from a Recommendation to the next and back, and every level tap writes a
   changed answer), each person one tap at a time, the bot's and the bare bot's taps
   interleaved in blocks. The person reads the window before the next tap (READING, far
   shorter than anyone reads); a second series taps back to back, the moment the previous
   press is answered, which no person does: there the bot is still finishing the previous
   update (saving the dialog state, then confirming the update to Telegram: the next
   getUpdates, or the answer to the webhook's POST), which the bare bot, confirming each
   update before handling it, never waits for.
2. N representatives answering at once (N verified representatives of N Offices): each taps
   levels one after the other, all of them together; updates per second, the p99 latency,
   and afterwards every answer is read back from the database. By webhook, also a tap's own
   handling: the bot's /metrics histogram of the time each update took less its waits for
   the Bot API's answers (bot/metrics.py), read before and after the burst. A polling process
   serves no /metrics; it runs the same handlers.
3. Cold start: from spawning the process to the first Bot API request the stand-in receives.
4. Memory: VmRSS of the idle process after start, and with M dialogs open (M people each sent
   ``/continue`` and were shown their window; the bot with ``DIALOG_STATE_PATH=:memory:``, so
   that its dialog state is in the process as the bare bot's is).

The bot runs on a SQLite file migrated beforehand, holding the shipped Offices (and more with
unused letter codes when needed) and the representatives, verified with invitations through
the service as ``bench/dialog_bench.py`` does. See bench/README.md ("Process benchmark").
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import LETTER_PAIRS, collector_paused, log
from bench.figures import Figure
from dialogs.privacy import CATALOG_VERSION
from standin.state import Call, ChatMessage
from standin.telegram import TelegramStandIn
from storage.db import SqlStoreFactory, create_engine
from storage.migrate import upgrade
from survey.model import Actor
from survey.offices import OfficeInfo, shipped_offices
from survey.questionnaire import load_questionnaire
from survey.service import SurveyService

ROOT = Path(__file__).resolve().parents[1]
# What the image installs (Dockerfile), and bench.bare_bot.
PACKAGES = ("bot", "dialogs", "survey", "reports", "storage", "standin", "bench")
BOT_TOKEN = "123456:sandbox"
BARE_TOKEN = "654321:barebot"
WEBHOOK_SECRET = "bench_secret-token"
STEP_TIMEOUT = 60.0  # seconds; a hang guard, never a performance bound
BLOCK = 10  # taps per kind before the other kind's turn
# Seconds a simulated person looks at the window before tapping again: far below anyone's
# reading time, far above the milliseconds the bot needs to finish the previous update.
READING = 0.02
SETTLE = 1.0  # seconds between "taking updates" and reading the idle RSS
BARE_LEVELS = ("High", "Medium", "Low", "No opinion")
BACK = "◀ Back"
BOT_LEVEL = re.compile(r"\blv:(\d+):([a-z_]+)$")  # the data of the bot's level buttons
KINDS = ("bot", "bare")
CLICK_USERS = 5

# The targets.
# Issue 24's budget, in what people notice.
CLICK_TIMES = 2.0  # median
CLICK_P99_TIMES = 3.0
OWN_P99 = 15.0  # ms, a tap's own handling with the crowd tapping
THROUGHPUT = 300.0  # updates a second
COLD_START_EXTRA = 1.0  # seconds
IDLE_EXTRA = 30.0  # MB
DIALOGS_EXTRA = 50.0  # MB above idle


# The stand-in's side ---------------------------------------------------------------------


class Watcher:
    """Futures resolved when the stand-in has carried out a call: an edit or a new message in
    a chat, the answer to a callback query (state.call_listeners)."""

    def __init__(self, telegram: TelegramStandIn) -> None:
        self.telegram = telegram
        self._waiting: dict[tuple[str, int | str], asyncio.Future[float]] = {}
        telegram.state.call_listeners.append(self._seen)

    def _seen(self, call: Call) -> None:
        params = call.params
        if call.method in ("editMessageText", "sendMessage"):
            key: int | str = _int(params.get("chat_id"))
        elif call.method == "answerCallbackQuery":
            key = str(params.get("callback_query_id"))
        else:
            return
        future = self._waiting.pop((call.method, key), None)
        if future is not None and not future.done():
            future.set_result(call.received)

    def expect(self, method: str, key: int | str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[(method, key)] = future
        return future


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# The processes ---------------------------------------------------------------------------


@dataclass
class Running:
    kind: str  # "bot" or "bare"
    mode: str  # "polling" or "webhook"
    telegram: TelegramStandIn
    watcher: Watcher
    process: subprocess.Popen[bytes]
    log_path: Path
    cold_start: float  # seconds from spawning to the first Bot API request
    ready: float = 0.0  # seconds from spawning to taking updates (getUpdates or setWebhook)
    cpu: float = 0.0  # CPU seconds (user + system) the process had used by its first request
    metrics_url: str | None = None  # the bot's /metrics, by webhook

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS in /proc/PID/status")

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(
                f"the {self.kind} process ({self.mode}) exited with {self.process.returncode}:\n"
                + self.log_path.read_text(errors="replace")[-3000:]
            )

    async def wait(self, future: asyncio.Future[float], what: str) -> float:
        """The future's value; fails if the process dies or nothing comes in time."""
        deadline = time.perf_counter() + STEP_TIMEOUT
        while not future.done():
            self.check_alive()
            if time.perf_counter() > deadline:
                future.cancel()
                raise TimeoutError(f"{self.kind} ({self.mode}): no {what} in {STEP_TIMEOUT} s")
            await asyncio.wait({future}, timeout=0.5)
        return future.result()

    async def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self.process.wait, STEP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                await asyncio.to_thread(self.process.wait)
        await self.telegram.stop()


async def launch(kind: str, mode: str, workdir: Path, extra: dict[str, str]) -> Running:
    """Start a stand-in, then the process against it; return once it takes updates (polls, or
    has set its webhook)."""
    telegram = TelegramStandIn(BOT_TOKEN if kind == "bot" else BARE_TOKEN)
    await telegram.start("127.0.0.1", 0)
    watcher = Watcher(telegram)
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {
        **os.environ,
        "PYTHONPATH": path,
        "BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.url,
        **extra,
    }
    if mode == "webhook":
        port = free_port()
        env |= {
            "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/updates",
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
            "WEBHOOK_LISTEN_PORT": str(port),
        }
    command = ["-m", "bot", "run"] if kind == "bot" else ["-m", "bench.bare_bot"]
    cpu: list[float] = []  # read when the first request has been answered

    def first_request(_call: Call) -> None:
        if not cpu:
            cpu.append(process_cpu(process.pid))

    telegram.state.call_listeners.append(first_request)
    log_path = workdir / f"{kind}-{mode}-{time.monotonic_ns()}.log"
    with log_path.open("wb") as out:
        spawned = time.perf_counter()
        process = subprocess.Popen(  # noqa: ASYNC220 - the spawn is what is timed
            [sys.executable, *command], cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    running = Running(kind, mode, telegram, watcher, process, log_path, 0.0)
    if mode == "webhook" and kind == "bot":
        running.metrics_url = f"http://127.0.0.1:{env['WEBHOOK_LISTEN_PORT']}/metrics"
    ready = "getUpdates" if mode == "polling" else "setWebhook"
    deadline = time.perf_counter() + STEP_TIMEOUT
    while not any(call.method == ready for call in telegram.calls):
        running.check_alive()
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{kind} ({mode}) did not start in {STEP_TIMEOUT} s")
        with contextlib.suppress(TimeoutError):
            await telegram.wait_for(
                lambda t: any(call.method == ready for call in t.calls), timeout=0.5
            )
    running.cold_start = telegram.calls[0].received - spawned
    running.ready = next(c.received for c in telegram.calls if c.method == ready) - spawned
    running.cpu = cpu[0] if cpu else 0.0
    return running


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# One person's taps -----------------------------------------------------------------------


def _buttons(message: ChatMessage) -> list[tuple[str, str]]:
    return [(text, data) for row in message.buttons for text, data in row if data is not None]


def level_button(message: ChatMessage, index: int) -> str:
    """The callback data of a level button: the bot's `lv:N:level`, the bare bot's by text."""
    levels = [
        data for text, data in _buttons(message) if BOT_LEVEL.search(data) or text in BARE_LEVELS
    ]
    if not levels:
        raise RuntimeError(f"no level button on {message.text[:80]!r}: {_buttons(message)}")
    return levels[index % len(levels)]


def back_button(message: ChatMessage) -> str:
    for text, data in _buttons(message):
        if text == BACK:
            return data
    raise RuntimeError(f"no Back button on {message.text[:80]!r}: {_buttons(message)}")


async def tap(run: Running, user: int, data: str) -> float:
    """Tap the button carrying `data` on the person's last message; the seconds from the
    queued callback query to the stand-in receiving the edit (the press answered too)."""
    message = run.telegram.last_bot_message(user)
    assert message is not None, f"nothing on screen for {user}"
    edited = run.watcher.expect("editMessageText", user)
    queued = time.perf_counter()
    query = await run.telegram.user_clicks(user, message.message_id, callback_data=data)
    query_state = run.telegram.state.queries[query]
    answered = None if query_state.answer else run.watcher.expect("answerCallbackQuery", query)
    received = await run.wait(edited, f"edit after a tap in chat {user}")
    if answered is not None:
        await run.wait(answered, f"answer to the tap in chat {user}")
    if query_state.answer is not None and query_state.answer.text:
        raise RuntimeError(f"{run.kind}: the tap in chat {user} was refused: {query_state.answer}")
    return received - queued


async def open_dialogs(run: Running, users: Sequence[int], *, chunk: int = 250) -> None:
    """Each person sends /continue and is shown their window (a new message)."""
    for start in range(0, len(users), chunk):
        part = users[start : start + chunk]
        sent = [run.watcher.expect("sendMessage", user) for user in part]
        for user in part:
            await run.telegram.user_sends(user, "/continue", first_name=f"Person {user}")
        for user, future in zip(part, sent, strict=True):
            await run.wait(future, f"window after /continue in chat {user}")


# The measures ----------------------------------------------------------------------------


@dataclass
class Latencies:
    level: list[float] = field(default_factory=list)
    back: list[float] = field(default_factory=list)


def percentile(values: Sequence[float], p: int) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


async def sequential_taps(
    runs: dict[str, Running],
    users: dict[str, list[int]],
    taps: int,
    warmup: int,
    *,
    reading: float,
) -> dict[str, Latencies]:
    """`taps` timed level taps per kind (each followed by a timed Back), the people of a kind
    round-robin, the kinds alternating in blocks of BLOCK (the first kind changes each block);
    `reading` seconds before each tap (0: back to back)."""
    done = dict.fromkeys(KINDS, 0)
    result = {kind: Latencies() for kind in KINDS}

    async def tap_after_reading(run: Running, user: int, data: str) -> float:
        if reading:
            await asyncio.sleep(reading)
        return await tap(run, user, data)

    async def cycle(kind: str, timed: bool) -> None:
        run, people = runs[kind], users[kind]
        user = people[done[kind] % len(people)]
        level_data = level_button(_last(run, user), done[kind] // len(people))
        level = await tap_after_reading(run, user, level_data)
        back = await tap_after_reading(run, user, back_button(_last(run, user)))
        done[kind] += 1
        if timed:
            result[kind].level.append(level)
            result[kind].back.append(back)

    for _ in range(warmup):
        for kind in KINDS:
            await cycle(kind, False)
    for block, start in enumerate(range(0, taps, BLOCK)):
        order = KINDS if block % 2 == 0 else KINDS[::-1]
        for kind in order:
            for _ in range(min(BLOCK, taps - start)):
                await cycle(kind, True)
    return result


def _last(run: Running, user: int) -> ChatMessage:
    message = run.telegram.last_bot_message(user)
    assert message is not None
    return message


@dataclass
class Burst:
    updates: int
    seconds: float
    latencies: list[float]
    tapped: dict[int, dict[int, str]]  # the bot's: user -> Recommendation -> level
    own: dict[float, float] | None = None  # the bot's own handling: bucket bound -> count

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds


async def burst(run: Running, users: Sequence[int], each: int) -> Burst:
    """Every person taps `each` levels one after the other, all people at once."""
    latencies: list[float] = []
    tapped: dict[int, dict[int, str]] = {user: {} for user in users}

    async def person(index: int, user: int) -> None:
        for step in range(each):
            data = level_button(_last(run, user), index + step)
            latencies.append(await tap(run, user, data))
            found = BOT_LEVEL.search(data)
            if found:
                tapped[user][int(found.group(1))] = found.group(2)

    before = await own_handling(run)
    started = time.perf_counter()
    await asyncio.gather(*(person(i, user) for i, user in enumerate(users)))
    seconds = time.perf_counter() - started
    after = await own_handling(run)
    return Burst(len(users) * each, seconds, latencies, tapped, histogram_since(before, after))


def histogram_since(
    before: dict[float, float] | None, after: dict[float, float] | None
) -> dict[float, float] | None:
    """The counts a histogram gained between two readings (None without both)."""
    if before is None or after is None:
        return None
    return {bound: after[bound] - before.get(bound, 0.0) for bound in after}


OWN_SERIES = "survey_bot_update_own_seconds_bucket"


async def own_handling(run: Running) -> dict[float, float] | None:
    """The bot's histogram of its own handling of callback queries (cumulative counts by
    upper bound, in seconds), from its /metrics; None when it serves none."""
    if run.metrics_url is None:
        return None
    import aiohttp
    from prometheus_client.parser import text_string_to_metric_families

    async with aiohttp.ClientSession() as http, http.get(run.metrics_url) as response:
        text = await response.text()
    buckets: dict[float, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == OWN_SERIES and sample.labels.get("type") == "callback_query":
                buckets[float(sample.labels["le"])] = sample.value
    return buckets


def histogram_quantile(buckets: dict[float, float], q: float) -> float:
    """Prometheus' histogram_quantile: linear within the bucket the quantile falls in."""
    bounds = sorted(buckets)
    total = buckets[bounds[-1]]
    if total <= 0:
        return float("nan")
    rank = q * total
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if bound == float("inf"):
                return lower
            return lower + (bound - lower) * (rank - below) / max(count - below, 1e-12)
        lower, below = bound, count
    return lower


def share_within(buckets: dict[float, float], bound: float) -> float:
    total = buckets[max(buckets)]
    return buckets.get(bound, float("nan")) / total if total else float("nan")


# The run ---------------------------------------------------------------------------------


@dataclass
class Result:
    taps: int
    people: int
    each: int
    dialogs: int
    clicks: dict[str, dict[str, Latencies]] = field(default_factory=dict)  # mode -> kind
    rapid: dict[str, dict[str, Latencies]] = field(default_factory=dict)  # back to back
    bursts: dict[str, dict[str, Burst]] = field(default_factory=dict)  # mode -> kind
    stored: dict[str, tuple[int, int]] = field(default_factory=dict)  # mode -> (found, tapped)
    cold: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    ready: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    cpu: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    idle: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    open_idle: dict[str, float] = field(default_factory=dict)  # kind -> RSS before the dialogs
    open_full: dict[str, float] = field(default_factory=dict)  # kind -> RSS with them open
    seconds: float = 0.0


def offices(needed: int) -> list[OfficeInfo]:
    """The shipped Offices, and more with unused letter codes if the run needs them."""
    shipped = list(shipped_offices())
    taken = {office.code for office in shipped}
    extra = [
        OfficeInfo(code, "regional", {"en": f"Benchmark Office {code}"})
        for code in LETTER_PAIRS
        if code not in taken
    ]
    return shipped + extra[: max(0, needed - len(shipped))]


async def prepare(url: str, people: int, dialogs: int) -> tuple[dict[str, list[int]], ...]:
    """Migrate, load Offices, verify the representatives (the privacy notice acknowledged); the
    user ids of each group."""
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    try:
        service = SurveyService(SqlStoreFactory(engine), load_questionnaire())
        listed = offices(CLICK_USERS + people)
        await service.secretariat.import_offices(listed, Actor.cli())
        codes = [office.code for office in listed]
        clickers = [1000 + i for i in range(CLICK_USERS)]
        crowd = [10_000 + i for i in range(people)]
        openers = [100_000 + i for i in range(dialogs)]
        office_of = dict(zip(clickers + crowd, codes, strict=False))
        for i, user in enumerate(openers):  # several per Office
            office_of[user] = codes[CLICK_USERS + i % max(people, 1)]
        invitations: dict[str, str] = {}
        for user, code in office_of.items():
            if code not in invitations:
                issued = await service.secretariat.create_invitation(
                    code, Actor.cli(), max_uses=None
                )
                invitations[code] = issued.code
            await service.enrolment.redeem(user, invitations[code], full_name=f"Person {user}")
            await service.privacy.acknowledge(user, CATALOG_VERSION)  # the notice read
    finally:
        await engine.dispose()
    bare = {"clickers": [i + 1 for i in range(CLICK_USERS)]}
    bare["crowd"] = [100 + i for i in range(people)]
    bare["openers"] = [10_000 + i for i in range(dialogs)]
    bot = {"clickers": clickers, "crowd": crowd, "openers": openers}
    return bot, bare


async def count_stored(url: str, tapped: dict[int, dict[int, str]]) -> tuple[int, int]:
    """(answers found in the database as tapped, answers tapped)."""
    engine = create_engine(url)
    try:
        service = SurveyService(SqlStoreFactory(engine), load_questionnaire())
        found = 0
        for user, levels in tapped.items():
            review = await service.answering.review(user)
            stored = {item.number: str(item.level) for item in review.items if item.level}
            found += sum(1 for number, level in levels.items() if stored.get(number) == level)
        return found, sum(len(levels) for levels in tapped.values())
    finally:
        await engine.dispose()


async def start_pair(
    mode: str, workdir: Path, extra: dict[str, dict[str, str]], result: Result, first: str
) -> dict[str, Running]:
    """Start the bot and the bare bot one after the other (`first` first), so that neither
    start competes with the other for the CPU; keep their cold start times."""
    runs: dict[str, Running] = {}
    for kind in (first, *(k for k in KINDS if k != first)):
        runs[kind] = await launch(kind, mode, workdir, extra[kind])
        result.cold[kind].append(runs[kind].cold_start)
        result.ready[kind].append(runs[kind].ready)
        result.cpu[kind].append(runs[kind].cpu)
        log(f"{kind} ({mode}) up: first request {runs[kind].cold_start:.2f} s after spawning")
    return runs


def compile_bytecode() -> None:
    """Both processes start as they do in the image, where the build compiles every module to
    bytecode once (Dockerfile: UV_COMPILE_BYTECODE): without it each start would compile the
    sources again when PYTHONDONTWRITEBYTECODE is set, and the bigger program would pay more."""
    folders = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    folders |= {str(ROOT / package) for package in PACKAGES}
    for folder in sorted(folders):
        compileall.compile_dir(folder, quiet=1, workers=0)


async def run(options: argparse.Namespace) -> Result:
    started = time.perf_counter()
    result = Result(options.taps, options.concurrent, options.each, options.dialogs)
    log("compiling bytecode, as the image's build does")
    await asyncio.to_thread(compile_bytecode)
    with tempfile.TemporaryDirectory(prefix="process-bench-") as directory:
        workdir = Path(directory)
        url = f"sqlite+aiosqlite:///{workdir / 'survey.db'}"
        log(f"preparing the database: {CLICK_USERS + options.concurrent + options.dialogs} people")
        bot_users, bare_users = await prepare(url, options.concurrent, options.dialogs)
        users = {"bot": bot_users, "bare": bare_users}
        # --quick: the bare bot of the polling round stays for the memory round (one start
        # fewer); its growth is then understated, as it reuses what its earlier dialogs freed.
        kept: Running | None = None
        for number, mode in enumerate(("polling", "webhook")):
            extra = {
                "bot": {
                    "DATABASE_URL": url,
                    "DIALOG_STATE_PATH": str(workdir / f"dialog-state-{mode}.db"),
                },
                "bare": {},
            }
            runs = await start_pair(mode, workdir, extra, result, KINDS[number % 2])
            try:
                await asyncio.sleep(SETTLE)
                for kind in KINDS:
                    result.idle[kind].append(runs[kind].rss_mb())
                for kind in KINDS:
                    await open_dialogs(runs[kind], users[kind]["clickers"])
                clickers = {kind: users[kind]["clickers"] for kind in KINDS}
                log(f"{mode}: {options.taps} taps per kind, interleaved")
                result.clicks[mode] = await sequential_taps(
                    runs, clickers, options.taps, options.warmup, reading=READING
                )
                log(f"{mode}: {options.taps} taps per kind, back to back")
                result.rapid[mode] = await sequential_taps(
                    runs, clickers, options.taps, options.warmup, reading=0.0
                )
                result.bursts[mode] = {}
                for kind in KINDS if number % 2 else KINDS[::-1]:
                    crowd = users[kind]["crowd"]
                    await open_dialogs(runs[kind], crowd)
                    log(f"{mode}: {len(crowd)} people of the {kind} tapping at once")
                    result.bursts[mode][kind] = await burst(runs[kind], crowd, options.each)
                result.stored[mode] = await count_stored(url, result.bursts[mode]["bot"].tapped)
            finally:
                for kind, running in runs.items():
                    if kind == "bare" and mode == "polling" and options.quick:
                        kept = running
                    else:
                        await running.stop()
        memory = {"DATABASE_URL": url, "DIALOG_STATE_PATH": ":memory:"}
        runs = {} if kept is None else {"bare": kept}
        try:
            for kind in KINDS:
                if kind not in runs:
                    runs[kind] = await launch(
                        kind, "polling", workdir, memory if kind == "bot" else {}
                    )
                    result.cold[kind].append(runs[kind].cold_start)
                    result.ready[kind].append(runs[kind].ready)
                    result.cpu[kind].append(runs[kind].cpu)
            await asyncio.sleep(SETTLE)
            for kind in KINDS:
                result.open_idle[kind] = runs[kind].rss_mb()
            for kind in KINDS:
                log(f"memory: {options.dialogs} dialogs of the {kind} opened")
                await open_dialogs(runs[kind], users[kind]["openers"])
            await asyncio.sleep(SETTLE)
            for kind in KINDS:
                result.open_full[kind] = runs[kind].rss_mb()
        finally:
            for running in runs.values():
                await running.stop()
        for round_ in range(options.starts):
            log(f"cold start {round_ + 1}/{options.starts}")
            first = KINDS[round_ % 2]
            for kind in (first, *(k for k in KINDS if k != first)):
                extra_env = {"DATABASE_URL": url} if kind == "bot" else {}
                if kind == "bot":
                    extra_env["DIALOG_STATE_PATH"] = str(workdir / "dialog-state-cold.db")
                running = await launch(kind, "polling", workdir, extra_env)
                result.cold[kind].append(running.cold_start)
                result.ready[kind].append(running.ready)
                result.cpu[kind].append(running.cpu)
                await running.stop()
    result.seconds = time.perf_counter() - started
    return result


# Reporting -------------------------------------------------------------------------------


def figures_of(result: Result) -> list[Figure]:
    out: list[Figure] = []
    for mode, kinds in result.clicks.items():
        for stat, p, times in (("median", 50, CLICK_TIMES), ("p99", 99, CLICK_P99_TIMES)):
            bot = percentile(kinds["bot"].level, p) * 1000
            bare = percentile(kinds["bare"].level, p) * 1000
            out.append(
                Figure(
                    f"tap to edit, real process, {mode}, {stat}",
                    bot,
                    "ms",
                    bare,
                    f"bare aiogram-dialog process, {mode}, {stat}",
                    f"≤ {times:g}x floor",
                    bot <= bare * times,
                )
            )
    for mode, kinds in result.rapid.items():  # no target: no person taps this way
        for stat, p in (("median", 50), ("p99", 99)):
            out.append(
                Figure(
                    f"tap to edit, taps back to back, {mode}, {stat}",
                    percentile(kinds["bot"].level, p) * 1000,
                    "ms",
                    percentile(kinds["bare"].level, p) * 1000,
                    f"bare aiogram-dialog process, {mode}, {stat}",
                )
            )
    for mode, bursts in result.bursts.items():
        ours, theirs = bursts["bot"], bursts["bare"]
        out.append(
            Figure(
                f"{result.people} representatives at once, {mode}, throughput",
                ours.per_second,
                "updates/s",
                theirs.per_second,
                f"bare aiogram-dialog process, {result.people} people at once",
                f"≥ {THROUGHPUT:.0f} updates/s",
                ours.per_second >= THROUGHPUT,
            )
        )
        if ours.own:
            own_p99 = histogram_quantile(ours.own, 0.99) * 1000
            out.append(
                Figure(
                    f"{result.people} representatives at once, {mode}, a tap's own handling, "
                    "p99 (less the waits for the Bot API)",
                    own_p99,
                    "ms",
                    target=f"≤ {OWN_P99:.0f} ms",
                    met=share_within(ours.own, OWN_P99 / 1000) >= 0.99,
                )
            )
            out.append(
                Figure(
                    f"{result.people} representatives at once, {mode}, taps handled within "
                    f"{OWN_P99:.0f} ms of own time",
                    share_within(ours.own, OWN_P99 / 1000) * 100,
                    "%",
                    target="≥ 99 %",
                    met=share_within(ours.own, OWN_P99 / 1000) >= 0.99,
                )
            )
        out.append(
            Figure(
                f"{result.people} representatives at once, {mode}, p99",
                percentile(ours.latencies, 99) * 1000,
                "ms",
                percentile(theirs.latencies, 99) * 1000,
                f"bare aiogram-dialog process, {result.people} people at once",
            )
        )
        found, tapped = result.stored[mode]
        out.append(
            Figure(
                f"{result.people} representatives at once, {mode}, answers stored",
                found,
                "answers",
                target=f"all {tapped}",
                met=found == tapped,
            )
        )
    bot_cold, bare_cold = (statistics.median(result.cold[k]) for k in KINDS)
    out.append(
        Figure(
            f"cold start to first request, median of {len(result.cold['bot'])}",
            bot_cold,
            "s",
            bare_cold,
            "bare aiogram-dialog process",
            f"≤ floor + {COLD_START_EXTRA} s",
            bot_cold <= bare_cold + COLD_START_EXTRA,
        )
    )
    bot_cpu, bare_cpu = (statistics.median(result.cpu[k]) for k in KINDS)
    out.append(
        Figure(
            "cold start, CPU used by the first request (less sensitive to load)",
            bot_cpu,
            "s",
            bare_cpu,
            "bare aiogram-dialog process",
            f"≤ floor + {COLD_START_EXTRA} s",
            bot_cpu <= bare_cpu + COLD_START_EXTRA,
        )
    )
    bot_idle, bare_idle = (statistics.median(result.idle[k]) for k in KINDS)
    out.append(
        Figure(
            "idle RSS after start",
            bot_idle,
            "MB",
            bare_idle,
            "bare aiogram-dialog process",
            f"≤ floor + {IDLE_EXTRA:.0f} MB",
            bot_idle <= bare_idle + IDLE_EXTRA,
        )
    )
    grown = {k: result.open_full[k] - result.open_idle[k] for k in KINDS}
    out.append(
        Figure(
            f"RSS growth with {result.dialogs} dialogs open (memory storage)",
            grown["bot"],
            "MB",
            grown["bare"],
            f"bare aiogram-dialog process, {result.dialogs} dialogs",
            f"≤ {DIALOGS_EXTRA:.0f} MB above idle",
            grown["bot"] <= DIALOGS_EXTRA,
        )
    )
    return out


def report(result: Result, options: argparse.Namespace) -> str:
    lines = [
        f"Process benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, SQLite file",
        f"{result.taps} timed level taps per kind and mode (+ as many Back), "
        f"{result.people} people x {result.each} taps at once, {result.dialogs} dialogs",
        "",
        f"{'tap -> edit (ms)':<30}{'median':>9}{'p95':>9}{'p99':>9}{'max':>9}{'vs bare':>9}",
    ]
    series = [(mode, "", kinds) for mode, kinds in result.clicks.items()]
    series += [(mode, " rapid", kinds) for mode, kinds in result.rapid.items()]
    for mode, rapid, kinds in series:
        for what in ("level", "back"):
            floor = percentile(getattr(kinds["bare"], what), 50)
            for kind in KINDS:
                values: list[float] = getattr(kinds[kind], what)
                median = percentile(values, 50)
                lines.append(
                    f"{f'{kind}, {mode}{rapid}, {what}':<30}{median * 1000:>9.2f}"
                    f"{percentile(values, 95) * 1000:>9.2f}{percentile(values, 99) * 1000:>9.2f}"
                    f"{max(values) * 1000:>9.2f}{median / floor:>8.2f}x"
                )
    lines += [
        "",
        f"{'at once':<30}{'upd/s':>9}{'median':>9}{'p99':>9}{'stored':>16}",
    ]
    for mode, bursts in result.bursts.items():
        for kind in KINDS:
            b = bursts[kind]
            found, tapped = result.stored[mode]
            stored = f"{found}/{tapped}" if kind == "bot" else "-"
            lines.append(
                f"{f'{kind}, {mode}':<30}{b.per_second:>9.0f}"
                f"{percentile(b.latencies, 50) * 1000:>9.1f}"
                f"{percentile(b.latencies, 99) * 1000:>9.1f}{stored:>16}"
            )
    lines += [
        "",
        f"{'process':<8}{'first request s (each start)':<44}{'ready s':>8}{'CPU s':>7}"
        f"{'idle MB':>9}{'dialogs MB':>12}",
    ]
    for kind in KINDS:
        colds = " ".join(f"{c:.2f}" for c in result.cold[kind])
        first = f"{statistics.median(result.cold[kind]):.2f} ({colds})"
        lines.append(
            f"{kind:<8}{first:<44}{statistics.median(result.ready[kind]):>8.2f}"
            f"{statistics.median(result.cpu[kind]):>7.2f}"
            f"{statistics.median(result.idle[kind]):>9.1f}"
            f"{result.open_full[kind] - result.open_idle[kind]:>+12.1f}"
        )
    lines += ["", "Figures:"]
    for figure in figures_of(result):
        ratio = f" ({figure.ratio:.2f}x)" if figure.ratio is not None else ""
        versus = f" vs {figure.floor:.2f}" if figure.floor is not None else ""
        verdict = {True: "met", False: "MISSED", None: ""}[figure.met]
        lines.append(
            f"  {figure.name}: {figure.value:.2f} {figure.unit}{versus}{ratio}"
            f"  {figure.target} {verdict}".rstrip()
        )
    lines.append(f"Total benchmark time: {result.seconds:.0f} s")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.process_bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (under a minute)")
    parser.add_argument("--taps", type=int, help="timed level taps per kind and mode (300)")
    parser.add_argument("--warmup", type=int, help="untimed taps per kind and mode first (20)")
    parser.add_argument("--concurrent", type=int, help="representatives at once (200; quick 50)")
    parser.add_argument("--each", type=int, help="levels each of them taps (5; quick 1)")
    parser.add_argument(
        "--dialogs", type=int, help="dialogs opened for the memory figure (1000; quick 300)"
    )
    parser.add_argument("--starts", type=int, help="extra cold starts of each process (4)")
    options = parser.parse_args(argv)
    return defaults(options, quick=options.quick)


def defaults(options: argparse.Namespace, *, quick: bool) -> argparse.Namespace:
    sizes = {
        "taps": (300, 100),
        "warmup": (20, 5),
        "concurrent": (200, 50),
        "each": (5, 1),
        "dialogs": (1000, 300),
        "starts": (4, 0),
    }
    for name, (full, small) in sizes.items():
        if getattr(options, name, None) is None:
            setattr(options, name, small if quick else full)
    return options


def figures(quick: bool) -> list[Figure]:
    options = defaults(argparse.Namespace(quick=quick), quick=quick)
    with collector_paused():
        result = asyncio.run(run(options))
    return figures_of(result)


def main(argv: Sequence[str] | None = None) -> None:
    options = parse_args(argv)
    with collector_paused():
        result = asyncio.run(run(options))
    print(report(result, options))


if __name__ == "__main__":
    main()
