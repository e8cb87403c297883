"""The results chart: a PNG a phone shows well, one stacked bar per Recommendation from the best
ranked down, one colour per level, the legend and title in the reader's language."""

from __future__ import annotations

import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.text import Text

from reports.chart import chart_order, level_colours, results_chart, results_figure
from survey.model import Funnel
from survey.questionnaire import Questionnaire
from survey.results import Digest, build_digest

from .helpers import COUNTS, GENERATED

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's header chunk."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def bars(figure: Figure) -> list[BarContainer]:
    (axes,) = figure.axes
    return [c for c in axes.containers if isinstance(c, BarContainer)]


def texts(figure: Figure) -> list[str]:
    return [text.get_text() for text in figure.findobj(Text) if isinstance(text, Text)]


def legend_labels(figure: Figure) -> list[str]:
    legend = figure.axes[0].get_legend()
    assert legend is not None
    return [text.get_text() for text in legend.get_texts()]


def test_chart_is_a_png_that_suits_a_phone(digest: Digest, questionnaire: Questionnaire) -> None:
    data = results_chart(digest, questionnaire)

    width, height = png_size(data)
    assert data.endswith(b"IEND\xaeB`\x82")  # complete
    assert 720 <= width <= 1280  # sharp on a phone, not wasteful
    assert 1.6 <= height / width <= 2.2  # portrait, about a phone screen's shape
    assert width + height <= 10_000  # Telegram's limits for a photo
    assert len(data) < 1_000_000


def test_one_bar_per_recommendation_best_ranked_at_the_top(
    digest: Digest, questionnaire: Questionnaire
) -> None:
    figure = results_figure(digest, questionnaire)
    (axes,) = figure.axes
    containers = bars(figure)

    assert len(containers) == len(questionnaire.scale)  # one stacked segment per level
    assert all(len(container) == 40 for container in containers)
    labels = [label.get_text() for label in axes.get_yticklabels()]
    ticks = list(axes.get_yticks())
    top_to_bottom = [label for _, label in sorted(zip(ticks, labels, strict=True))]
    bottom, top = axes.get_ylim()
    assert top < bottom  # the first position is drawn at the top
    assert top_to_bottom[:4] == ["R05", "R01", "R02", "R03"]  # by rank, ties by number
    assert top_to_bottom[4:7] == ["R04", "R06", "R07"]  # then the unscored, by number
    assert sorted(top_to_bottom) == [f"R{n:02d}" for n in range(1, 41)]


def test_bars_stack_the_counts_of_each_level(digest: Digest, questionnaire: Questionnaire) -> None:
    figure = results_figure(digest, questionnaire)
    high, medium, low, no_opinion = bars(figure)

    # R05 (the top bar): 3 High then 1 Low, stacked left to right.
    assert (high[0].get_x(), high[0].get_width()) == (0, 3)
    assert medium[0].get_width() == 0
    assert (low[0].get_x(), low[0].get_width()) == (3, 1)
    order = [item.number for item in chart_order(digest)]
    r07 = order.index(7)
    assert (no_opinion[r07].get_x(), no_opinion[r07].get_width()) == (0, 2)
    assert "2.50" in texts(figure)  # each bar's score at its end


def test_one_distinct_colour_per_level_darkest_for_the_highest_score(
    digest: Digest, questionnaire: Questionnaire
) -> None:
    colours = level_colours(questionnaire.scale)
    containers = bars(results_figure(digest, questionnaire))

    assert len(set(colours.values())) == len(questionnaire.scale)
    faces = [container[0].get_facecolor() for container in containers]
    assert len(set(faces)) == len(questionnaire.scale)

    def lightness(colour: str) -> int:
        return sum(int(colour[i : i + 2], 16) for i in (1, 3, 5))

    high, medium, low = colours["high"], colours["medium"], colours["low"]
    assert lightness(high) < lightness(medium) < lightness(low)  # readable without hue


def test_legend_and_title_in_english(digest: Digest, questionnaire: Questionnaire) -> None:
    figure = results_figure(digest, questionnaire)

    assert legend_labels(figure) == [
        "High",
        "Medium",
        "Low",
        "No opinion",
    ]
    title = figure.get_suptitle()
    assert "Priority of the 40 Recommendations" in title
    assert "1 June 2026" in title
    assert "10 responses submitted" in title  # the funnel's submitted Offices


def test_legend_and_title_in_french(digest: Digest, questionnaire: Questionnaire) -> None:
    figure = results_figure(digest, questionnaire, lang="fr")

    assert legend_labels(figure) == [
        "Élevée",
        "Moyenne",
        "Faible",
        "Sans opinion",
    ]
    title = figure.get_suptitle()
    assert "Priorité des 40 recommandations" in title
    assert "1 juin 2026" in title
    assert "10 réponses soumises" in title
    assert "2,50" in texts(figure)  # French decimal comma


def test_legend_in_spanish(digest: Digest, questionnaire: Questionnaire) -> None:
    figure = results_figure(digest, questionnaire, lang="es")

    assert legend_labels(figure) == ["Alta", "Media", "Baja", "Sin opinión"]


def test_title_says_when_drafts_are_included(questionnaire: Questionnaire) -> None:
    digest = build_digest(
        questionnaire,
        COUNTS,
        Funnel(offices=193, invited=20, verified=15, started=12, submitted=10),
        generated_at=GENERATED,
        include_drafts=True,
    )

    assert "12 responses, drafts included" in results_figure(digest, questionnaire).get_suptitle()
    one = build_digest(
        questionnaire, COUNTS, Funnel(5, 1, 1, 1, 1), generated_at=GENERATED, include_drafts=False
    )
    assert "1 response submitted" in results_figure(one, questionnaire).get_suptitle()


def test_chart_without_answers_says_so(questionnaire: Questionnaire) -> None:
    digest = build_digest(
        questionnaire, [], Funnel(0, 0, 0, 0, 0), generated_at=GENERATED, include_drafts=False
    )
    figure = results_figure(digest, questionnaire)

    assert "No answers counted yet." in texts(figure)
    assert len(bars(figure)[0]) == 40
    png_size(results_chart(digest, questionnaire))


def test_charts_drawn_in_threads_are_identical(
    digest: Digest, questionnaire: Questionnaire
) -> None:
    """No shared pyplot state: charts drawn at once in worker threads (as off the bot's event
    loop) come out exactly as one drawn alone."""
    alone = results_chart(digest, questionnaire, "fr")
    with ThreadPoolExecutor(max_workers=2) as pool:
        drawn = list(pool.map(lambda lang: results_chart(digest, questionnaire, lang), ["fr"] * 3))

    assert drawn == [alone] * 3


@pytest.mark.parametrize("module", ["reports", "reports.chart", "reports.collated"])
def test_importing_the_reports_does_not_import_matplotlib(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
        "assert 'aiogram' not in sys.modules, 'aiogram imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
