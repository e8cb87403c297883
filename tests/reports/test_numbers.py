"""Numbers in the reports' languages, from Babel's locale data."""

from __future__ import annotations

import pytest
from babel.numbers import format_decimal

from reports.labels import funnel_phrases
from reports.numbers import format_number, format_percentage
from survey.model import Funnel


@pytest.mark.parametrize(
    ("lang", "thousand", "tenths", "nothing", "half"),
    [
        ("en", "1,000", "2.5", "0%", "50%"),
        ("fr", "1\u202f000", "2,5", "0\u00a0%", "50\u00a0%"),
        ("es", format_decimal(1000, locale="es"), "2,5", "0\u00a0%", "50\u00a0%"),
    ],
)
def test_numbers_and_percentages_in_the_readers_notation(
    lang: str, thousand: str, tenths: str, nothing: str, half: str
) -> None:
    assert format_number(1000, lang) == thousand
    assert format_number(2.46, lang, places=1) == tenths
    assert format_percentage(0, lang) == nothing
    assert format_percentage(0.5, lang) == half


def test_spanish_groups_ten_thousands() -> None:
    assert format_number(12345, "es") == "12.345"


def test_the_funnel_agrees_with_each_count() -> None:
    funnel = Funnel(offices=1200, invited=1, verified=2, started=0, submitted=1)
    assert funnel_phrases(funnel, "fr") == [
        "1\u202f200 répertoriés",
        "1 invité",
        "2 vérifiés",
        "0 ayant commencé",
        "1 ayant soumis",
    ]
    assert funnel_phrases(funnel, "es")[:3] == ["1.200 registradas", "1 invitada", "2 verificadas"]
    assert funnel_phrases(funnel, "en")[0] == "1,200 listed"
