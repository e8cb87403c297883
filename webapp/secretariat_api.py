"""The Secretariat's API (ADMIN_IDS only), under /app/api/secretariat/:

- GET  overview   funnel, response rate, every Office, the ranking, the chart's data,
                  the exports on offer.
- POST remind     {"confirm": true} → {"sent", "text"}: /remind's reminders.
- POST deadline   {"at": ISO-8601} → {"deadline"}: /deadline's change.
- POST export     {"kind": "files"|"csv"|"xlsx"|"docx"|"chart"} → 202 {"text"}: /export's job
                  (or the chart's), whose files arrive in the member's chat.
"""

from __future__ import annotations

from aiohttp import web


def add_routes(api: web.UrlDispatcher) -> None:
    return None
