"""What operators and orchestrators ask the webhook server, beside Telegram's POSTs:

- ``GET /healthz``: the process is up and serving (200, ``{"status": "ok"}``); for a
  liveness probe and the container's HEALTHCHECK.
- ``GET /readyz``: the database answers, and Redis too when REDIS_URL is set (200 with each
  check "ok", else 503 naming the one that failed and why); for a readiness probe or a load
  balancer. Each check opens a connection of its own, so a full pool or a stuck connection
  of the bot does not hide a database that is back, nor the other way round.
- ``GET /metrics``: Prometheus' text format (bot/metrics.py).

The reverse proxy in front should forward only the webhook's path; these are for the
orchestrator and the monitoring, on the private network. Their answers are kept out of the
access log (QuietProbesAccessLogger): probes every few seconds would bury the webhook's lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import unquote, urlsplit

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.config import Settings
from bot.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 3.0  # seconds per check; under a probe's usual timeout of 5
PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
Check = Callable[[], Awaitable[None]]


def database_check(engine: AsyncEngine) -> Check:
    async def check() -> None:
        # The schema's revision, not SELECT 1: a database that answers but was never migrated
        # is not ready for the bot. (On SQLite a plain read: no write lock is taken.)
        async with engine.connect() as connection:
            await connection.execute(text("SELECT version_num FROM alembic_version"))

    return check


def redis_check(url: str) -> Check:
    async def check() -> None:
        await redis_ping(url)

    return check


async def redis_ping(url: str) -> None:
    """PING the Redis server at `url` (redis://, rediss:// or unix://) over a connection of its
    own, in the Redis protocol (RESP), authenticating with the URL's user and password."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        reader, writer = await asyncio.open_unix_connection(parts.path)
    elif parts.scheme in {"redis", "rediss"}:
        tls = ssl.create_default_context() if parts.scheme == "rediss" else None
        reader, writer = await asyncio.open_connection(
            parts.hostname or "localhost", parts.port or 6379, ssl=tls
        )
    else:
        raise ValueError(f"unsupported Redis URL scheme {parts.scheme!r}")
    try:
        commands: list[tuple[str, ...]] = []
        if parts.password is not None:
            auth = (unquote(parts.username),) if parts.username else ()
            commands.append(("AUTH", *auth, unquote(parts.password)))
        commands.append(("PING",))
        for command in commands:
            writer.write(_resp(command))
            await writer.drain()
            reply = (await reader.readline()).decode(errors="replace").strip()
            if reply.startswith("-") or not reply:
                raise ConnectionError(
                    f"{command[0]} answered {reply[1:] or 'nothing (connection closed)'}"
                )
        if reply != "+PONG":
            raise ConnectionError(f"PING answered {reply!r}")
    finally:
        writer.close()
        # A server that already went away must not turn a finished check into a failure.
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await writer.wait_closed()


def _resp(command: tuple[str, ...]) -> bytes:
    encoded = [part.encode() for part in command]
    return b"*%d\r\n" % len(encoded) + b"".join(
        b"$%d\r\n%s\r\n" % (len(part), part) for part in encoded
    )


class Readiness:
    """The checks /readyz runs: the database always, Redis when REDIS_URL is set."""

    def __init__(
        self,
        checks: dict[str, Check],
        timeout: float = PROBE_TIMEOUT,
        engines: Sequence[AsyncEngine] = (),
    ) -> None:
        """`engines`: those the checks use, disposed of by close()."""
        self.checks = checks
        self.timeout = timeout
        self._engines = list(engines)

    @classmethod
    def from_settings(cls, settings: Settings, timeout: float = PROBE_TIMEOUT) -> Readiness:
        # NullPool: each check connects afresh, and nothing is held between probes.
        engine = create_async_engine(settings.database_url, poolclass=NullPool)
        checks = {"database": database_check(engine)}
        if settings.redis_url:
            checks["redis"] = redis_check(settings.redis_url)
        return cls(checks, timeout, engines=[engine])

    async def run(self) -> dict[str, str]:
        """Every check at once; "ok", or one line on why not, for each."""
        names = list(self.checks)
        outcomes = await asyncio.gather(*(self._one(name) for name in names))
        return dict(zip(names, outcomes, strict=True))

    async def _one(self, name: str) -> str:
        try:
            async with asyncio.timeout(self.timeout):
                await self.checks[name]()
        except TimeoutError:
            return f"no answer within {self.timeout:g} s"
        except Exception as exc:
            # The driver's words (its first line) say what an operator needs: refused, no
            # such host, password rejected, no such table. URLs and passwords are not in them.
            original = getattr(exc, "orig", None) or exc
            reason = str(original).strip().splitlines()
            return f"{type(original).__name__}: {reason[0]}" if reason else type(original).__name__
        return "ok"

    async def close(self) -> None:
        for engine in self._engines:
            await engine.dispose()


def add_routes(app: web.Application, readiness: Readiness, metrics: Metrics) -> None:
    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_request: web.Request) -> web.Response:
        checks = await readiness.run()
        failed = {name: reason for name, reason in checks.items() if reason != "ok"}
        if failed:
            log.warning("Not ready: %s", "; ".join(f"{n}: {r}" for n, r in failed.items()))
            return web.json_response(
                {"status": "unavailable", "failed": sorted(failed), "checks": checks}, status=503
            )
        return web.json_response({"status": "ok", "checks": checks})

    async def prometheus(_request: web.Request) -> web.Response:
        response = web.Response(body=metrics.render())
        response.headers["Content-Type"] = CONTENT_TYPE
        return response

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", prometheus)


class QuietProbesAccessLogger(AbstractAccessLogger):
    """aiohttp's access log (logger aiohttp.access, level INFO) without the probes' answers.

    A probe that fails (an error status: a 503 of /readyz) is still written, and so is every
    other path, the webhook's above all.
    """

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if request.path in PROBE_PATHS and response.status < 400:
            return
        self.logger.info(
            '%s "%s %s HTTP/%d.%d" %d %s %.3fs',
            request.remote,
            request.method,
            request.path_qs,
            request.version.major,
            request.version.minor,
            response.status,
            response.body_length,
            time,
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)
