"""What operators ask the webhook server: /healthz, /readyz (the database, and Redis when set,
each with a reason when it fails), /metrics (updates by type and their latency, Bot API errors
by method, answers and submissions reported by the dialogs), and the container's healthcheck."""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramServerError
from aiogram.types import Message, Update
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import healthcheck
from bot.config import Settings
from bot.logs import ContextFilter, UpdateLogContext
from bot.metrics import ApiErrorMiddleware, Metrics
from bot.ops import QuietProbesAccessLogger, Readiness, add_routes, redis_ping
from bot.runner import observe
from dialogs.deps import SURVEY_EVENTS, survey_events
from standin.telegram import TelegramStandIn
from tests.support import redis_server_url

GUARD = 30.0


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends


@dataclass
class FakeRedis:
    """Enough of a Redis server for a PING: +PONG, after AUTH when it has a password."""

    password: str | None = None
    user: str | None = None
    commands: list[list[str]] = field(default_factory=list)
    port: int = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        authenticated = self.password is None
        while line := await reader.readline():
            parts = []
            for _ in range(int(line[1:])):
                size = int((await reader.readline())[1:])
                parts.append((await reader.readexactly(size + 2))[:-2].decode())
            self.commands.append(parts)
            if parts[0] == "AUTH":
                ok = parts[-1] == self.password and (self.user is None or parts[1] == self.user)
                authenticated = ok
                writer.write(b"+OK\r\n" if ok else b"-WRONGPASS invalid username-password\r\n")
            elif not authenticated:
                writer.write(b"-NOAUTH Authentication required.\r\n")
            else:
                writer.write(b"+PONG\r\n")
            await writer.drain()
        writer.close()


@pytest.fixture
async def redis() -> AsyncIterator[FakeRedis]:
    fake = FakeRedis()
    server = await asyncio.start_server(fake.serve, "127.0.0.1", 0)
    fake.port = server.sockets[0].getsockname()[1]
    async with server:
        yield fake


@pytest.fixture
def migrated(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "survey.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[Client]]]:
    opened: list[tuple[Client, Readiness]] = []

    async def start(metrics: Metrics | None = None, **settings: Any) -> Client:
        readiness = Readiness.from_settings(Settings(**settings), timeout=2.0)
        app = web.Application()
        add_routes(app, readiness, metrics or Metrics())
        client: Client = TestClient(TestServer(app))
        await client.start_server()
        opened.append((client, readiness))
        return client

    yield start
    for client, readiness in opened:
        await client.close()
        await readiness.close()


async def test_healthz_says_the_process_is_up(serve: Callable[..., Awaitable[Client]]) -> None:
    client = await serve(database_url="sqlite+aiosqlite:///nowhere/at/all.db")
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_readyz_checks_the_database_and_redis(
    serve: Callable[..., Awaitable[Client]], migrated: str, redis: FakeRedis
) -> None:
    client = await serve(database_url=migrated, redis_url=f"redis://127.0.0.1:{redis.port}/0")
    response = await client.get("/readyz")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
    assert redis.commands == [["PING"]]


async def test_readyz_without_redis_url_checks_the_database_only(
    serve: Callable[..., Awaitable[Client]], migrated: str
) -> None:
    response = await (await serve(database_url=migrated)).get("/readyz")
    assert (response.status, await response.json()) == (
        200,
        {"status": "ok", "checks": {"database": "ok"}},
    )


async def test_readyz_names_what_failed_and_why(
    serve: Callable[..., Awaitable[Client]],
    migrated: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = closed_port()
    client = await serve(database_url=migrated, redis_url=f"redis://127.0.0.1:{port}")
    response = await client.get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["redis"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("ConnectionRefusedError")
    assert any("Not ready: redis" in r.getMessage() for r in caplog.records)

    # A database file that was never migrated is not ready either.
    empty = await serve(database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    body = await (await empty.get("/readyz")).json()
    assert body["failed"] == ["database"]
    assert "no such table: alembic_version" in body["checks"]["database"]


async def test_readyz_reports_an_unreachable_postgresql_without_its_password(
    serve: Callable[..., Awaitable[Client]],
) -> None:
    url = f"postgresql+asyncpg://survey:pa55word@127.0.0.1:{closed_port()}/survey"
    response = await (await serve(database_url=url)).get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["failed"] == ["database"]
    assert "pa55word" not in await response.text()


async def test_the_redis_check_authenticates_from_the_url(redis: FakeRedis) -> None:
    redis.user, redis.password = "bot", "s3cr3t/pw"
    await redis_ping(f"redis://bot:s3cr3t%2Fpw@127.0.0.1:{redis.port}/2")
    assert redis.commands == [["AUTH", "bot", "s3cr3t/pw"], ["PING"]]
    with pytest.raises(ConnectionError, match="WRONGPASS"):
        await redis_ping(f"redis://bot:wrong@127.0.0.1:{redis.port}")
    with pytest.raises(ConnectionError, match="NOAUTH"):
        await redis_ping(f"redis://127.0.0.1:{redis.port}")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def message_update(update_id: int, user_id: int, text: str) -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": user_id, "type": "private"},
                "from": {"id": user_id, "is_bot": False, "first_name": "Eva"},
                "text": text,
            },
        }
    )


async def test_metrics_count_updates_latency_api_errors_answers_and_submissions(
    serve: Callable[..., Awaitable[Client]], migrated: str, caplog: pytest.LogCaptureFixture
) -> None:
    metrics = Metrics()
    dispatcher = Dispatcher()
    dispatcher.update.outer_middleware(UpdateLogContext())  # as bot/runner.py does
    observe(dispatcher, metrics)
    seen: list[tuple[Any, Any]] = []
    context = ContextFilter()

    @dispatcher.message()
    async def handle(message: Message, **data: Any) -> None:
        # What the dialogs do: report what they stored to the observer in the data.
        survey_events(data).answer_stored("level")
        if message.text == "submit":
            survey_events(data).submitted()
        # DEBUG: the one level whose lines carry the Telegram id itself (bot/logs.py).
        record = logging.LogRecord("t", logging.DEBUG, __file__, 0, "handled", None, None)
        context.filter(record)
        seen.append((record.update_id, record.user_id))  # type: ignore[attr-defined]

    bot = Bot("123456:test")
    try:
        await dispatcher.feed_update(bot, message_update(7, 42, "high"))
        await dispatcher.feed_update(bot, message_update(8, 42, "submit"))
    finally:
        await bot.session.close()
    assert seen == [(7, 42), (8, 42)]  # each log line inside knows its update and user

    async with TelegramStandIn() as telegram:
        session = AiohttpSession(api=TelegramAPIServer.from_base(telegram.url))
        session.middleware(ApiErrorMiddleware(metrics))
        failing = Bot(telegram.token, session=session)
        telegram.faults.add(method="sendMessage", status=502)
        with pytest.raises(TelegramServerError):
            await failing.send_message(42, "hello")
        await failing.session.close()

    client = await serve(metrics=metrics, database_url=migrated)
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    found = samples(await response.text())
    assert found[("survey_bot_updates_total", (("type", "message"),))] == 2
    assert found[("survey_bot_update_handling_seconds_count", (("type", "message"),))] == 2
    assert found[("survey_bot_answers_stored_total", (("kind", "level"),))] == 2
    assert found[("survey_bot_submissions_total", ())] == 1
    error = (("error", "TelegramServerError"), ("method", "sendMessage"))
    assert found[("survey_bot_api_errors_total", error)] == 1
    assert ("process_resident_memory_bytes", ()) in found


def test_dialogs_without_an_observer_report_to_nobody() -> None:
    survey_events({}).answer_stored("level")
    survey_events({}).submitted()
    metrics = Metrics()
    survey_events({SURVEY_EVENTS: metrics}).answer_stored("comment")
    assert (
        metrics.registry.get_sample_value("survey_bot_answers_stored_total", {"kind": "comment"})
        == 1
    )


async def test_the_container_healthcheck_asks_healthz_in_webhook_mode_only(
    serve: Callable[..., Awaitable[Client]],
) -> None:
    assert healthcheck.main({}) == 0  # polling: nothing to ask
    client = await serve(database_url="sqlite+aiosqlite:///unused.db")
    port = str(client.port)
    webhook = {"WEBHOOK_URL": "https://bot.example.org/tg", "WEBHOOK_LISTEN_PORT": port}
    assert healthcheck.healthz_url({**webhook, "WEBHOOK_LISTEN_HOST": "0.0.0.0"}) == (
        f"http://127.0.0.1:{port}/healthz"
    )
    assert await asyncio.to_thread(healthcheck.main, webhook) == 0
    down = {**webhook, "WEBHOOK_LISTEN_PORT": str(closed_port())}
    assert await asyncio.to_thread(healthcheck.main, down) == 1


@pytest.mark.postgres
async def test_readyz_on_a_real_postgresql_and_redis(
    serve: Callable[..., Awaitable[Client]], postgres_url: str
) -> None:
    redis_url = redis_server_url()
    response = await (await serve(database_url=postgres_url, redis_url=redis_url)).get("/readyz")
    assert (response.status, await response.json()) == (
        200,
        {"status": "ok", "checks": {"database": "ok", "redis": "ok"}},
    )


async def test_the_access_log_leaves_out_answered_probes_only(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    # A database file never migrated: /readyz fails after a connection that opened (one that
    # cannot open leaves aiosqlite's thread calling back into a loop the test may have closed).
    never_migrated = tmp_path / "empty.db"
    never_migrated.touch()
    readiness = Readiness.from_settings(
        Settings(database_url=f"sqlite+aiosqlite:///{never_migrated}"), timeout=2.0
    )
    app = web.Application()
    add_routes(app, readiness, Metrics())
    server = TestServer(app)
    await server.start_server(access_log_class=QuietProbesAccessLogger)  # as serve_webhook
    client: Client = TestClient(server)
    try:
        with caplog.at_level(logging.INFO, logger="aiohttp.access"):
            assert (await client.get("/healthz")).status == 200
            assert (await client.get("/metrics")).status == 200
            assert (await client.get("/readyz")).status == 503  # not migrated
            assert (await client.get("/elsewhere?x=1")).status == 404
    finally:
        await client.close()
        await readiness.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert len(lines) == 2, lines
    assert '"GET /readyz HTTP/1.1" 503' in lines[0]
    assert '"GET /elsewhere?x=1 HTTP/1.1" 404' in lines[1]


async def test_close_disposes_of_the_engines_the_checks_use() -> None:
    # The probes' engine is the webhook server's to close when it stops (bot/webhook.py).
    disposed: list[str] = []

    class Engine:
        async def dispose(self) -> None:
            disposed.append("engine")

    readiness = Readiness({}, engines=[cast(AsyncEngine, Engine())])
    await readiness.close()
    assert disposed == ["engine"]
