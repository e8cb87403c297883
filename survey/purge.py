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

from dataclasses import dataclass
from datetime import datetime, timedelta

from survey import rules
from survey.errors import Reason, Refused
from survey.model import Actor
from survey.ports import SurveyStore
from survey.setup import SurveySetup, effective_deadline

PURGED = "privacy.purge"
PURGE_SCHEDULER = Actor.system("purge")


@dataclass(frozen=True, slots=True)
class PurgeCounts:
    """What a purge changes (a dry run) or changed."""

    representatives: int  # identities replaced by a pseudonym
    invitations: int  # invitation codes' hashes deleted
    preferences: int  # languages chosen by people outside the Secretariat, deleted
    deadline: datetime | None
    applied: bool = False

    @property
    def nothing(self) -> bool:
        return not (self.representatives or self.invitations or self.preferences)


class Purge:
    def __init__(self, setup: SurveySetup) -> None:
        self._setup = setup
        self._stores = setup.stores

    def _check(self, actor: Actor) -> None:
        rules.check_secretariat(actor, self._setup.admin_ids)

    async def plan(self, actor: Actor) -> PurgeCounts:
        """A dry run: what `apply` would change now, in counts; nothing is written."""
        self._check(actor)
        async with self._stores() as store:
            return await self._counts(store)

    async def apply(self, actor: Actor, *, force: bool = False) -> PurgeCounts:
        """The purge, in one unit of work, audited (in counts: the audit names nobody).
        Refused before the closing time (or without one) unless `force`."""
        self._check(actor)
        now = self._setup.now()
        async with self._stores() as store:
            counts = await self._counts(store)
            if not force:
                _check_closed(counts.deadline, now)
            return await self._purge(store, actor, counts, now)

    async def claim_due(self, retention: timedelta) -> PurgeCounts | None:
        """For the scheduler: the purge `retention` after the closing time, claimed in the
        database so that exactly one process does it, once per questionnaire. None: not due,
        or done already (by this process or another)."""
        now = self._setup.now()
        questionnaire_id = self._setup.questionnaire.id
        async with self._stores() as store:
            deadline = await effective_deadline(store, self._setup)
            if deadline is None or now < deadline + retention:
                return None
            if not await store.claim_purge(questionnaire_id, deadline, now=now):
                return None
            counts = await self._counts(store)
            return await self._purge(store, PURGE_SCHEDULER, counts, now)

    async def _counts(self, store: SurveyStore) -> PurgeCounts:
        keep = self._setup.admin_ids
        return PurgeCounts(
            representatives=await store.count_identified_representatives(),
            invitations=await store.count_invitations(),
            preferences=await store.count_preferences(keep=keep),
            deadline=await effective_deadline(store, self._setup),
        )

    async def _purge(
        self, store: SurveyStore, actor: Actor, counts: PurgeCounts, now: datetime
    ) -> PurgeCounts:
        # Invitations first: nobody verifies with an old code while identities are replaced.
        invitations = await store.delete_invitations()
        representatives = await store.forget_all(actor=actor, now=now)
        preferences = await store.delete_preferences(keep=self._setup.admin_ids)
        done = PurgeCounts(
            representatives, invitations, preferences, counts.deadline, applied=True
        )
        await store.audit(
            actor,
            PURGED,
            now=now,
            details={
                "representatives": representatives,
                "invitations": invitations,
                "preferences": preferences,
                "deadline": counts.deadline.isoformat() if counts.deadline else None,
            },
        )
        await store.commit()
        return done


def _check_closed(deadline: datetime | None, now: datetime) -> None:
    if deadline is None or rules.is_open(deadline, now):
        raise Refused(Reason.PURGE_BEFORE_DEADLINE, deadline=deadline, now=now)
