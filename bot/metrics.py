"""Prometheus metrics (served at /metrics in webhook mode, bot/ops.py), each counted where it
happens with the least coupling:

- updates handled, by type, and how long handling took: an outer middleware on the dispatcher's
  updates (`UpdateMiddleware`); and the bot's own part of it, that time less the waits for
  the Bot API's answers (timed by `ApiWaitMiddleware`, the session's outermost), which is what
  the bot answers for: Telegram's round trip is not its to shorten;
- Bot API errors by method: a middleware of the bot's HTTP session, like bot/retry.py
  (`ApiErrorMiddleware`), innermost, so every error answer counts, retried ones included;
- answers stored and submissions: the dialogs report them to a `SurveyEvents` observer
  (dialogs/deps.py) that they find in the dispatcher's data, without importing `bot`;
  `Metrics` is that observer.

Each `Metrics` has its own registry (with the process and Python collectors), so that tests
and several bots in one process do not mix their counts.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from aiogram import BaseMiddleware
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods.base import Response, TelegramMethod, TelegramType
from aiogram.types import TelegramObject, Update
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)

if TYPE_CHECKING:
    from aiogram import Bot

PREFIX = "survey_bot"
# Handlers take milliseconds; a chart or an export takes seconds; Telegram waits a minute.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# The bot's own part is milliseconds, and the budget is 15 ms at p99 (bench/README.md).
OWN_BUCKETS = (0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Seconds the update being handled has waited for Bot API answers so far; one list per update
# (set by UpdateMiddleware), filled by ApiWaitMiddleware in the same task.
_api_waits: ContextVar[list[float] | None] = ContextVar("api_waits", default=None)


class Metrics:
    """The process's metrics; also the dialogs' `SurveyEvents` observer."""

    def __init__(self) -> None:
        # No *_created series beside each counter: noise here. (Untyped in prometheus_client.)
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.updates = Counter(
            f"{PREFIX}_updates",
            "Updates handled, by type (message, callback_query, ...)",
            ["type"],
            registry=self.registry,
        )
        self.latency = Histogram(
            f"{PREFIX}_update_handling_seconds",
            "Time from an update entering the dispatcher to its handling finished",
            ["type"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.own = Histogram(
            f"{PREFIX}_update_own_seconds",
            "Handling time less the time spent waiting for the Bot API's answers",
            ["type"],
            buckets=OWN_BUCKETS,
            registry=self.registry,
        )
        self.api_errors = Counter(
            f"{PREFIX}_api_errors",
            "Bot API calls that failed (each attempt), by method and error",
            ["method", "error"],
            registry=self.registry,
        )
        self.answers = Counter(
            f"{PREFIX}_answers_stored",
            "Answers stored: a level chosen, or a comment set or cleared",
            ["kind"],
            registry=self.registry,
        )
        self.submissions = Counter(
            f"{PREFIX}_submissions", "Offices' answers submitted", registry=self.registry
        )
        self.held = Counter(
            f"{PREFIX}_updates_held",
            "Updates not confirmed to Telegram because a service was unreachable (bot/holds.py)",
            registry=self.registry,
        )
        self.given_up = Counter(
            f"{PREFIX}_updates_given_up",
            "Held updates whose outage outlasted the hold: the person was asked to repeat",
            registry=self.registry,
        )

    # -- dialogs.deps.SurveyEvents --------------------------------------------------------------

    def answer_stored(self, kind: str) -> None:
        self.answers.labels(kind=kind).inc()

    def submitted(self) -> None:
        self.submissions.inc()

    # -- bot.holds.HoldEvents -------------------------------------------------------------------

    def update_held(self) -> None:
        self.held.inc()

    def update_given_up(self) -> None:
        self.given_up.inc()

    # -- exposition ------------------------------------------------------------------------------

    def render(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)


def update_type(update: Update) -> str:
    try:
        return update.event_type
    except Exception:  # an update kind aiogram does not know yet
        return "unknown"


class UpdateMiddleware(BaseMiddleware):
    """Outer middleware on `dispatcher.update`: counts and times each update (the log lines'
    update and user ids come from bot/logs.py `UpdateLogContext`)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        # The series of each update type, looked up once (a labelled lookup takes a lock).
        self._series: dict[str, tuple[Histogram, Histogram, Counter]] = {}

    def _of(self, kind: str) -> tuple[Histogram, Histogram, Counter]:
        series = self._series.get(kind)
        if series is None:
            series = (
                self.metrics.latency.labels(type=kind),
                self.metrics.own.labels(type=kind),
                self.metrics.updates.labels(type=kind),
            )
            self._series[kind] = series
        return series

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        kind = update_type(event)
        waits: list[float] = []
        token = _api_waits.set(waits)
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            took = time.perf_counter() - started
            _api_waits.reset(token)
            latency, own, updates = self._of(kind)
            latency.observe(took)
            own.observe(max(took - sum(waits), 0.0))
            updates.inc()


class ApiWaitMiddleware(BaseRequestMiddleware):
    """Times each Bot API call, retries and their pauses included, for the update it is made
    for (UpdateMiddleware subtracts it). Outermost of the session's middlewares."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        waits = _api_waits.get()
        if waits is None:  # not made for an update: a job, a broadcast, start-up
            return await make_request(bot, method)
        started = time.perf_counter()
        try:
            return await make_request(bot, method)
        finally:
            waits.append(time.perf_counter() - started)


class ApiErrorMiddleware(BaseRequestMiddleware):
    """Counts every Bot API call that fails, by method and by aiogram's exception class
    (TelegramRetryAfter for a 429, TelegramServerError for a 5xx, TelegramNetworkError...)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except Exception as exc:
            self.metrics.api_errors.labels(
                method=method.__api_method__, error=type(exc).__name__
            ).inc()
            raise
