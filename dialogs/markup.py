"""The one place where values meet HTML: every message the bot sends is parsed by Telegram as
HTML, so every value put into one (a person's name, an Office, a comment, an operator's
setting) is escaped here, and only here. Windows and messages never call `html.escape`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from functools import lru_cache
from string import Formatter
from typing import Any

from markupsafe import Markup, escape

__all__ = ["Markup", "plain", "render"]

_TAG = re.compile(r"<[^>]*>")


def render(template: str, values: Mapping[str, Any] | None = None, /, **more: Any) -> Markup:
    """Fill an HTML template (usually a translated msgid). Each value is escaped unless it is
    `Markup`: HTML built here already (the review's lines), which is what this returns."""
    if values is None:
        values = more
    elif more:
        values = {**values, **more}
    shape = _shape(template)
    if shape is None:  # "{name!r}": only markupsafe's own formatter escapes those
        return Markup(template).format_map(values)  # noqa: S704 - templates are ours
    if shape:  # only "{name}" fields (most templates): each value escaped once, up front
        escaped = {name: _html(values[name], "") for name in shape}
        return Markup(template.format_map(escaped))  # noqa: S704 - values escaped
    return Markup(template.format_map(_Escaping(values)))  # noqa: S704 - values escaped


# markupsafe fills a template with Python's pure-Python string.Formatter, which cost more than
# the rest of drawing a window. str.format_map (in C) does the same here: each value it reaches
# is wrapped, and escaped exactly as markupsafe would when it is formatted.


class _Escaping:
    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = values

    def __getitem__(self, name: str) -> _Escaped:
        return _Escaped(self._values[name])


class _Escaped:
    __slots__ = ("_value",)

    def __init__(self, value: Any) -> None:
        self._value = value

    def __format__(self, spec: str) -> str:
        return _html(self._value, spec)

    def __getitem__(self, key: Any) -> _Escaped:  # "{item[1]}"
        return _Escaped(self._value[key])

    def __getattr__(self, name: str) -> _Escaped:  # "{office.name}"
        return _Escaped(getattr(self._value, name))


def _html(value: Any, spec: str) -> str:
    """`value` formatted with `spec` and escaped, as markupsafe's formatter does it."""
    if hasattr(value, "__html_format__"):
        text = value.__html_format__(spec)
    elif hasattr(value, "__html__"):
        if spec:
            raise ValueError(
                f"format specifier {spec} given, but {type(value)} does not define __html_format__"
            )
        text = value.__html__()
    else:
        text = format(value, spec)
    return str(escape(text))


@lru_cache(maxsize=1024)
def _shape(template: str) -> tuple[str, ...] | None:
    """None: a field has a conversion ("{name!r}"); the names when every field is a plain
    "{name}"; () otherwise (a format spec, an index, an attribute: through `_Escaping`)."""
    names: list[str] = []
    simple = True
    for _, name, spec, conversion in Formatter().parse(template):
        if conversion:
            return None
        if name is None:
            continue
        if spec or not name.isidentifier():
            simple = False
        names.append(name)
    return tuple(dict.fromkeys(names)) if simple and names else ()


def plain(text: str) -> str:
    """The visible text of an HTML message, for what Telegram shows without parsing
    (alerts of button presses)."""
    return html.unescape(_TAG.sub("", text))
