"""Numbers as the reader writes them, from Babel's locale data: "1,000" in English,
"1 000" in French (a narrow no-break space), "1000" but "10.000" in Spanish; "50%" in
English, "50 %" in French and Spanish; "2.5" or "2,5".

Every count, limit, size and percentage a person reads (in a message, a window or a report)
is written by these, so that no text shows Python's own notation.
"""

from __future__ import annotations

from babel.numbers import format_decimal, format_percent

from reports.i18n import report_language

__all__ = ["format_number", "format_percentage"]


def format_number(value: float, lang: str, places: int = 0) -> str:
    """``value`` with the reader's grouping and exactly ``places`` decimals: "1,000",
    "1 000", "1000"; "2.5", "2,5"."""
    pattern = "#,##0." + "0" * places if places > 0 else "#,##0"
    return format_decimal(value, pattern, locale=report_language(lang))


def format_percentage(ratio: float, lang: str) -> str:
    """``ratio`` (0.5 for half) as a whole percentage: "50%", "50 %"."""
    return format_percent(ratio, locale=report_language(lang))
