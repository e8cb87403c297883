"""Messages to many people, kept in the database from before the first is sent until the last
is answered: a reminder (automatic or asked for), the notices of a submission, a reopening or
a removal. Whoever sends (any process, a restarted one, another replica) takes one recipient
at a time with a claim, so nobody is sent the same message twice, and a broadcast cut short
is finished by the next process that looks.

A claim is taken just before the message goes out and settled with the answer. A claim that
outlived `LEASE` unanswered belonged to a process that died while the message was on its way:
it most likely arrived (the claim is taken only once the request is about to leave), so it is
settled as "unconfirmed" and not sent again. Sending it again would be the one way to send
someone the same message twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from survey import rules
from survey.model import Actor
from survey.ports import SurveyStore
from survey.setup import SurveySetup

# Longer than a live sender holds a claim: one request (the bot's timeout is 60 s) and its
# write; a retry after a flood wait claims again.
LEASE = timedelta(minutes=2)
REMINDER_SENT = "reminder.send"
# A re-armed automatic reminder (the deadline moved) is not sent again to whoever had the
# same offset's reminder within the offset itself, and at most this long ago.
RECENT_REMINDER = timedelta(hours=24)


class BroadcastKind(StrEnum):
    REMINDER = "reminder"  # the automatic one, REMINDER_OFFSETS before the deadline
    REMIND = "remind"  # asked for: /remind in the chat or on the command line
    SUBMISSION = "submission"  # colleagues and the Secretariat told of a submission
    REOPEN = "reopen"  # an Office's representatives told their answers were reopened
    REMOVAL = "removal"  # a representative told they were removed
    ERASURE = "erasure"  # the Secretariat told a representative asked to be forgotten


class Status(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a process about to send it
    SENT = "sent"
    BLOCKED = "blocked"  # the person blocked the bot or deleted their account
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"  # its sender died with it on its way: most likely arrived


SETTLED = frozenset({Status.SENT, Status.BLOCKED, Status.FAILED, Status.UNCONFIRMED})
REMINDERS = frozenset({BroadcastKind.REMINDER, BroadcastKind.REMIND})


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message of a broadcast, not yet sent."""

    id: int
    broadcast_id: int
    chat_id: int
    text: str


@dataclass(frozen=True, slots=True)
class BroadcastReport:
    """A finished broadcast: each recipient counted once, by what Telegram answered."""

    id: int
    kind: BroadcastKind
    actor: str  # the label of who started it
    report_chat: int | None  # who asked to be told the outcome in the chat
    report_language: str | None
    sent: int
    blocked: int
    failed: int
    unconfirmed: int

    @property
    def delivered(self) -> int:
        return self.sent + self.unconfirmed


def actor_of(label: str) -> Actor:
    kind, _, ident = label.partition(":")
    return Actor(kind, ident, ident)


def recently(offset: timedelta) -> timedelta:
    return min(offset, RECENT_REMINDER)


async def record_broadcast(
    store: SurveyStore,
    kind: BroadcastKind,
    actor: Actor,
    messages: Sequence[tuple[int, str]],
    *,
    now: datetime,
    offset: timedelta | None = None,
    report_chat: int | None = None,
    report_language: str | None = None,
) -> int:
    """Record a broadcast in the caller's unit of work (not committed). A message listed
    twice for the same chat is kept once."""
    unique = list(dict.fromkeys((int(chat), str(text)) for chat, text in messages))
    return await store.add_broadcast(
        kind=kind.value,
        actor=actor.label,
        messages=unique,
        now=now,
        offset_seconds=int(offset.total_seconds()) if offset is not None else None,
        report_chat=report_chat,
        report_language=report_language,
    )


class Broadcasts:
    def __init__(self, setup: SurveySetup) -> None:
        self._setup = setup
        self._stores = setup.stores

    def now(self) -> datetime:
        return self._setup.now()

    async def record(
        self,
        kind: BroadcastKind,
        actor: Actor,
        messages: Sequence[tuple[int, str]],
        *,
        report_chat: int | None = None,
        report_language: str | None = None,
    ) -> int:
        """Stored before anything is sent: whatever happens to this process, the messages go
        out (by it or another one). The broadcast's id."""
        if kind in REMINDERS:
            rules.check_secretariat(actor, self._setup.admin_ids)
        async with self._stores() as store:
            broadcast = await record_broadcast(
                store,
                kind,
                actor,
                messages,
                now=self._setup.now(),
                report_chat=report_chat,
                report_language=report_language,
            )
            await store.commit()
        return broadcast

    async def next_pending(self, broadcast_id: int) -> Outgoing | None:
        """The first recipient nobody has claimed, if any (a read: `claim` decides)."""
        async with self._stores() as store:
            found = await store.next_broadcast_recipient(broadcast_id)
        if found is None:
            return None
        recipient, chat, text = found
        return Outgoing(recipient, broadcast_id, chat, text)

    async def claim(self, recipient_id: int, *, again: bool = False) -> bool:
        """Take the recipient to send to now: True for exactly one process. `again`: this
        process holds it already and tries once more (after a flood wait)."""
        async with self._stores() as store:
            won = await store.claim_broadcast_recipient(recipient_id, self._setup.now(), again)
            await store.commit()
        return won

    async def settle(self, recipient_id: int, status: Status) -> None:
        if status not in SETTLED:
            raise ValueError(f"not an outcome: {status}")
        async with self._stores() as store:
            await store.settle_broadcast_recipient(recipient_id, status.value, self._setup.now())
            await store.commit()

    async def finish(self, broadcast_id: int) -> BroadcastReport | None:
        """When every recipient is settled (claims older than `LEASE` as unconfirmed): the
        report, for exactly one caller; a reminder's is in the audit trail. None: some are
        still to send or on their way, or another process finished it."""
        now = self._setup.now()
        async with self._stores() as store:
            await store.expire_broadcast_claims(broadcast_id, now - LEASE, now)
            found = await store.finish_broadcast(broadcast_id, now)
            if found is None:
                await store.commit()
                return None
            kind, actor, chat, language, counts = found
            report = BroadcastReport(
                broadcast_id,
                BroadcastKind(kind),
                actor,
                chat,
                language,
                sent=counts.get(Status.SENT.value, 0),
                blocked=counts.get(Status.BLOCKED.value, 0),
                failed=counts.get(Status.FAILED.value, 0),
                unconfirmed=counts.get(Status.UNCONFIRMED.value, 0),
            )
            if report.kind in REMINDERS:
                await store.audit(
                    actor_of(actor),
                    REMINDER_SENT,
                    now=now,
                    details={
                        "broadcast": broadcast_id,
                        "sent": report.delivered,
                        "blocked": report.blocked,
                        "failed": report.failed,
                        "unconfirmed": report.unconfirmed,
                        "automatic": report.kind is BroadcastKind.REMINDER,
                    },
                )
            await store.commit()
        return report

    async def unfinished(self, *, idle_for: timedelta = timedelta(0)) -> list[int]:
        """Broadcasts not finished, oldest first, of which nothing was claimed or settled for
        `idle_for` (0: every one, as at a start)."""
        async with self._stores() as store:
            return await store.unfinished_broadcasts(self._setup.now() - idle_for)
