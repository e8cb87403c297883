"""The survey's rules as pure functions: no storage, no clock of their own, no Telegram."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from survey.errors import Reason, Refused
from survey.model import Actor, Invitation, Representative, ResponseRecord

MAX_COMMENT_LENGTH = 1000
MAX_FAILED_REDEMPTIONS = 5
REDEMPTION_WINDOW = timedelta(minutes=15)
DEFAULT_INVITATION_USES = 5


def check_secretariat(actor: Actor, admin_ids: Collection[int]) -> None:
    """The command line runs with database access already; Telegram users must be listed."""
    if actor.kind == "cli":
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


def check_invitation_terms(
    max_uses: int | None, expires_at: datetime | None, now: datetime
) -> None:
    if max_uses is not None and max_uses < 1:
        raise Refused(Reason.BAD_INVITATION_TERMS, "the number of uses must be at least 1")
    if expires_at is not None:
        if expires_at.utcoffset() is None:
            raise Refused(Reason.BAD_INVITATION_TERMS, "the expiry needs a timezone")
        if expires_at <= now:
            raise Refused(Reason.BAD_INVITATION_TERMS, "the expiry is already in the past")


def check_active(representative: Representative | None) -> Representative:
    if representative is None or not representative.active:
        raise Refused(Reason.NOT_VERIFIED)
    return representative


def check_open(deadline: datetime | None, now: datetime) -> None:
    if deadline is not None and now >= deadline:
        raise Refused(Reason.DEADLINE_PASSED, deadline=deadline)


def check_draft(response: ResponseRecord) -> None:
    if response.submitted:
        raise Refused(
            Reason.ALREADY_SUBMITTED,
            submitted_by=response.submitted_by_name,
            submitted_at=response.submitted_at,
        )


def check_comment(comment: str) -> str | None:
    """Comments are optional; blank means none. Returns the text to store."""
    text = comment.strip()
    if len(text) > MAX_COMMENT_LENGTH:
        raise Refused(Reason.COMMENT_TOO_LONG, length=len(text), limit=MAX_COMMENT_LENGTH)
    return text or None


def check_complete(numbers: Sequence[int], answered: Collection[int]) -> None:
    missing = [number for number in numbers if number not in answered]
    if missing:
        raise Refused(Reason.INCOMPLETE, missing=tuple(missing))
