"""One API handler's frame: its context, the i18n context its texts are rendered in, the
survey's refusals as the API's errors, and its result as JSON."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiohttp import web

from bot.holds import is_outage
from dialogs.messages import unavailable
from survey.errors import Refused
from webapp.context import CONTEXT, WebAppContext
from webapp.errors import ApiError
from webapp.headers import json_body
from webapp.refusals import bad_request, refusal_error

log = logging.getLogger(__name__)

Result = dict[str, Any] | web.StreamResponse
Handler = Callable[[web.Request, WebAppContext], Awaitable[Result]]


def endpoint(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @wraps(handler)
    async def handle(request: web.Request) -> web.StreamResponse:
        context = request.app[CONTEXT]
        with context.i18n.context():
            try:
                result = await handler(request, context)
            except Refused as refusal:
                raise refusal_error(refusal) from None
            except (ApiError, web.HTTPException):
                raise
            except Exception as exc:
                # Still a clear answer in the person's language, never a bare 500 page.
                if is_outage(exc):
                    log.error("Service unavailable for %s: %s", request.path, exc)
                    raise ApiError(503, "unavailable", unavailable()) from None
                log.exception("Unexpected error on %s", request.path)
                raise ApiError(
                    500,
                    "internal",
                    _(
                        "Sorry, something went wrong on our side. Everything you saved is "
                        "safe; please try again."
                    ),
                ) from None
        if isinstance(result, web.StreamResponse):
            return result
        response = web.json_response(result)
        response.enable_compression()  # the page's state is tens of KB of statements
        return response

    return handle


async def body_of(request: web.Request) -> dict[str, Any]:
    """The request's JSON object (call within the endpoint: the refusal is translated)."""
    return await json_body(request, bad_request())


def whole_number(value: Any) -> int | None:
    """An int as JSON gives it (not a bool, not a float)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
