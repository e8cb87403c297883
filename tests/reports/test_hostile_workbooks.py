"""Small files that once stopped the bot (issue 21), and one of each measure just over its
limit: each refused before openpyxl reads it, with a message naming what is too large, in the
person's language; in the bounded worker too. Made by tests/reports/hostile.py, never stored."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.config import Settings
from bot.upload_checker import UploadChecker, pool_limits
from reports.workbook_upload import MAX_BYTES, ProblemKind, UploadProblems
from reports.xlsx_limits import LIMITS, Measure, check_xlsx_limits
from survey.model import Office
from survey.questionnaire import Questionnaire

from . import hostile
from .helpers import KEY
from .test_workbook_upload import (
    read_office_workbook,  # signed with KEY, as the bot signs
    workbook,  # noqa: F401 - the genuine workbook, a fixture
)

# What each file of the issue is refused for, as the person reads it (en, fr, es).
ISSUE_REFUSALS = {
    "19 MB string in 1,996 comment cells": (
        "en",
        "its part xl/sharedStrings.xml is larger than 6 MB unpacked",
    ),
    "19 MB string in 680 header cells": (
        "fr",
        "sa partie xl/sharedStrings.xml dépasse 6 Mo une fois décompressée",
    ),
    "1.4 million empty shared strings": (
        "es",
        "su parte xl/sharedStrings.xml supera 6 MB una vez descomprimida",
    ),
    "rich-text runs": ("en", "more than 20,000 pieces of formatted text"),
    "400,000 empty fonts": ("fr", "sa partie xl/styles.xml dépasse 1 Mo une fois décompressée"),
    "2.8 million fonts": ("en", "its part xl/styles.xml is larger than 1 MB unpacked"),
}


@pytest.fixture(scope="module")
def checker() -> Iterator[UploadChecker]:
    checker = UploadChecker(pool_limits(Settings()))
    yield checker
    checker.pool.close()


def refusal(result: object) -> str:
    assert isinstance(result, UploadProblems), "the file was accepted"
    assert [problem.kind for problem in result.problems] == [ProblemKind.TOO_COMPLEX]
    return result.problems[0].message


@pytest.mark.parametrize("name", list(hostile.ISSUE_FILES))
async def test_each_file_of_the_issue_is_refused_as_too_complex(
    name: str,
    workbook: bytes,  # noqa: F811
    questionnaire: Questionnaire,
    ep_office: Office,
    checker: UploadChecker,
) -> None:
    data = hostile.ISSUE_FILES[name](workbook)
    assert len(data) < MAX_BYTES  # small enough to be sent, and to pass the ZIP checks
    lang, reason = ISSUE_REFUSALS[name]
    # In this process: refused by the cheap checks, so openpyxl never sees it.
    message = refusal(read_office_workbook(data, questionnaire, lang, office=ep_office))
    assert reason in message
    # In the bot, through the bounded worker: the same answer.
    result = await checker.check_office_workbook(
        data, questionnaire, lang, office=ep_office, key=KEY
    )
    assert refusal(result) == message


def test_the_refusal_says_the_file_is_too_complex_in_each_language(
    workbook: bytes,  # noqa: F811
    questionnaire: Questionnaire,
) -> None:
    data = hostile.fonts(workbook, 5_000)
    said = {
        "en": "This file is too complex to be checked (more than 1,000 fonts).",
        "fr": "Ce fichier est trop complexe pour être vérifié (plus de 1\u202f000 polices).",
        "es": "Este archivo es demasiado complejo para comprobarlo (más de 1.000 fuentes).",
    }
    for lang, start in said.items():
        assert refusal(read_office_workbook(data, questionnaire, lang)).startswith(start)


# Each builder, the limit its count goes just over (the genuine workbook's own rows, cells
# and formats add to it), and the measure it must trip; at nine tenths, nothing is tripped.
MEASURES: list[tuple[str, Callable[[bytes, int], bytes], int, Measure]] = [
    ("fonts", hostile.fonts, LIMITS.fonts, Measure.FONTS),
    ("fills", hostile.fills, LIMITS.fills, Measure.FILLS),
    ("borders", hostile.borders, LIMITS.borders, Measure.BORDERS),
    ("cell formats", hostile.cell_formats, LIMITS.cell_formats, Measure.CELL_FORMATS),
    (
        "shared strings",
        hostile.empty_shared_strings_of,
        LIMITS.shared_strings,
        Measure.SHARED_STRINGS,
    ),
    ("text runs", hostile.rich_text_runs_of, LIMITS.text_runs, Measure.TEXT_RUNS),
    ("cells", hostile.cells, LIMITS.cells, Measure.CELLS),
    ("rows", hostile.rows, LIMITS.rows, Measure.ROWS),
    ("a long string", hostile.long_comment, LIMITS.string_length, Measure.STRING_LENGTH),
]


@pytest.mark.parametrize(
    ("build", "limit", "measure"), [m[1:] for m in MEASURES], ids=[m[0] for m in MEASURES]
)
def test_just_over_a_limit_is_refused_and_within_it_is_not(
    build: Callable[[bytes, int], bytes],
    limit: int,
    measure: Measure,
    workbook: bytes,  # noqa: F811
    questionnaire: Questionnaire,
) -> None:
    over = check_xlsx_limits(build(workbook, limit + 1))
    assert over is not None
    assert over.measure is measure
    assert check_xlsx_limits(build(workbook, limit * 9 // 10)) is None
    refusal(read_office_workbook(build(workbook, limit + 1), questionnaire))


def test_an_invisible_string_in_every_comment_cell_is_refused_by_the_text_it_shows(
    workbook: bytes,  # noqa: F811
    questionnaire: Questionnaire,
) -> None:
    """Each string within Excel's 32,767 characters, the part small: but 1,996 cells showing
    30,000 characters each would cost the comment checks 60 million characters."""
    data = hostile.long_comments(workbook, 30_000, 1996)
    message = refusal(read_office_workbook(data, questionnaire))
    assert "more than 2,000,000 characters of text in its cells" in message


def test_the_genuine_workbook_is_within_every_limit(
    workbook: bytes,  # noqa: F811
) -> None:
    assert check_xlsx_limits(workbook) is None
