"""The purge once the results are reported: every representative's identity replaced by a
pseudonym (as `/forgetme` does for one person), every invitation code's hash deleted, and
the languages chosen by people who are not the Secretariat deleted. Answers, comments and
submissions stay, attributed to the pseudonyms, so the report can still be produced.

Refused while the survey is open (or has no closing time) unless forced. With a retention
set, the scheduler asks for it once, that long after the deadline: the claim is a row in the
database, so exactly one replica (or restarted process) does it.

What lives outside the database (dialog state, the language cache) is the caller's to clear:
it is Telegram-side, not the survey's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from survey import rules
from survey.enrolment import REDEEM_FAILED
from survey.errors import Reason, Refused
from survey.model import Actor
from survey.ports import SurveyStore
from survey.privacy import EVERYONE_FORGOTTEN, forget_everyone
from survey.setup import SurveySetup, effective_deadline

PURGED = EVERYONE_FORGOTTEN  # the same audit entry as the use case that forgets everyone
PURGE_SCHEDULER = Actor.system("purge")


@dataclass(frozen=True, slots=True)
class PurgeCounts:
    """What a purge changes (a dry run) or changed."""

    representatives: int  # identities replaced by a pseudonym
    invitations: int  # invitation codes (their hashes) deleted
    preferences: int  # stored choices (language) of people outside the Secretariat deleted
    deadline: datetime | None
    applied: bool = False
    # Rows changed per table by the pseudonymisation (survey.privacy.forget_everyone).
    changed: Mapping[str, int] = field(default_factory=dict)


class Purge:
    def __init__(self, setup: SurveySetup) -> None:
        self._setup = setup
        self._stores = setup.stores

    async def plan(self, actor: Actor) -> PurgeCounts:
        """A dry run: the purge done in a unit of work that is not committed, so the counts
        are exactly what `apply` would change now; nothing is kept."""
        rules.check_secretariat(actor, self._setup.admin_ids)
        async with self._stores() as store:
            return await self._purge(store, self._setup.now())

    async def apply(self, actor: Actor, *, force: bool = False) -> PurgeCounts:
        """The purge, in one unit of work, audited in counts (the audit names nobody).
        Refused before the closing time (or without one) unless `force`."""
        rules.check_secretariat(actor, self._setup.admin_ids)
        now = self._setup.now()
        async with self._stores() as store:
            if not force:
                _check_closed(await effective_deadline(store, self._setup), now)
            counts = await self._purge(store, now)
            await self._audit(store, actor, counts, now)
            await store.commit()
        return replace(counts, applied=True)

    async def claim_due(self, retention: timedelta) -> PurgeCounts | None:
        """For the scheduler: the purge `retention` after the closing time, claimed in the
        same unit of work as the purge itself, so that exactly one process does it (a process
        killed halfway claimed nothing). None: not due, or done already (by any process)."""
        now = self._setup.now()
        questionnaire_id = self._setup.questionnaire.id
        async with self._stores() as store:
            deadline = await effective_deadline(store, self._setup)
            if deadline is None or now < deadline + retention:
                return None
            if await store.purge_claimed(questionnaire_id, deadline):
                return None  # done: every later look only reads
            claimed = await store.claim_purge(
                questionnaire_id, deadline, by=PURGE_SCHEDULER.label, now=now
            )
            if not claimed:
                return None
            counts = await self._purge(store, now)
            await store.finish_purge(questionnaire_id, deadline, now)
            await self._audit(store, PURGE_SCHEDULER, counts, now)
            await store.commit()
        return replace(counts, applied=True)

    async def _purge(self, store: SurveyStore, now: datetime) -> PurgeCounts:
        # Invitations first: nobody verifies with an old code while identities are replaced.
        invitations = await store.delete_invitations()
        changed = await forget_everyone(store, now)
        # Failed code attempts name people who never became representatives (their Telegram
        # id); they only slowed down guessing codes that are now deleted.
        if failed := await store.delete_audit(REDEEM_FAILED):
            changed["audit_event"] = changed.get("audit_event", 0) + failed
        preferences = await store.delete_preferences(keep=self._setup.admin_ids)
        representatives = changed.pop("representatives", 0)
        preferences += changed.pop("user_preference", 0)
        return PurgeCounts(
            representatives,
            invitations,
            preferences,
            await effective_deadline(store, self._setup),
            changed=changed,
        )

    async def _audit(
        self, store: SurveyStore, actor: Actor, counts: PurgeCounts, now: datetime
    ) -> None:
        await store.audit(
            actor,
            PURGED,
            now=now,
            details={
                "representatives": counts.representatives,
                "invitations": counts.invitations,
                "preferences": counts.preferences,
                "rows": dict(counts.changed),
                "deadline": counts.deadline.isoformat() if counts.deadline else None,
            },
        )


def _check_closed(deadline: datetime | None, now: datetime) -> None:
    if deadline is None or rules.is_open(deadline, now):
        raise Refused(Reason.PURGE_BEFORE_DEADLINE, deadline=deadline, now=now)
