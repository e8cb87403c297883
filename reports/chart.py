"""The results chart (PNG) sent with /results and placed at the end of the collated results
document: one horizontal stacked bar per Recommendation, best ranked at the top, one colour per
level, made to be read on a phone (portrait, large type).

matplotlib is imported on first use, not with this module, and the chart is drawn on a
``matplotlib.figure.Figure`` of its own with the Agg canvas (never pyplot and its global state),
so charts can be drawn in worker threads, off the bot's event loop.
"""

from __future__ import annotations

import io
import textwrap
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

from reports.i18n import translations
from reports.labels import (
    format_score,
    long_date,
    recommendation_label,
    responses_text,
    score_weights,
)
from reports.numbers import format_number
from survey.questionnaire import Level, Questionnaire
from survey.results import Digest, RecommendationResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "CHART_DPI",
    "CHART_SIZE",
    "chart_order",
    "level_colours",
    "results_chart",
    "results_figure",
]

CHART_SIZE = (5.4, 10.8)  # inches: a phone screen's portrait shape (1:2)
CHART_DPI = 200  # 1080 x 2160 pixels

# Colour-blind-safe: the scored levels are shades of one hue, darkest for the highest score
# (ColorBrewer "Blues", told apart by lightness alone); levels outside the score are greys.
_BLUES: dict[int, tuple[str, ...]] = {
    1: ("#2171b5",),
    2: ("#08519c", "#6baed6"),
    3: ("#08519c", "#4292c6", "#9ecae1"),
    4: ("#08519c", "#3182bd", "#6baed6", "#bdd7e7"),
    5: ("#08519c", "#3182bd", "#6baed6", "#9ecae1", "#c6dbef"),
}
_GREYS = ("#d4d4d4", "#a3a3a3", "#ececec")
# Characters per line that fit the figure's width: the title (14 pt), the note below (10.5 pt).
_TITLE_CHARS = 46
_NOTE_CHARS = 60
_TEXT = "#222222"
_MUTED = "#555555"


def results_chart(digest: Digest, questionnaire: Questionnaire, lang: str = "en") -> bytes:
    """The chart as PNG bytes (1080 x 2160 pixels)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    # A character the font has no glyph for is drawn as a box, and matplotlib warns of it on
    # every chart; the filter is added anew (not duplicated) on each call, never removed:
    # catch_warnings would change the filters of every thread drawing at the same time.
    warnings.filterwarnings("ignore", r"Glyph \d+ .*missing from font", UserWarning)
    figure = results_figure(digest, questionnaire, lang)
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=CHART_DPI, facecolor="white")
    return buffer.getvalue()


def chart_order(digest: Digest) -> list[RecommendationResult]:
    """Top to bottom: the ranked Recommendations by rank (then number), then the unscored ones
    by number."""
    return [*digest.ranking, *(item for item in digest.items if item.rank is None)]


def level_colours(scale: Sequence[Level]) -> dict[str, str]:
    """Level code -> colour: blues from dark (highest score) to light, greys for the levels
    outside the score."""
    scored = sorted((level for level in scale if level.score is not None), key=_by_score)
    unscored = [level for level in scale if level.score is None]
    blues = _BLUES[min(max(len(scored), 1), len(_BLUES))]
    colours = {}
    for index, level in enumerate(scored):  # beyond five scored levels the lightest repeats
        colours[level.code] = blues[min(index, len(blues) - 1)]
    for index, level in enumerate(unscored):
        colours[level.code] = _GREYS[index % len(_GREYS)]
    return colours


def results_figure(digest: Digest, questionnaire: Questionnaire, lang: str = "en") -> Figure:
    """The chart as a matplotlib Figure (for tests and for callers that want another format)."""
    from matplotlib.figure import Figure
    from matplotlib.text import Text
    from matplotlib.ticker import MaxNLocator

    _ = translations(lang).gettext
    items = chart_order(digest)
    figure = Figure(figsize=CHART_SIZE, dpi=CHART_DPI, layout="constrained")
    axes = figure.add_subplot()

    positions = list(range(len(items)))
    lefts = [0] * len(items)
    colours = level_colours(questionnaire.scale)
    for level in questionnaire.scale:
        widths = [item.counts.get(level.code, 0) for item in items]
        axes.barh(
            positions,
            widths,
            left=lefts,
            height=0.74,
            color=colours[level.code],
            edgecolor="white",
            linewidth=0.6,
            label=level.label(lang),
        )
        lefts = [left + width for left, width in zip(lefts, widths, strict=True)]

    longest = max([item.answered for item in items] + [1])
    for position, item in zip(positions, items, strict=True):
        axes.text(
            item.answered + longest * 0.015,
            position,
            format_score(item.score, lang),
            va="center",
            ha="left",
            fontsize=10.5,
            color=_MUTED,
        )
    if not any(item.answered for item in items):
        axes.text(
            0.5,
            0.5,
            _("No answers counted yet."),
            transform=axes.transAxes,
            ha="center",
            va="center",
            fontsize=13,
            color=_MUTED,
        )

    axes.set_yticks(positions, labels=[recommendation_label(item.number) for item in items])
    axes.set_ylim(len(items) - 0.5, -0.5)  # the best at the top
    axes.set_xlim(0, longest * 1.14)  # room for the score after the longest bar
    axes.tick_params(axis="y", length=0, labelsize=11.5, labelcolor=_TEXT, pad=4)
    axes.tick_params(axis="x", labelsize=10.5, labelcolor=_MUTED, color="#bbbbbb")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="x", color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("right", "top", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color("#bbbbbb")
    axes.set_xlabel(
        _wrap(_("Number of Offices per answer; score at the end of each bar"), _NOTE_CHARS)
        + "\n"
        + _wrap(score_weights(questionnaire, lang), _NOTE_CHARS),
        fontsize=10.5,
        color=_MUTED,
        linespacing=1.5,
    )
    axes.legend(
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncols=min(len(questionnaire.scale), 4),
        frameon=False,
        fontsize=11.5,
        handlelength=1.1,
        columnspacing=1.1,
        handletextpad=0.4,
        borderaxespad=0.3,
    )
    when, counted = long_date(digest.generated_at, lang), responses_text(digest, lang)
    subtitle = (
        f"{when} · {counted}"
        if len(when) + len(counted) + 3 <= _TITLE_CHARS
        else (f"{when}\n{counted}")
    )
    figure.suptitle(
        _wrap(
            translations(lang)
            .ngettext(
                "Priority of the {count} Recommendation",
                "Priority of the {count} Recommendations",
                len(items),
            )
            .format(count=format_number(len(items), lang)),
            _TITLE_CHARS,
        )
        + "\n"
        + subtitle,
        fontsize=14,
        color=_TEXT,
        linespacing=1.5,
    )
    # The levels' labels come from the questionnaire file and "$...$" in one would be drawn
    # as a formula, or fail the whole chart: every text is drawn as written.
    for text in figure.findobj(Text):
        text.set_parse_math(False)
    return figure


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _by_score(level: Level) -> int:
    return -(level.score or 0)
