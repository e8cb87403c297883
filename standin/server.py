"""The HTTP side: the Bot API routes, file downloads, webhook delivery, and `/sandbox/...`
routes through which another process plays the users and watches the chats.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from standin import limits
from standin.limits import ApiError
from standin.methods import BotApi, Described, Params, Upload
from standin.ratelimits import RateLimits
from standin.state import Call, PendingUpdate, SandboxError, State, Webhook

log = logging.getLogger(__name__)

MAX_REQUEST_SIZE = 52 * 1024 * 1024  # a 50 MB document and the rest of the form
HOLD_CHECK_INTERVAL = 0.05  # seconds between looks at whether a held call's caller is gone
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret


def _error(exc: ApiError) -> web.Response:
    return web.json_response(exc.payload(), status=exc.code)


def _sandbox_error(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "description": description}, status=status)


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


async def read_params(request: web.Request) -> Params:
    """Query string, then the body: JSON, urlencoded or multipart (files kept as Upload)."""
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.method != "POST" or not request.body_exists:
        return Params(values)
    content_type = request.content_type
    try:
        if content_type == "application/json":
            raw = await request.read()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise limits.bad_request(
                        "can't parse JSON encoded request parameters"
                    ) from None
                if not isinstance(body, dict):
                    raise limits.bad_request("JSON request parameters must be an object")
                values.update(body)
        elif content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    with value.file:
                        data = value.file.read()
                    uploads[name] = Upload(value.filename, value.content_type, data)
                elif isinstance(value, bytes | bytearray):
                    values[name] = bytes(value).decode("utf-8", "replace")
                else:
                    values[name] = value
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "Request Entity Too Large") from None
    return Params(values, uploads)


WEB_APP_SCRIPT = Path(__file__).parent / "static" / "telegram-web-app.js"


async def handle_web_app_script(_request: web.Request) -> web.Response:
    """The stand-in for Telegram's telegram-web-app.js, which the Mini App's pages load."""
    return web.Response(
        body=WEB_APP_SCRIPT.read_bytes(), content_type="text/javascript", charset="utf-8"
    )


class ApiServer:
    """The aiohttp application, and the task that delivers updates to a webhook."""

    def __init__(
        self,
        state: State,
        *,
        webhook_retry_delay: float = 0.5,
        webhook_max_retry_delay: float = 8.0,
        webhook_timeout: float = 60.0,
    ) -> None:
        self.state = state
        self.api = BotApi(state)
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_max_retry_delay = webhook_max_retry_delay
        self.webhook_timeout = webhook_timeout
        self._runner: web.AppRunner | None = None
        self._delivery: asyncio.Task[None] | None = None
        self._retry_delay = webhook_retry_delay  # the next wait after a failed delivery
        self._paused: tuple[Webhook, float] | None = None  # (the hook that failed, until when)
        self.url: str | None = None

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_REQUEST_SIZE)
        app.router.add_route("*", "/bot{token}/{method}", self.handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self.handle_file)
        app.router.add_get("/js/telegram-web-app.js", handle_web_app_script)
        app.router.add_post("/sandbox/users/{user_id}/messages", self.handle_user_message)
        app.router.add_post("/sandbox/users/{user_id}/clicks", self.handle_user_click)
        app.router.add_post("/sandbox/updates", self.handle_raw_update)
        app.router.add_get("/sandbox/chats", self.handle_chats)
        app.router.add_get("/sandbox/chats/{chat_id}", self.handle_chat)
        app.router.add_get("/sandbox/chats/{chat_id}/events", self.handle_chat_events)
        app.router.add_get("/sandbox/faults", self.handle_faults_list)
        app.router.add_post("/sandbox/faults", self.handle_faults_add)
        app.router.add_delete("/sandbox/faults", self.handle_faults_clear)
        app.router.add_get("/sandbox/calls", self.handle_calls)
        app.router.add_get("/sandbox/rate-limits", self.handle_rate_limits)
        app.router.add_post("/sandbox/rate-limits", self.handle_rate_limits_set)
        app.router.add_delete("/sandbox/rate-limits", self.handle_rate_limits_off)
        app.router.add_route("*", "/{tail:.*}", self.handle_unknown)
        return app

    async def start(self, host: str, port: int) -> str:
        self.state.closing = False
        runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound = runner.addresses[0]
        shown = f"[{bound[0]}]" if ":" in str(bound[0]) else bound[0]
        self.url = f"http://{shown}:{bound[1]}"
        self._delivery = asyncio.create_task(self._deliver_forever(), name="sandbox-webhook")
        return self.url

    async def stop(self) -> None:
        self.state.closing = True
        self.state.faults.release_held()  # held calls end, without running: we are closing
        await self.state.changed()
        if self._delivery is not None:
            self._delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery
            self._delivery = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- the Bot API ---------------------------------------------------------------------------

    async def dispatch(
        self, method: str, params: Params, *, caller_gone: Callable[[], bool] | None = None
    ) -> Any:
        """One call as Telegram runs it: logged, then a fault if one applies, then the method.

        `caller_gone` says whether the client has hung up, for a call held by a fault. The
        state's `call_listeners` are told of the call once it is done (or has failed)."""
        state = self.state
        call = Call(self.api.canonical(method) or method, params.logged(), time.perf_counter())
        state.calls.append(call)
        try:
            return await self._run(call.method, params, caller_gone)
        finally:
            for listener in state.call_listeners:
                listener(call)

    async def _run(self, name: str, params: Params, caller_gone: Callable[[], bool] | None) -> Any:
        state = self.state
        fault = state.faults.take(name, state.chat_of_call(params))
        if fault is not None and fault.hold:
            fault.holding += 1
        await state.changed()
        if fault is None:
            return await self._admitted(name, params)
        if not fault.hold:
            raise fault.error()
        gone = caller_gone or (lambda: False)
        try:
            # Looked at now and then: a hang-up wakes nothing here.
            while not (fault.released.is_set() or state.closing or gone()):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(fault.released.wait(), HOLD_CHECK_INTERVAL)
        finally:
            fault.holding -= 1
            await state.changed()
        if state.closing or gone():
            # Nobody is waiting for the answer any more: the call never reaches "Telegram".
            log.info("held %s dropped: its caller has gone", name)
            raise ApiError(500, limits.STATUS_DESCRIPTIONS[500])
        return await self._admitted(name, params)

    async def _admitted(self, name: str, params: Params) -> Any:
        """The method, unless it sends a message past the flood limits (when they are on)."""
        self.state.flood.admit(name, self.state.chat_of_call(params))
        return await self.api.call(name, params)

    async def handle_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.state.token:
            return _error(ApiError(401, limits.UNAUTHORIZED))
        try:
            params = await read_params(request)

            def caller_gone() -> bool:
                transport = request.transport
                return transport is None or transport.is_closing()

            result = await self.dispatch(
                request.match_info["method"], params, caller_gone=caller_gone
            )
        except ApiError as exc:
            return _error(exc)
        if isinstance(result, Described):
            return web.json_response(
                {"ok": True, "result": result.result, "description": result.description}
            )
        return _ok(result)

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.state.token:
            return _error(ApiError(401, limits.UNAUTHORIZED))
        stored = self.state.file_by_path(request.match_info["path"])
        if stored is None:
            return _error(ApiError(404, limits.NOT_FOUND))
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    async def handle_unknown(self, request: web.Request) -> web.Response:
        return _error(ApiError(404, limits.NOT_FOUND))

    # -- webhook delivery ----------------------------------------------------------------------

    async def _deliver_forever(self) -> None:
        """Deliver pending updates as Telegram does: up to the webhook's max_connections at
        once, one chat's in order (its next update once the previous one is answered). A
        failed delivery stays pending and is retried after a delay that doubles with each
        failure in a row, during which no new delivery starts (unless the webhook changes)."""
        state = self.state
        timeout = aiohttp.ClientTimeout(total=self.webhook_timeout)
        in_flight: dict[int, asyncio.Task[None]] = {}
        loop = asyncio.get_running_loop()
        self._retry_delay, self._paused = self.webhook_retry_delay, None

        def paused_for() -> float | None:
            if self._paused is None:
                return None
            hook, until = self._paused
            left = until - loop.time()
            if hook is not state.webhook or left <= 0:
                self._paused = None
                return None
            return left

        def next_update() -> PendingUpdate | None:
            hook = state.webhook
            if hook is None or len(in_flight) >= hook.max_connections or paused_for():
                return None
            lanes: set[int | str] = set()
            for update in state.pending:
                lane = update.lane
                if lane in lanes:
                    continue
                lanes.add(lane)
                if update.update_id not in in_flight:
                    return update
            return None

        async with aiohttp.ClientSession(timeout=timeout) as session:
            try:
                while not state.closing:
                    pause = paused_for()
                    if pause is not None:  # ends early if the webhook is changed or removed
                        await state.wait_until(lambda: state.closing or paused_for() is None, pause)
                        continue
                    await state.wait_until(
                        lambda: (
                            state.closing or paused_for() is not None or next_update() is not None
                        ),
                        None,
                    )
                    update = None if state.closing else next_update()
                    hook = state.webhook
                    if update is None or hook is None:
                        continue
                    in_flight[update.update_id] = asyncio.create_task(
                        self._deliver(session, hook, update, in_flight),
                        name=f"sandbox-webhook-{update.update_id}",
                    )
            finally:
                for task in in_flight.values():
                    task.cancel()
                await asyncio.gather(*in_flight.values(), return_exceptions=True)

    async def _deliver(
        self,
        session: aiohttp.ClientSession,
        hook: Webhook,
        update: PendingUpdate,
        in_flight: dict[int, asyncio.Task[None]],
    ) -> None:
        state = self.state
        try:
            error = await self._post(session, hook, update)
        finally:
            in_flight.pop(update.update_id, None)
        if error is None:
            if update in state.pending:
                state.pending.remove(update)
            self._retry_delay = self.webhook_retry_delay
        else:
            hook.last_error_date = state.now()
            hook.last_error_message = error
            delay = self._retry_delay if state.webhook is hook else self.webhook_retry_delay
            log.info("webhook delivery failed (%s); retrying in %.1fs", error, delay)
            # No new delivery meanwhile, unless the webhook is changed or removed.
            self._paused = (hook, asyncio.get_running_loop().time() + delay)
            self._retry_delay = min(delay * 2, self.webhook_max_retry_delay)
        await state.changed()

    async def _post(
        self, session: aiohttp.ClientSession, hook: Webhook, update: PendingUpdate
    ) -> str | None:
        """Deliver one update; None on success, else the error getWebhookInfo reports."""
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers[SECRET_HEADER] = hook.secret_token
        try:
            async with session.post(
                hook.url, data=json.dumps(update.as_json()), headers=headers
            ) as response:
                body = await response.read()
                if not 200 <= response.status < 300:
                    return f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError as exc:
            return f"Connection error: {exc.__class__.__name__}"
        await self._reply_method(body)
        return None

    async def _reply_method(self, body: bytes) -> None:
        """A webhook may answer with a method call in its response, as Telegram allows."""
        try:
            payload = json.loads(body) if body.strip() else None
        except ValueError:
            return
        if not isinstance(payload, dict) or not isinstance(payload.get("method"), str):
            return
        method = payload.pop("method")
        try:
            await self.dispatch(method, Params(payload))
        except ApiError as exc:
            log.info("method %s from a webhook reply failed: %s", method, exc.description)

    # -- the sandbox's own routes --------------------------------------------------------------

    @staticmethod
    async def _json_body(request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="expected a JSON object") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="expected a JSON object")
        return body

    @staticmethod
    def _int(value: Any, name: str) -> int:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise web.HTTPBadRequest(text=f"{name} must be an integer") from None

    async def handle_user_message(self, request: web.Request) -> web.Response:
        user_id = self._int(request.match_info["user_id"], "user_id")
        body = await self._json_body(request)
        text = body.get("text")
        if not isinstance(text, str):
            return _sandbox_error(400, "text must be a string")
        chat_id = body.get("chat_id")
        try:
            message = await self.state.user_sends(
                user_id,
                text,
                language_code=body.get("language_code", "en"),
                first_name=body.get("first_name"),
                chat_type=body.get("chat_type", "private"),
                chat_id=None if chat_id is None else self._int(chat_id, "chat_id"),
            )
        except SandboxError as exc:
            return _sandbox_error(400, str(exc))
        return _ok(message.as_json())

    async def handle_user_click(self, request: web.Request) -> web.Response:
        user_id = self._int(request.match_info["user_id"], "user_id")
        body = await self._json_body(request)
        chat_id = body.get("chat_id")
        try:
            query_id = await self.state.user_clicks(
                user_id,
                self._int(body.get("message_id"), "message_id"),
                text=body.get("text"),
                callback_data=body.get("callback_data"),
                chat_id=None if chat_id is None else self._int(chat_id, "chat_id"),
            )
        except SandboxError as exc:
            return _sandbox_error(404, str(exc))
        return _ok({"callback_query_id": query_id})

    async def handle_raw_update(self, request: web.Request) -> web.Response:
        """Queue an update as given (e.g. one the bot cannot parse); returns its update_id."""
        body = await self._json_body(request)
        update = self.state.enqueue_raw(body)
        await self.state.changed()
        return _ok({"update_id": update.update_id})

    async def handle_chats(self, request: web.Request) -> web.Response:
        return _ok(
            [
                {**chat.as_json(), "messages": len(chat.messages), "last_event": len(chat.events)}
                for chat in self.state.chats.values()
            ]
        )

    async def handle_chat(self, request: web.Request) -> web.Response:
        chat_id = self._int(request.match_info["chat_id"], "chat_id")
        chat = self.state.chats.get(chat_id)
        if chat is None:
            return _sandbox_error(404, f"there is no chat {chat_id}")
        return _ok(
            {
                "chat": chat.as_json(),
                "messages": [message.as_json() for message in chat.messages],
                "answers": [answer.as_json() for answer in chat.answers],
                "actions": list(chat.actions),
                "last_event": len(chat.events),
            }
        )

    async def handle_chat_events(self, request: web.Request) -> web.Response:
        """Long poll: the chat's events after `after`, waiting up to `timeout` seconds."""
        chat_id = self._int(request.match_info["chat_id"], "chat_id")
        after = self._int(request.query.get("after", "0"), "after")
        try:
            timeout = min(max(float(request.query.get("timeout", "0")), 0.0), 300.0)
        except ValueError:
            return _sandbox_error(400, "timeout must be a number")
        state = self.state

        def events_after() -> int:
            chat = state.chats.get(chat_id)
            return len(chat.events) if chat is not None else 0

        await state.wait_until(lambda: state.closing or events_after() > after, timeout)
        chat = state.chats.get(chat_id)
        events = chat.events[after:] if chat is not None else []
        return _ok({"events": [event.as_json() for event in events], "last_event": events_after()})

    async def handle_faults_list(self, request: web.Request) -> web.Response:
        return _ok(self.state.faults.as_json())

    async def handle_faults_add(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        try:
            retry_after = body.get("retry_after")
            times = body.get("times", 1)
            chat_id = body.get("chat_id")
            fault = self.state.faults.add(
                method=str(body.get("method", "*")),
                status=self._int(body.get("status", 429), "status"),
                retry_after=None if retry_after is None else self._int(retry_after, "retry_after"),
                times=None if times is None else self._int(times, "times"),
                description=body.get("description"),
                chat_id=None if chat_id is None else self._int(chat_id, "chat_id"),
                hold=bool(body.get("hold", False)),
            )
        except ValueError as exc:
            return _sandbox_error(400, str(exc))
        return _ok(fault.as_json())

    async def handle_faults_clear(self, request: web.Request) -> web.Response:
        self.state.faults.clear()
        await self.state.changed()
        return _ok(True)

    async def handle_calls(self, request: web.Request) -> web.Response:
        return _ok([{"method": call.method, "params": call.params} for call in self.state.calls])

    async def handle_rate_limits(self, request: web.Request) -> web.Response:
        """The limits (null: off), every send they let through and every one they refused."""
        return _ok(self.state.flood.as_json())

    async def handle_rate_limits_set(self, request: web.Request) -> web.Response:
        """Switch Telegram's limits on ({} for Telegram's own) or change them; the record of
        sends and refusals starts afresh."""
        body = await self._json_body(request)
        try:
            chosen = RateLimits(
                per_bot=self._int(body.get("per_bot", RateLimits.per_bot), "per_bot"),
                per_chat=self._int(body.get("per_chat", RateLimits.per_chat), "per_chat"),
                window=float(body.get("window", RateLimits.window)),
            )
        except (TypeError, ValueError) as exc:
            return _sandbox_error(400, str(exc))
        self.state.flood.configure(chosen)
        return _ok(self.state.flood.as_json())

    async def handle_rate_limits_off(self, request: web.Request) -> web.Response:
        self.state.flood.configure(None)
        return _ok(True)
