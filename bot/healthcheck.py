"""`python -m bot.healthcheck`: the container's HEALTHCHECK. Exit 0 when the webhook server
answers GET /healthz with 200, 1 otherwise; by long polling (no WEBHOOK_URL) there is no server
to ask, and a process that is running is all there is to check, so 0.

Standard library only, and the environment only (not .env): it runs every 30 s, and starting
the bot's imports that often would cost more than the check.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from collections.abc import Mapping

TIMEOUT = 4.0  # seconds; under the HEALTHCHECK's --timeout


def healthz_url(environ: Mapping[str, str]) -> str | None:
    if not environ.get("WEBHOOK_URL", "").strip():
        return None
    host = environ.get("WEBHOOK_LISTEN_HOST", "").strip() or "127.0.0.1"
    if host in {"0.0.0.0", "::", ""}:  # noqa: S104 - listening everywhere: ask locally
        host = "127.0.0.1"
    port = environ.get("WEBHOOK_LISTEN_PORT", "").strip() or "8080"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/healthz"


def main(environ: Mapping[str, str] = os.environ) -> int:
    url = healthz_url(environ)
    if url is None:
        return 0
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 - http only
            status = int(response.status)
    except OSError as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: {url} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
