"""The invitations of "invite every pending Office" as a CSV for a mail merge (``python -m bot
invite --all --output invitations.csv``, /invite in the chat): one line per Office with its
names in three languages, the code, the deep link and the expiry.

The file holds live codes: it is written where the Secretariat asks and nowhere else, and
nothing here logs. UTF-8 with a byte order mark, so that Excel reads the accents right.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from reports.csv_export import BOM, spreadsheet_safe
from reports.labels import iso_utc
from survey.secretariat import IssuedInvitation

__all__ = ["INVITATION_COLUMNS", "deep_link", "invitations_csv"]

INVITATION_COLUMNS: tuple[str, ...] = (
    "office_code",
    "name_en",
    "name_fr",
    "name_es",
    "code",
    "link",
    "expires_at",
)


def deep_link(bot_username: str, code: str) -> str:
    """The link that opens the bot with the code filled in (Telegram's ``start`` parameter)."""
    return f"https://t.me/{bot_username}?start={code}"


def invitations_csv(issued: Sequence[IssuedInvitation], bot_username: str) -> bytes:
    """One line per invitation, with a header line (RFC 4180); expiry in ISO 8601 UTC, empty
    for none."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(INVITATION_COLUMNS)
    for item in issued:
        office = item.office
        cells = [
            office.code,
            office.name("en"),
            office.name("fr"),
            office.name("es"),
            item.code,
            deep_link(bot_username, item.code),
            iso_utc(item.invitation.expires_at),
        ]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return BOM + buffer.getvalue().encode("utf-8")
