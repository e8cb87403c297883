"""Webhook mode: Telegram's POST is answered once the update has been handled.

aiogram's request handler answers 200 at once by default and handles the update in the
background, so a process killed meanwhile loses the update: Telegram has its 200 and never
sends it again. Here the 200 comes after the handling, so an update cut short by a crash is
delivered again. Telegram waits about a minute for the answer (then it counts the delivery
as failed and sends the update again); an update still being handled after HANDLING_BOUND
seconds gets its 200 then and goes on in the background, rather than being started a second
time by the redelivery.

An update that meets an outage (Redis or the database unreachable) gets 503, so that
Telegram delivers it again, until it is handled or given up (bot/holds.py).

A body that cannot be decoded gets 200 and one log line: a 500 would make Telegram send it
again forever, holding up the updates queued behind it.

The same server answers /healthz, /readyz and /metrics (bot/ops.py).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections import OrderedDict
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError

from bot.config import ConfigError, Settings
from bot.holds import HOLD_OUTAGES, HOLDS, Holds, is_outage
from bot.metrics import Metrics
from bot.ops import QuietProbesAccessLogger, Readiness, add_routes
from bot.poison import POISON, Poison
from bot.polling import SHUTDOWN_GRACE, decoding_problem

log = logging.getLogger(__name__)

# Below the minute Telegram waits, with room for a slow network on the way back.
HANDLING_BOUND = 50.0
# Ids of updates handled lately, so that a redelivery racing our answer is not handled twice.
RECENT_UPDATES = 10_000

Reply = TelegramMethod[Any] | None


class _Held:
    """What `_feed` returns for an update held in an outage: answered 503 (bot/holds.py)."""


HELD = _Held()
Outcome = Reply | _Held


class HandledRequestHandler(SimpleRequestHandler):
    """aiogram's handler for one bot, answering only once the update has been handled."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        *,
        secret_token: str | None,
        bound: float = HANDLING_BOUND,
        **data: Any,
    ) -> None:
        # handle_in_background=False: the answer waits for the handling. The secret token
        # is checked by the base class, in constant time, before anything else (401).
        super().__init__(
            dispatcher, bot, handle_in_background=False, secret_token=secret_token, **data
        )
        self.bound = bound
        self.closing = False
        self._in_flight: dict[int, asyncio.Task[Outcome]] = {}
        # When each update held in an outage was first held (delivered again by Telegram).
        self._held: OrderedDict[int, float] = OrderedDict()
        self._recent: OrderedDict[int, None] = OrderedDict()

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        """Exactly the secret set, compared in constant time; any other header, non-ASCII
        characters included (which the base class's comparison of str cannot take), is 401."""
        if not self.secret_token:
            return True
        given = telegram_secret_token.encode("utf-8", "surrogateescape")
        return hmac.compare_digest(given, self.secret_token.encode("utf-8"))

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        if self.closing:
            # Shutting down: not handled here; Telegram delivers it again to the next process.
            return web.Response(status=503, text="shutting down")
        update = self._decode(bot, await request.read())
        if update is None:
            return web.json_response({})
        update_id = update.update_id
        if update_id in self._recent:
            log.info("Update %d was delivered again after it was handled: skipped", update_id)
            return web.json_response({})
        task = self._in_flight.get(update_id)
        first = task is None
        if task is None:
            task = asyncio.create_task(self._feed(bot, update), name=f"update-{update_id}")
            self._in_flight[update_id] = task
            task.add_done_callback(lambda done: self._finished(update_id, done))
        else:
            log.info("Update %d was delivered again while being handled: waiting for it", update_id)
        # asyncio.wait, not wait_for: on timeout the handling must go on, not be cancelled.
        done, _ = await asyncio.wait({task}, timeout=self.bound)
        if not done:
            log.warning(
                "Update %d still being handled after %.0f s: answering Telegram now, "
                "the handling goes on",
                update_id,
                self.bound,
            )
            if first:
                task.add_done_callback(lambda late: self._reply_late(bot, late))
            return web.json_response({})
        if task.cancelled():
            return web.Response(status=503, text="shutting down")
        outcome = task.result()
        if isinstance(outcome, _Held):
            # Not handled: Telegram delivers it again, and the chat's later updates after it.
            return web.Response(status=503, text="a service is unavailable; deliver again")
        reply = outcome if first else None  # a reply method is sent once
        return web.Response(body=self._build_response_writer(bot=bot, result=reply))

    def _decode(self, bot: Bot, body: bytes) -> Update | None:
        try:
            raw = bot.session.json_loads(body)
        except ValueError:
            log.warning("Skipped a webhook request whose body is not JSON: %.200r", body)
            return None
        try:
            return Update.model_validate(raw, context={"bot": bot})
        except ValidationError as exc:
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            log.warning(
                "Skipped update %s: it cannot be decoded (%s)", update_id, decoding_problem(exc)
            )
            return None

    async def _feed(self, bot: Bot, update: Update) -> Outcome:
        holds: Holds | None = self.dispatcher.get(HOLDS)
        poison: Poison | None = self.dispatcher.get(POISON)
        hand = poison.hand(update) if poison is not None else None
        try:
            if hand is not None and not await hand.take(bot):
                return None  # poison: skipped, answered 200
            result = await self.dispatcher.feed_update(
                bot, update, **self.data, **{HOLD_OUTAGES: holds is not None}
            )
        except asyncio.CancelledError:
            if hand is not None:  # cut short at shutdown: not a death of the process
                await hand.put_down()
            raise
        except Exception as exc:
            if holds is not None and is_outage(exc):
                if hand is None:
                    return await self._hold(holds, bot, update, exc)
                await hand.put_down()  # waiting for the service is not dying of the update
                outcome = await self._hold(holds, bot, update, exc)
                if not isinstance(outcome, _Held):
                    await hand.done()  # given up: the person is asked to repeat it
                return outcome
            # Answered 200 all the same: delivered again, it would fail again, forever.
            log.exception("Update %d failed", update.update_id)
            if hand is not None:
                await hand.done()
            return None
        if hand is not None:
            await hand.done()
        held_since = self._held.pop(update.update_id, None)
        if held_since is not None:
            log.info(
                "Update %d handled after %.1f s held in an outage",
                update.update_id,
                holds.clock() - held_since if holds is not None else 0.0,
            )
        return result if isinstance(result, TelegramMethod) else None

    async def _hold(self, holds: Holds, bot: Bot, update: Update, exc: Exception) -> Outcome:
        update_id = update.update_id
        held_since = self._held.get(update_id)
        if held_since is None:
            self._held[update_id] = holds.clock()
            while len(self._held) > RECENT_UPDATES:
                self._held.popitem(last=False)
            await holds.held(bot, update, exc)
            return HELD
        if holds.expired(held_since):
            del self._held[update_id]
            await holds.given_up(bot, update)
            return None  # answered 200: the person has been asked to repeat it
        holds.still_held(update, exc)
        return HELD

    def _finished(self, update_id: int, task: asyncio.Task[Outcome]) -> None:
        self._in_flight.pop(update_id, None)
        if task.cancelled() or isinstance(task.result(), _Held):
            return  # not handled: Telegram has had no 200 and will send it again
        self._recent[update_id] = None
        while len(self._recent) > RECENT_UPDATES:
            self._recent.popitem(last=False)

    def _reply_late(self, bot: Bot, task: asyncio.Task[Outcome]) -> None:
        if task.cancelled():
            return
        reply = task.result()
        if reply is None or isinstance(reply, _Held):
            return
        late = asyncio.ensure_future(self.dispatcher.silent_call_request(bot=bot, result=reply))
        self._background_feed_update_tasks.add(late)
        late.add_done_callback(self._background_feed_update_tasks.discard)

    async def drain(self, grace: float) -> None:
        """Refuse new updates; give those being handled `grace` seconds, then cut them short
        (their requests get 503, so Telegram sends them again)."""
        self.closing = True
        tasks = set(self._in_flight.values())
        if not tasks:
            return
        log.info("Stopping: waiting up to %.0f s for %d update(s) being handled", grace, len(tasks))
        _, late = await asyncio.wait(tasks, timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        if late:
            log.warning("%d update(s) cut short; Telegram will deliver them again", len(late))


async def serve_webhook(
    settings: Settings,
    dispatcher: Dispatcher,
    bot: Bot,
    allowed_updates: list[str],
    stopped: asyncio.Event,
    *,
    metrics: Metrics,
    bound: float = HANDLING_BOUND,
    grace: float = SHUTDOWN_GRACE,
) -> None:
    """Serve the webhook (and /healthz, /readyz, /metrics) until `stopped` is set, then
    finish what is in flight."""
    assert settings.webhook_url is not None
    assert settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    handler = HandledRequestHandler(dispatcher, bot, secret_token=secret, bound=bound)
    app = web.Application()
    # The route alone, not handler.register(): that would close the bot's session in
    # aiohttp's on_shutdown, which runs before the requests in flight have finished.
    app.router.add_post(urlsplit(settings.webhook_url).path or "/", handler.handle)
    readiness = Readiness.from_settings(settings)
    add_routes(app, readiness, metrics)
    if settings.webapp_url:
        from webapp.context import WebAppContext
        from webapp.server import add_webapp

        add_webapp(app, WebAppContext.from_dispatcher(dispatcher, bot))
    workflow = {"app": app, "dispatcher": dispatcher, **dispatcher.workflow_data, "bot": bot}
    runner = web.AppRunner(
        app, handle_signals=False, shutdown_timeout=1.0, access_log_class=QuietProbesAccessLogger
    )
    await runner.setup()
    await dispatcher.emit_startup(**workflow)
    try:
        site = web.TCPSite(runner, settings.webhook_listen_host, settings.webhook_listen_port)
        await site.start()
        try:
            await bot.set_webhook(
                settings.webhook_url, secret_token=secret, allowed_updates=allowed_updates
            )
        except TelegramBadRequest as exc:
            # A wrong port, an http:// URL, a bad certificate: a setting to fix, not a crash.
            raise ConfigError(
                f"Telegram refused WEBHOOK_URL {settings.webhook_url}: {exc.message}"
            ) from None
        log.info(
            "Webhook %s served on %s:%d",
            settings.webhook_url,
            settings.webhook_listen_host,
            settings.webhook_listen_port,
        )
        await stopped.wait()
        await site.stop()  # no new connections
        await handler.drain(grace)
    finally:
        await runner.cleanup()
        await readiness.close()
        # After the requests: the dispatcher's shutdown closes the dialog state storage.
        await dispatcher.emit_shutdown(**workflow)
