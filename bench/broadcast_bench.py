"""A reminder to N representatives through a stand-in that enforces Telegram's flood limits.

    python -m bench.broadcast_bench [--representatives 1000] [--quick]

The stand-in runs as its own process (`python -m standin --rate-limits`): past 30 messages a
second (any chats) or 1 a second to one chat it answers 429 with retry_after, as Telegram
does. The reminder goes out exactly as `python -m bot remind --send` sends it (`cmd_remind`:
the Secretariat's reminder audience on a migrated SQLite database, the texts in each person's
language, the process's `Notifier`, a Bot built by `create_bot` with the production
middlewares). The stand-in records when each message reached it; from that come the rate, the
busiest second and the count of 429s. The pace asked for is 25 messages a second, so N
messages should take N / 25 seconds; see bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import insert, select

from bench import common
from bench.common import log
from bench.figures import Figure
from bench.seeding import table_of
from bench.survey_bench import OFFICE_CODES
from bot.bootstrap import prepare_database
from bot.cli import cmd_remind
from bot.config import Settings, load_settings
from bot.notify import PER_SECOND
from standin.ratelimits import TELEGRAM_PER_BOT, max_in_window
from storage.db import create_engine
from storage.models import OfficeRow, RepresentativeRow

TOKEN = "123456:broadcast-bench"  # the stand-in's token, not a secret
FIRST_USER = 30_000_000  # representatives' Telegram ids: FIRST_USER + i
LANGUAGES = ("en", "fr", "es")
TOLERANCE = 1.10  # the total may exceed N / 25 s by 10 %
QUICK_REPRESENTATIVES = 250  # about 10 s
CHAT_OPENERS = 16  # representatives writing /start to the stand-in at once, before the timing


@dataclass(frozen=True)
class Result:
    representatives: int
    total: float  # s: `remind --send` from the start to its end (database, texts, sending)
    span: float  # s: the first message reaching the stand-in to the last
    reached: int  # messages the stand-in accepted (to the representatives)
    delivered: int  # as the bot's delivery report counts them
    refused: int  # 429 answers from the stand-in's limits
    busiest: int  # the most messages in any one second (half-open window) at the stand-in
    output: str  # what `remind --send` printed
    limits: dict[str, Any]  # the stand-in's limits: per_bot, per_chat, window

    @property
    def floor(self) -> float:
        """The time the pace asked for needs: N messages at 25 a second."""
        return self.representatives / PER_SECOND

    @property
    def rate(self) -> float:
        """Messages a second at the stand-in, from the first to the last."""
        return (self.reached - 1) / self.span if self.reached > 1 and self.span > 0 else 0.0

    @property
    def met(self) -> dict[str, bool]:
        return {
            "time": self.total <= self.floor * TOLERANCE,
            "rate": self.rate <= PER_SECOND,
            "busiest": self.busiest <= PER_SECOND,
            "refused": self.refused == 0,
            "delivered": self.delivered == self.reached == self.representatives,
        }


# The stand-in, in a process of its own ------------------------------------------------------


@asynccontextmanager
async def standin_process(per_bot: int = TELEGRAM_PER_BOT) -> AsyncIterator[str]:
    """`python -m standin --rate-limits` on a free port; yields its base URL."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "standin",
        "--port",
        "0",
        "--token",
        TOKEN,
        "--rate-limits",
        "--per-bot",
        str(per_bot),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ},
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
        url = line.decode().strip()
        if not url.startswith("http://"):
            raise SystemExit(f"the stand-in did not start: {line!r}")
        yield url
    finally:
        process.terminate()
        await process.wait()


async def open_chats(session: aiohttp.ClientSession, url: str, users: Sequence[int]) -> None:
    """Each representative writes to the bot once, so that the chat exists (Telegram refuses
    to message someone who never started the bot)."""
    queue = list(users)

    async def opener() -> None:
        while queue:
            user = queue.pop()
            async with session.post(
                f"{url}/sandbox/users/{user}/messages", json={"text": "/start"}
            ) as response:
                response.raise_for_status()

    await asyncio.gather(*(opener() for _ in range(CHAT_OPENERS)))


async def sandbox(session: aiohttp.ClientSession, verb: str, url: str, **kwargs: Any) -> Any:
    async with session.request(verb, f"{url}/sandbox/rate-limits", **kwargs) as response:
        response.raise_for_status()
        return (await response.json())["result"]


# The database ------------------------------------------------------------------------------


async def seed(database_url: str, representatives: int) -> list[int]:
    """N Offices that have not submitted, each with one verified representative (languages in
    turn); returns their Telegram ids. Beyond the 676 letter codes the Offices get other
    alphanumeric pairs, as in the survey benchmark: the reminder never reads the codes."""
    if representatives > len(OFFICE_CODES):
        raise SystemExit(f"at most {len(OFFICE_CODES)} representatives (one per Office code)")
    codes = OFFICE_CODES[:representatives]
    users = [FIRST_USER + i for i in range(representatives)]
    now = datetime.now(UTC)
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            office, person = table_of(OfficeRow), table_of(RepresentativeRow)
            await connection.execute(
                insert(office),
                [{"code": c, "kind": "national", "names": {"en": f"Office {c}"}} for c in codes],
            )
            rows = await connection.execute(select(office.c.code, office.c.id))
            ids: dict[str, int] = {str(code): int(id_) for code, id_ in rows.all()}
            await connection.execute(
                insert(person),
                [
                    {
                        "telegram_user_id": user,
                        "office_id": ids[code],
                        "full_name": f"Delegate {i}",
                        "language": LANGUAGES[i % len(LANGUAGES)],
                        "verified_at": now,
                    }
                    for i, (code, user) in enumerate(zip(codes, users, strict=True))
                ],
            )
    finally:
        await engine.dispose()
    return users


# The run -----------------------------------------------------------------------------------


async def broadcast(representatives: int, per_bot: int = TELEGRAM_PER_BOT) -> Result:
    with tempfile.TemporaryDirectory(prefix="broadcast-bench-") as directory:
        database_url = f"sqlite+aiosqlite:///{Path(directory) / 'survey.db'}"
        async with standin_process(per_bot) as url, aiohttp.ClientSession() as session:
            settings: Settings = load_settings(
                bot_token=TOKEN, telegram_api_url=url, database_url=database_url
            )
            log(f"migrating a fresh SQLite database, seeding {representatives} representatives")
            await prepare_database(settings)
            users = await seed(database_url, representatives)
            log(f"{representatives} representatives start the bot in the stand-in")
            await open_chats(session, url, users)
            # The same limits again: a fresh record, without the representatives' /start.
            configured = (await sandbox(session, "GET", url))["limits"]
            limits = await sandbox(session, "POST", url, json=configured)
            log(f"limits: {limits['limits']}; sending (about {representatives / PER_SECOND:.0f} s)")
            out = io.StringIO()
            started = time.perf_counter()
            code = await cmd_remind(argparse.Namespace(send=True), settings, out)
            total = time.perf_counter() - started
            record = await sandbox(session, "GET", url)
    if code != 0:
        raise SystemExit(f"remind --send failed ({code}): {out.getvalue()}")
    ours = set(users)
    times = [s["at"] for s in record["sent"] if s["chat_id"] in ours]
    match = re.search(r"Reminders: (\d+) delivered", out.getvalue())
    return Result(
        representatives=representatives,
        total=total,
        span=max(times) - min(times) if times else 0.0,
        reached=len(times),
        delivered=int(match.group(1)) if match else 0,
        refused=len(record["refused"]),
        busiest=max_in_window(times),
        output=out.getvalue().strip(),
        limits=record["limits"],
    )


# Reporting ---------------------------------------------------------------------------------


def table(result: Result) -> str:
    n, limits = result.representatives, result.limits
    met = {key: "yes" if value else "NO" for key, value in result.met.items()}
    allowed = f"≤ {result.floor * TOLERANCE:.1f} s (N/25 + 10 %)"
    ideal_span = f"(N-1)/25 = {(n - 1) / PER_SECOND:.2f} s"
    busiest = f"≤ {PER_SECOND} (refused past {limits['per_bot']})"
    rows = [
        ("total time (remind --send)", f"{result.total:.2f} s", allowed, met["time"]),
        ("N / 25 msg/s", f"{result.floor:.2f} s", "the pace asked for", ""),
        ("first to last message at the stand-in", f"{result.span:.2f} s", ideal_span, ""),
        ("rate at the stand-in", f"{result.rate:.2f} msg/s", f"≤ {PER_SECOND}", met["rate"]),
        ("busiest 1-s window at the stand-in", f"{result.busiest} msg", busiest, met["busiest"]),
        ("429 answers", f"{result.refused}", "0", met["refused"]),
        (
            "delivered (report / stand-in)",
            f"{result.delivered} / {result.reached}",
            f"{n}",
            met["delivered"],
        ),
    ]
    widths = [max(len(str(row[i])) for row in rows) for i in range(4)]
    header = ("measure", "value", "target", "met")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
    lines = [
        f"Broadcast: a reminder to {n} representatives through the stand-in refusing past "
        f"{limits['per_bot']} msg per {limits['window']:g} s per bot, {limits['per_chat']} "
        "per chat",
        "",
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines += ["", f"remind --send said: {result.output.splitlines()[-1]}"]
    return "\n".join(lines)


def figures(quick: bool) -> list[Figure]:
    """The `python -m bench` contract: quick sends to 250 representatives (about 10 s)."""
    result = asyncio.run(broadcast(QUICK_REPRESENTATIVES if quick else 1000))
    n = result.representatives
    met = result.met
    return [
        Figure(
            f"broadcast to {n}: total time",
            result.total,
            "s",
            floor=result.floor,
            floor_name=f"{n} messages at {PER_SECOND} msg/s",
            target="≤ 1.1x floor",
            met=met["time"],
        ),
        Figure(
            f"broadcast to {n}: rate at the stand-in",
            result.rate,
            "msg/s",
            target=f"≤ {PER_SECOND} msg/s",
            met=met["rate"],
        ),
        Figure(
            f"broadcast to {n}: busiest 1-s window",
            result.busiest,
            "msg",
            target=f"≤ {PER_SECOND} (Telegram refuses past {TELEGRAM_PER_BOT})",
            met=met["busiest"],
        ),
        Figure(
            f"broadcast to {n}: 429 answers", result.refused, "", target="0", met=met["refused"]
        ),
        Figure(
            f"broadcast to {n}: delivered",
            result.delivered,
            "msg",
            target=f"= {n}",
            met=met["delivered"],
        ),
    ]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.broadcast_bench",
        description="A reminder to N representatives through a stand-in with Telegram's limits.",
    )
    parser.add_argument("--representatives", type=int, default=1000, metavar="N")
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_REPRESENTATIVES} representatives"
    )
    parser.add_argument(
        "--per-bot",
        type=int,
        default=TELEGRAM_PER_BOT,
        metavar="N",
        help="the stand-in refuses past N messages a second (default: Telegram's %(default)s); "
        "below 25 it shows what the table looks like when the bot is refused",
    )
    options = parser.parse_args(argv)
    if options.quick:
        options.representatives = QUICK_REPRESENTATIVES
    if options.representatives < 1 or options.per_bot < 1:
        parser.error("--representatives and --per-bot must be at least 1")
    return options


async def run(options: argparse.Namespace) -> Result:
    return await broadcast(options.representatives, options.per_bot)


def report(result: Result, options: argparse.Namespace) -> str:
    return table(result)


def main(argv: Sequence[str] | None = None) -> None:
    common.main(argv, parse_args, run, report)


if __name__ == "__main__":
    main()
