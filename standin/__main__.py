"""`python -m standin [--host 127.0.0.1] [--port 8081] [--rate-limits]`: the stand-in alone, in
the foreground.

It prints the base URL on stdout (then, on stderr, the TELEGRAM_API_URL and BOT_TOKEN to give a
bot) and serves until SIGINT or SIGTERM. See `standin.telegram` for the `/sandbox/...` routes
through which another process plays the users.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from standin.ratelimits import TELEGRAM_PER_BOT, TELEGRAM_PER_CHAT, RateLimits
from standin.state import DEFAULT_TOKEN, DEFAULT_USERNAME, State
from standin.telegram import TelegramStandIn, is_loopback


async def _serve(args: argparse.Namespace) -> None:
    limits = RateLimits(args.per_bot, args.per_chat) if args.rate_limits else None
    telegram = TelegramStandIn(args.token, username=args.username, rate_limits=limits)
    url = await telegram.start(args.host, args.port)
    print(url, flush=True)
    print(
        f"TELEGRAM_API_URL={url} BOT_TOKEN={telegram.token}  (Ctrl-C stops)",
        file=sys.stderr,
        flush=True,
    )
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stopped.set)
    try:
        await stopped.wait()
    finally:
        await telegram.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m standin",
        description="A local stand-in for the Telegram Bot API (127.0.0.1 only).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--username", default=DEFAULT_USERNAME)
    parser.add_argument(
        "--rate-limits",
        action="store_true",
        help="refuse sends past Telegram's flood limits with 429 and retry_after",
    )
    parser.add_argument(
        "--per-bot",
        type=int,
        default=TELEGRAM_PER_BOT,
        metavar="N",
        help="with --rate-limits: messages a second, any chats (default: %(default)s)",
    )
    parser.add_argument(
        "--per-chat",
        type=int,
        default=TELEGRAM_PER_CHAT,
        metavar="N",
        help="with --rate-limits: messages a second to one chat (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.per_bot < 1 or args.per_chat < 1:
        parser.error("--per-bot and --per-chat must be at least 1")
    if not is_loopback(args.host):
        parser.error(f"--host must be a loopback address, not {args.host!r}")
    try:
        State(args.token)
    except ValueError as exc:
        parser.error(str(exc))
    asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
