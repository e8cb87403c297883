"""What the report tests share: fixed times, tricky comments and a maker of export rows."""

from __future__ import annotations

from datetime import UTC, datetime

from survey.model import ExportRow, ResponseStatus

GENERATED = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
SUBMITTED = datetime(2026, 5, 20, 14, 0, tzinfo=UTC)
CHANGED = datetime(2026, 5, 19, 8, 15, tzinfo=UTC)
TRICKY = 'Agreed, but "phase 2" only;\nsee our plan'
INJECTION = '=HYPERLINK("http://evil.example","click")'
KEY = bytes(range(32))  # the bot's secret that signs the Office workbooks, in these tests

# (number, level, count): R05 2.50, R01 2.33, R02 and R03 share 2.00, R07 only "no opinion".
COUNTS = [
    (5, "high", 3),
    (5, "low", 1),
    (1, "high", 1),
    (1, "medium", 2),
    (2, "high", 2),
    (2, "low", 2),
    (3, "medium", 4),
    (7, "no_opinion", 2),
]


def row(
    code: str,
    number: int,
    level: str | None,
    comment: str | None = None,
    *,
    status: ResponseStatus = ResponseStatus.SUBMITTED,
    names: dict[str, str] | None = None,
    kind: str = "national",
    by: str | None = "Jane Doe",
) -> ExportRow:
    submitted = status is ResponseStatus.SUBMITTED
    return ExportRow(
        office_code=code,
        office_kind=kind,
        office_names=names or {},
        status=status,
        submitted_at=SUBMITTED if submitted else None,
        recommendation=number,
        level=level,
        comment=comment,
        changed_at=CHANGED,
        changed_by_name=by,
    )
