"""What every response of the Mini App carries, and how its requests are read: the security
headers (a Content-Security-Policy with no inline script or style, framing by Telegram's
web clients only, nosniff, no referrer), `Cache-Control: no-store` on the API, JSON
refusals for unknown paths and methods, and JSON request bodies of a bounded size."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler

from webapp.errors import ApiError

log = logging.getLogger(__name__)

# A POST carries one answer or one comment of at most 1,000 characters: 16 KB is plenty.
LONGEST_BODY = 16 * 1024
API_PREFIX = "/api/"


def content_security_policy(script_url: str) -> str:
    parts = urlsplit(script_url)
    script_origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    script_src = " ".join(s for s in ("'self'", script_origin) if s)
    return (
        f"default-src 'none'; script-src {script_src}; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; "
        "frame-ancestors https://web.telegram.org https://*.telegram.org; "
        "base-uri 'none'; form-action 'none'"
    )


def security_headers(script_url: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(script_url),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


def on_prepare(headers: dict[str, str]) -> Any:
    async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.update(headers)
        if API_PREFIX in request.path:
            response.headers["Cache-Control"] = "no-store"
        elif "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-cache"

    return add_headers


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refusals, and aiohttp's own 404/405/413, as the API's JSON error."""
    try:
        return await handler(request)
    except ApiError as error:
        return web.json_response(error.body(), status=error.status)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status, "bad_request"
        )
        response = web.json_response(
            {"error": {"code": code, "message": exc.reason}}, status=exc.status
        )
        if exc.status == 405:
            allowed = exc.headers.get("Allow")
            if allowed:
                response.headers["Allow"] = allowed
        return response


async def json_body(request: web.Request, bad_request: ApiError) -> dict[str, Any]:
    """The request's JSON object; `bad_request` for anything else (another content type, not
    an object, too long: 413)."""
    if request.content_type != "application/json":
        raise bad_request
    if request.content_length is not None and request.content_length > LONGEST_BODY:
        raise web.HTTPRequestEntityTooLarge(
            max_size=LONGEST_BODY, actual_size=request.content_length
        )
    raw = await request.content.read(LONGEST_BODY + 1)
    if len(raw) > LONGEST_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=LONGEST_BODY, actual_size=len(raw))
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise bad_request from None
    if not isinstance(body, dict):
        raise bad_request
    return body
