"""Templates are filled with every value escaped, exactly as markupsafe's formatter does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from markupsafe import Markup

from bot.i18n import LOCALES_DIR
from dialogs.markup import render

HOSTILE = "<b>Tom & \"Jerry\"</b> 'x'"


def catalog_templates() -> list[str]:
    found: set[str] = set()
    for po in sorted(Path(LOCALES_DIR).glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as stream:
            for message in read_po(stream):
                if isinstance(message.id, str) and "{" in message.id:
                    found.update(text for text in (message.id, message.string) if text)
    return sorted(found)


def test_the_catalogs_have_templates_to_check() -> None:
    assert len(catalog_templates()) > 100


@pytest.mark.parametrize("template", catalog_templates())
def test_every_template_of_the_catalogs_is_filled_as_markupsafe_fills_it(template: str) -> None:
    names = set(re.findall(r"{(\w+)", template))
    values = {name: f"{HOSTILE} {name}" for name in names}
    assert render(template, values) == Markup(template).format_map(values)


@pytest.mark.parametrize(
    ("template", "values"),
    [
        ("<b>{name}</b>", {"name": HOSTILE}),
        ("{html} and {text}", {"html": Markup("<i>ours</i>"), "text": "<i>theirs</i>"}),
        ("{item[0]} / {item[1]}", {"item": ("a<b", Markup("<u>b</u>"))}),
        ("{n:>5}|{n:03d}", {"n": 7}),
        ("{when:%d %B %Y}", {"when": __import__("datetime").date(2026, 12, 5)}),
        ("{name!r} {name!s}", {"name": HOSTILE}),  # conversions: markupsafe's own formatter
        ("{{literal}} {name}", {"name": "&"}),
    ],
)
def test_values_are_escaped_wherever_they_appear(template: str, values: dict[str, object]) -> None:
    filled = render(template, values)
    assert isinstance(filled, Markup)
    assert filled == Markup(template).format_map(values)
    assert "<b>Tom" not in filled


def test_a_missing_value_or_a_spec_on_markup_fails_as_before() -> None:
    with pytest.raises(KeyError):
        render("{missing}", {})
    with pytest.raises(ValueError, match="format"):
        render("{html:>9}", {"html": Markup("<i>x</i>")})


def test_keyword_values_join_the_mapping() -> None:
    assert render("{a} {b}", {"a": "<"}, b=">") == "&lt; &gt;"
    assert render("{a}", a="&") == "&amp;"
