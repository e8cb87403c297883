"""The one place where values meet HTML: every message the bot sends is parsed by Telegram as
HTML, so every value put into one (a person's name, an Office, a comment, an operator's
setting) is escaped here, and only here. Windows and messages never call `html.escape`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

__all__ = ["Markup", "plain", "render"]

_TAG = re.compile(r"<[^>]*>")


def render(template: str, values: Mapping[str, Any] | None = None, /, **more: Any) -> Markup:
    """Fill an HTML template (usually a translated msgid). Each value is escaped unless it is
    `Markup`: HTML built here already (the review's lines), which is what this returns."""
    if values is None:
        return Markup(template).format(**more)  # noqa: S704 - templates are ours, values escaped
    return Markup(template).format_map({**values, **more} if more else values)  # noqa: S704


def plain(text: str) -> str:
    """The visible text of an HTML message, for what Telegram shows without parsing
    (alerts of button presses)."""
    return html.unescape(_TAG.sub("", text))
