"""The survey's rules as pure functions: no storage, no clock of their own, no Telegram."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta

from survey.errors import Reason, Refused
from survey.model import Actor, Invitation, Office, Representative, ResponseRecord
from survey.text import clean_text

MAX_COMMENT_LENGTH = 1000
MAX_FAILED_REDEMPTIONS = 5
REDEMPTION_WINDOW = timedelta(minutes=15)
DEFAULT_INVITATION_USES = 5
# More people than any Office has; beyond it, "unlimited" is what is meant.
MAX_INVITATION_USES = 10_000
# Python's calendar ends with the year 9999: a moment in that year may not be shiftable to UTC,
# extendable by a month or countable back from, so closing times and expiries end before it.
LATEST_MOMENT = datetime(9999, 1, 1, tzinfo=UTC)
# The largest id the databases store (invitation ids are 32-bit, Telegram user ids 64-bit):
# a larger number names nothing, and the drivers would fail on it rather than find nothing.
LARGEST_INVITATION_ID = 2**31 - 1
LARGEST_TELEGRAM_USER_ID = 2**63 - 1


def check_secretariat(actor: Actor, admin_ids: Collection[int]) -> None:
    """The command line runs with database access already, and so does the bot's own scheduled
    work; Telegram users must be listed."""
    if actor.kind in ("cli", "system"):
        return
    if actor.kind == "telegram" and actor.id.isdigit() and int(actor.id) in admin_ids:
        return
    raise Refused(Reason.NOT_SECRETARIAT)


def check_redemption_allowed(failures_in_window: Sequence[datetime], now: datetime) -> None:
    """Refuse a further try once a user has failed too often within the window."""
    recent = sorted(at for at in failures_in_window if at > now - REDEMPTION_WINDOW)
    if len(recent) >= MAX_FAILED_REDEMPTIONS:
        # The oldest failure that still counts leaves the window first.
        retry_at = recent[-MAX_FAILED_REDEMPTIONS] + REDEMPTION_WINDOW
        raise Refused(Reason.TOO_MANY_ATTEMPTS, retry_at=retry_at)


def check_invitation_usable(invitation: Invitation, now: datetime) -> None:
    if invitation.revoked_at is not None:
        raise Refused(Reason.CODE_REVOKED)
    if invitation.expires_at is not None and invitation.expires_at <= now:
        raise Refused(Reason.CODE_EXPIRED, expired_at=invitation.expires_at)
    if invitation.max_uses is not None and invitation.uses >= invitation.max_uses:
        raise Refused(Reason.CODE_USED_UP)


def invitation_usable(invitation: Invitation, now: datetime) -> bool:
    """Whether someone could still be verified with it now."""
    try:
        check_invitation_usable(invitation, now)
    except Refused:
        return False
    return True


def check_invitation_terms(
    max_uses: int | None, expires_at: datetime | None, now: datetime
) -> None:
    if max_uses is not None and max_uses < 1:
        raise Refused(Reason.BAD_INVITATION_TERMS, "the number of uses must be at least 1")
    if max_uses is not None and max_uses > MAX_INVITATION_USES:
        raise Refused(
            Reason.BAD_INVITATION_TERMS,
            f"the number of uses can be at most {MAX_INVITATION_USES}, or unlimited",
        )
    if expires_at is not None:
        if expires_at.utcoffset() is None:
            raise Refused(Reason.BAD_INVITATION_TERMS, "the expiry needs a timezone")
        if expires_at <= now:
            raise Refused(Reason.BAD_INVITATION_TERMS, "the expiry is already in the past")
        if expires_at >= LATEST_MOMENT:
            raise Refused(
                Reason.BAD_INVITATION_TERMS,
                f"the expiry must be before {LATEST_MOMENT:%Y-%m-%d} (UTC)",
            )


def check_active(
    representative: Representative | None, office: Office | None = None
) -> Representative:
    """Only a verified representative who has not been removed may act. `office` is the removed
    person's Office, for the refusal's message."""
    if representative is None:
        raise Refused(Reason.NOT_VERIFIED)
    if not representative.active:
        raise Refused(Reason.REPRESENTATIVE_REMOVED, office=office)
    return representative


def check_rejoin(
    representative: Representative | None, invitation: Invitation, office: Office | None = None
) -> None:
    """A removed person comes back only with a code created after the removal: a code that
    leaked before it, which may be why they were removed, must not undo it."""
    if representative is None or representative.revoked_at is None:
        return
    if invitation.created_at <= representative.revoked_at:
        raise Refused(Reason.REPRESENTATIVE_REMOVED, office=office)


def is_open(deadline: datetime | None, now: datetime) -> bool:
    return deadline is None or now < deadline


def check_open(deadline: datetime | None, now: datetime) -> None:
    if not is_open(deadline, now):
        raise Refused(Reason.DEADLINE_PASSED, deadline=deadline)


def check_new_deadline(deadline: datetime | None, now: datetime) -> None:
    """A closing time is set ahead (None: no closing time). One already past would close the
    survey at once: that is not what extending or setting it means."""
    if deadline is None:
        return
    if deadline.utcoffset() is None:
        raise ValueError("the deadline needs a time zone")
    if deadline <= now:
        raise Refused(Reason.DEADLINE_NOT_FUTURE, deadline=deadline, now=now)
    check_within_calendar(deadline)


def check_within_calendar(deadline: datetime) -> None:
    """Refuse a closing time too far ahead to be stored, shown in UTC or extended."""
    if deadline >= LATEST_MOMENT:
        raise Refused(Reason.DEADLINE_TOO_FAR, deadline=deadline, latest=LATEST_MOMENT)


def extended(deadline: datetime, by: timedelta) -> datetime:
    """`deadline` later by `by`, refused (not an OverflowError) past the calendar's end."""
    try:
        later = deadline + by
    except OverflowError:
        raise Refused(Reason.DEADLINE_TOO_FAR, deadline=deadline, latest=LATEST_MOMENT) from None
    check_within_calendar(later)
    return later


def check_draft(response: ResponseRecord) -> None:
    if response.submitted:
        raise Refused(
            Reason.ALREADY_SUBMITTED,
            submitted_by=response.submitted_by_name,
            submitted_at=response.submitted_at,
        )


# Tag characters end emoji flag sequences (e.g. Scotland's flag): format characters, but part
# of what was typed, so never trimmed from the end of a comment.
_TAGS = range(0xE0020, 0xE0080)
# Invisible characters that are not format characters: Hangul fillers, the combining grapheme
# joiner, variation selectors. Alone they make a comment that looks empty; next to visible text
# they may belong to it, so they count as blank but are not trimmed.
_BLANK_MARKS = frozenset(
    (
        *(0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0),
        *range(0x180B, 0x1810),
        *range(0xFE00, 0xFE10),
        *range(0xE0100, 0xE01F0),
    )
)


def _trimmable(char: str) -> bool:
    """Whitespace (no-break spaces included), control and format characters such as zero-width
    spaces, joiners, the word joiner, byte order marks and soft hyphens."""
    if char.isspace():
        return True
    return unicodedata.category(char) in ("Cf", "Cc") and ord(char) not in _TAGS


def _invisible(char: str) -> bool:
    return (
        char.isspace()
        or unicodedata.category(char) in ("Cf", "Cc", "Zs")
        or ord(char) in _BLANK_MARKS
    )


def check_comment(comment: str) -> str | None:
    """Comments are optional; one that shows nothing means none. Returns the text to store:
    as typed (made safe by ``clean_text``), without the blank and invisible characters around
    it."""
    comment = clean_text(comment)  # NUL, which PostgreSQL cannot store, among what it drops
    # Each distinct character is looked at once, the text itself only by str's own methods:
    # a cell of an uploaded workbook may hold tens of thousands of the same invisible one.
    distinct = set(comment)
    text = comment.strip("".join(char for char in distinct if _trimmable(char)))
    if all(_invisible(char) for char in set(text)):
        return None
    if len(text) > MAX_COMMENT_LENGTH:
        raise Refused(Reason.COMMENT_TOO_LONG, length=len(text), limit=MAX_COMMENT_LENGTH)
    return text


def check_complete(numbers: Sequence[int], answered: Collection[int]) -> None:
    missing = [number for number in numbers if number not in answered]
    if missing:
        raise Refused(Reason.INCOMPLETE, missing=tuple(missing))
