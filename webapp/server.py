"""The Mini App's web server: the two pages, their static files and the JSON API, as one
aiohttp application mounted under /app/ (its own middleware and headers apply to its routes
only), beside the webhook in webhook mode (bot/webhook.py) or on WEBAPP_LISTEN_HOST/PORT in
polling mode (`serve_webapp`, bot/runner.py).

- GET /app/               the representative's page (static/index.html)
- GET /app/secretariat    the Secretariat's page (static/secretariat.html)
  (both with Telegram's script URL, WEBAPP_SCRIPT_URL, put in for `__TELEGRAM_WEB_APP_JS__`)
- GET /app/static/<file>  CSS, JavaScript, images: gzip when asked for, revalidated by ETag
- /app/api/...            webapp/representative_api.py, webapp/secretariat_api.py
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.config import ConfigError
from webapp import representative_api, secretariat_api
from webapp.context import CONTEXT, WebAppContext
from webapp.headers import json_errors, on_prepare, security_headers

log = logging.getLogger(__name__)

PREFIX = "/app"
STATIC_DIR = Path(__file__).parent / "static"
SCRIPT_PLACEHOLDER = "__TELEGRAM_WEB_APP_JS__"
CONTENT_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".woff2": "font/woff2",
}
# Only plain names straight in static/: no way out of the folder, no hidden files.
_STATIC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True, slots=True)
class _File:
    body: bytes
    etag: str
    mtime: float


class Files:
    """The static folder's files, read once and again when they change on disk."""

    def __init__(self, folder: Path, script_url: str) -> None:
        self._folder = folder
        self._script = html.escape(script_url, quote=True)
        self._cache: dict[str, _File] = {}

    def get(self, name: str) -> _File | None:
        path = self._folder / name
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        known = self._cache.get(name)
        if known is not None and known.mtime == mtime:
            return known
        try:
            body = path.read_bytes()
        except OSError:
            return None
        if name.endswith(".html"):
            body = body.replace(SCRIPT_PLACEHOLDER.encode(), self._script.encode())
        found = _File(body, '"' + hashlib.sha256(body).hexdigest()[:24] + '"', mtime)
        self._cache[name] = found
        return found


FILES = web.AppKey("webapp_files", Files)


def _send(request: web.Request, found: _File, content_type: str) -> web.StreamResponse:
    if found.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers={"ETag": found.etag})
    response = web.Response(body=found.body, content_type=content_type, charset="utf-8")
    response.headers["ETag"] = found.etag
    response.headers["Cache-Control"] = "no-cache"  # revalidated: a new release shows at once
    response.enable_compression()
    return response


def _page(name: str) -> Handler:
    async def page(request: web.Request) -> web.StreamResponse:
        found = request.app[FILES].get(name)
        if found is None:
            raise web.HTTPNotFound()
        return _send(request, found, "text/html")

    return page


async def static_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    suffix = Path(name).suffix
    if not _STATIC_NAME.fullmatch(name) or suffix not in CONTENT_TYPES:
        raise web.HTTPNotFound()
    found = request.app[FILES].get(name)
    if found is None:
        raise web.HTTPNotFound()
    return _send(request, found, CONTENT_TYPES[suffix])


def webapp_application(context: WebAppContext, *, static_dir: Path = STATIC_DIR) -> web.Application:
    """The Mini App as an application to mount at PREFIX (`add_webapp`)."""
    app = web.Application(middlewares=[json_errors])
    app[CONTEXT] = context
    app[FILES] = Files(static_dir, context.settings.webapp_script_url)
    app.on_response_prepare.append(on_prepare(security_headers(context.settings.webapp_script_url)))
    app.router.add_get("/", _page("index.html"))
    app.router.add_get("/secretariat", _page("secretariat.html"))
    app.router.add_get("/static/{name}", static_file)
    representative_api.add_routes(app.router)
    secretariat_api.add_routes(app.router)
    return app


def add_webapp(
    app: web.Application, context: WebAppContext, *, static_dir: Path = STATIC_DIR
) -> None:
    """The Mini App's routes under /app/ of `app` (the webhook's server, or its own)."""

    async def to_page(_request: web.Request) -> web.StreamResponse:
        raise web.HTTPPermanentRedirect(PREFIX + "/")

    # Before the sub-application, which would take the bare prefix for itself.
    app.router.add_get(PREFIX, to_page)
    app.add_subapp(PREFIX, webapp_application(context, static_dir=static_dir))


@asynccontextmanager
async def serve_webapp(context: WebAppContext, host: str, port: int) -> AsyncIterator[None]:
    """The Mini App on its own server (polling mode), until the block ends."""
    app = web.Application()
    add_webapp(app, context)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:  # the port taken, the address not this machine's: a setting
            raise ConfigError(
                f"cannot serve the Mini App on WEBAPP_LISTEN_HOST:WEBAPP_LISTEN_PORT "
                f"{host}:{port}: {exc.strerror or exc}"
            ) from None
        log.info("Mini App served on %s:%d", host, port)
        yield
    finally:
        await runner.cleanup()
