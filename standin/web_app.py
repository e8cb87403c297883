"""Mini App launch data signed as Telegram signs it (core.telegram.org/bots/webapps,
"Validating data received via the Mini App"): the stand-in knows the bot's token, so the
sandbox and the tests can open the page as a given person without Telegram."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import quote, urlencode

# Telegram's own colours for its light and dark themes (the values a client passes in
# `themeParams`), so that the page can be looked at as people will see it.
LIGHT_THEME = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#707579",
    "link_color": "#3390ec",
    "button_color": "#3390ec",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#f4f4f5",
    "section_bg_color": "#ffffff",
    "section_header_text_color": "#3390ec",
    "subtitle_text_color": "#707579",
    "destructive_text_color": "#e53935",
    "accent_text_color": "#3390ec",
}
DARK_THEME = {
    "bg_color": "#212121",
    "text_color": "#ffffff",
    "hint_color": "#aaaaaa",
    "link_color": "#8774e1",
    "button_color": "#8774e1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#0f0f0f",
    "section_bg_color": "#212121",
    "section_header_text_color": "#8774e1",
    "subtitle_text_color": "#aaaaaa",
    "destructive_text_color": "#ff595a",
    "accent_text_color": "#8774e1",
}


def signed_init_data(
    token: str,
    user_id: int,
    *,
    first_name: str = "Test",
    last_name: str | None = None,
    language_code: str | None = "en",
    auth_date: int | None = None,
    query_id: str = "AAEstandin",
) -> str:
    """The `initData` string a Telegram client hands the page for this user, signed with
    the bot's token (HMAC-SHA-256 keyed by HMAC-SHA-256("WebAppData", token))."""
    user: dict[str, object] = {"id": user_id, "first_name": first_name}
    if last_name:
        user["last_name"] = last_name
    if language_code:
        user["language_code"] = language_code
    fields = {
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
        "query_id": query_id,
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
    }
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields, quote_via=quote)


def launch_url(page_url: str, init_data: str, *, dark: bool = False) -> str:
    """The page's address as a Telegram client opens it: the launch parameters in the
    fragment, which never reaches a server or its logs."""
    theme = DARK_THEME if dark else LIGHT_THEME
    fragment = urlencode(
        {
            "tgWebAppData": init_data,
            "tgWebAppVersion": "8.0",
            "tgWebAppPlatform": "weba",
            "tgWebAppThemeParams": json.dumps(theme, separators=(",", ":")),
        },
        quote_via=quote,
    )
    return f"{page_url}#{fragment}"
