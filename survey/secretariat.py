"""The Secretariat's use cases: Offices, invitations, representatives, the deadline,
reminders, reopening a submitted response, submission notices, and the results. Every call
checks that the actor is a Secretariat member."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from survey import rules
from survey.broadcasts import REMINDER_SENT, BroadcastKind, recently, record_broadcast
from survey.codes import hash_code, new_code, normalize_code
from survey.errors import Reason, Refused
from survey.model import (
    Actor,
    ExportRow,
    Invitation,
    Office,
    OfficeStage,
    OfficeStatus,
    Representative,
    RepresentativeSummary,
    ResponseRecord,
    office_stage,
)
from survey.offices import OfficeInfo
from survey.ports import SurveyStore
from survey.questionnaire import Questionnaire
from survey.results import Digest, build_digest
from survey.setup import (
    InForce,
    SurveySetup,
    effective_deadline,
    office_by_code,
    office_by_id,
)
from survey.text import clean_text
from survey.views import OfficeAnswers

REPRESENTATIVE_REMOVE = "representative.remove"
DEADLINE_SET = "deadline.set"
REMINDER_CLAIMED = "reminder.claim"
INVITATIONS_FOR_PENDING = "invitation.create_pending"
INVITATIONS_UNDELIVERED = "invitation.revoke_undelivered"
SCHEDULER = Actor.system("reminders")


@dataclass(frozen=True, slots=True)
class IssuedInvitation:
    code: str  # shown once; only its hash is stored
    office: Office
    invitation: Invitation


@dataclass(frozen=True, slots=True)
class Revocation:
    count: int  # codes revoked now (already revoked ones are not counted again)
    office: Office
    # Revoking codes does not undo what they were used for: these people can still answer.
    active_representatives: int
    invitation: Invitation | None = None  # revoked by id: the invitation as it is now


@dataclass(frozen=True, slots=True)
class InvitationSummary:
    """One of an Office's invitations, without its code (only the hash is stored)."""

    invitation: Invitation
    usable: bool  # someone could be verified with it now

    @property
    def uses_left(self) -> int | None:
        """None: any number of uses."""
        invitation = self.invitation
        if invitation.max_uses is None:
            return None
        return max(0, invitation.max_uses - invitation.uses)


@dataclass(frozen=True, slots=True)
class OfficeDetail:
    """Everything about one Office the Secretariat looks at before acting on it."""

    office: Office
    stage: OfficeStage
    # Everyone verified for the Office, removed ones included, oldest first (each with
    # verified_at, revoked_at and language).
    representatives: tuple[RepresentativeSummary, ...]
    answered: int
    total: int
    last_activity: datetime | None  # the latest change to one of its answers
    invitations: tuple[InvitationSummary, ...]  # newest first
    response: ResponseRecord | None  # status, submitted at/by, receipt (with its reference)

    @property
    def active_representatives(self) -> tuple[Representative, ...]:
        return tuple(s.representative for s in self.representatives if s.representative.active)

    @property
    def submitted(self) -> bool:
        return self.response is not None and self.response.submitted

    @property
    def submitted_at(self) -> datetime | None:
        return self.response.submitted_at if self.submitted and self.response else None

    @property
    def submitted_by(self) -> str | None:
        return self.response.submitted_by_name if self.submitted and self.response else None

    @property
    def reference(self) -> str | None:
        receipt = self.response.receipt if self.response else None
        return receipt.reference if receipt else None


@dataclass(frozen=True, slots=True)
class OfficeOverview:
    """One Office on the Secretariat's dashboard: where it stands, who answers for it now,
    and when one of its answers last changed."""

    status: OfficeStatus
    representatives: tuple[Representative, ...]  # active ones, oldest first
    last_activity: datetime | None


@dataclass(frozen=True, slots=True)
class ReminderRecipient:
    telegram_user_id: int
    full_name: str
    language: str | None  # None: they never chose; write in the default language
    office: Office


@dataclass(frozen=True, slots=True)
class ReminderAudience:
    """Who a reminder goes to now, and whom the Secretariat has to chase another way."""

    recipients: tuple[ReminderRecipient, ...]  # by Office code
    offices: int  # Offices those recipients answer for
    # Invited (a usable or used invitation) but nobody verified now: to chase by e-mail.
    unverified: tuple[Office, ...]
    deadline: datetime | None  # the closing time to mention


RenderReminders = Callable[[ReminderAudience], Sequence[tuple[int, str]]]


@dataclass(frozen=True, slots=True)
class DueReminder:
    """An automatic reminder this process has won the right to send."""

    offset: timedelta  # how long before the deadline it was due
    deadline: datetime
    skipped: tuple[timedelta, ...] = ()  # earlier offsets due too, claimed but not sent
    broadcast: int | None = None  # recorded with the claim (survey/broadcasts.py)
    recipients: int = 0
    reminded_lately: int = 0  # left out: they had this offset's reminder a moment ago


@dataclass(frozen=True, slots=True)
class Reopening:
    """A submitted response back to draft, and whom to tell."""

    response: ResponseRecord
    office: Office
    representatives: tuple[Representative, ...]  # active ones, each with their language
    reason: str = ""  # as stored: what to tell them


class Secretariat:
    def __init__(self, setup: SurveySetup) -> None:
        self._setup = setup
        self._stores = setup.stores
        # The counts of the submitted answers, and the submissions they were counted from.

    @property
    def questionnaire(self) -> Questionnaire:
        """The version in force (it may change between two calls: read it once per window)."""
        return self._setup.questionnaire

    @property
    def in_force(self) -> InForce:
        """The version in force with its number, wording kind and text changes (the
        results files name it)."""
        return self._setup.in_force.current

    def is_member(self, telegram_user_id: int) -> bool:
        return telegram_user_id in self._setup.admin_ids

    def now(self) -> datetime:
        return self._setup.now()

    def _check(self, actor: Actor) -> None:
        rules.check_secretariat(actor, self._setup.admin_ids)

    def check_member(self, actor: Actor) -> None:
        """Refuses anyone not of the Secretariat (before work done elsewhere for them)."""
        self._check(actor)

    # Offices -------------------------------------------------------------------------------

    async def import_offices(self, offices: Sequence[OfficeInfo], actor: Actor) -> tuple[int, int]:
        self._check(actor)
        async with self._stores() as store:
            return await self._import_offices(store, offices, actor)

    async def seed_offices(self, offices: Callable[[], Sequence[OfficeInfo]]) -> int:
        """Load the list `offices()` gives into a database that has none yet; how many were
        added (0 if the database had Offices: what the Secretariat imported is never touched).
        The list is asked for only then: reading it costs every start otherwise."""
        async with self._stores() as store:
            if await store.count_offices():
                return 0
            added, updated = await store.upsert_offices(offices())
            if not added and not updated:
                # Another process (PostgreSQL) loaded them between the count and the read:
                # the import is theirs, and so is its line in the audit trail.
                return 0
            await self._audit_import(store, Actor.cli(), added, updated)
        return added

    async def _import_offices(
        self, store: SurveyStore, offices: Sequence[OfficeInfo], actor: Actor
    ) -> tuple[int, int]:
        added, updated = await store.upsert_offices(offices)
        await self._audit_import(store, actor, added, updated)
        return added, updated

    async def _audit_import(
        self, store: SurveyStore, actor: Actor, added: int, updated: int
    ) -> None:
        await store.audit(
            actor,
            "offices.import",
            now=self._setup.now(),
            details={"added": added, "updated": updated},
        )
        await store.commit()

    async def office(self, code: str) -> Office:
        async with self._stores() as store:
            return await office_by_code(store, code)

    async def office_statuses(
        self, actor: Actor, *, stages: Collection[OfficeStage] | None = None
    ) -> list[OfficeStatus]:
        """Every Office by code (or those at one of `stages`), with its answered count and
        submission time."""
        self._check(actor)
        async with self._stores() as store:
            statuses = await store.office_statuses(self.questionnaire.id)
        if stages is None:
            return statuses
        return [status for status in statuses if status.stage in stages]

    async def office_detail(self, code: str, actor: Actor) -> OfficeDetail:
        self._check(actor)
        now = self._setup.now()
        async with self._stores() as store:
            office = await office_by_code(store, code)
            people = await store.representative_summaries(office.id, self.questionnaire.id)
            invitations = await store.office_invitations(office.id)
            response = await store.response(office.id, self.questionnaire.id)
            answers = await store.answers(response.id) if response is not None else []
        answered = sum(1 for a in answers if a.level)
        active = sum(1 for p in people if p.representative.active)
        return OfficeDetail(
            office=office,
            stage=office_stage(
                invited=bool(invitations),
                representatives=active,
                answered=answered,
                submitted=response is not None and response.submitted,
            ),
            representatives=tuple(people),
            answered=answered,
            total=len(self.questionnaire),
            last_activity=max((a.changed_at for a in answers), default=None),
            invitations=tuple(
                InvitationSummary(i, rules.invitation_usable(i, now)) for i in invitations
            ),
            response=response,
        )

    # Invitations ---------------------------------------------------------------------------

    async def create_invitation(
        self,
        office_code: str,
        actor: Actor,
        *,
        max_uses: int | None = rules.DEFAULT_INVITATION_USES,
        expires_at: datetime | None = None,
    ) -> IssuedInvitation:
        self._check(actor)
        now = self._setup.now()
        rules.check_invitation_terms(max_uses, expires_at, now)
        code = new_code()
        async with self._stores() as store:
            office = await office_by_code(store, office_code)
            invitation = await store.add_invitation(
                office_id=office.id,
                code_hash=hash_code(code),
                expires_at=expires_at,
                max_uses=max_uses,
                created_by=actor.label,
                now=now,
            )
            await store.audit(
                actor,
                "invitation.create",
                now=now,
                office_id=office.id,
                details={"invitation": invitation.id, "max_uses": max_uses},
            )
            await store.commit()
        return IssuedInvitation(code, office, invitation)

    async def invite_pending(
        self,
        actor: Actor,
        *,
        max_uses: int | None = rules.DEFAULT_INVITATION_USES,
        expires_at: datetime | None = None,
    ) -> list[IssuedInvitation]:
        """One new invitation for every Office that has no usable invitation and has not
        submitted (verified Offices whose codes ran out included: a colleague may still need
        one), by Office code. One unit of work: all or none. The codes are in the result only."""
        self._check(actor)
        now = self._setup.now()
        rules.check_invitation_terms(max_uses, expires_at, now)
        issued: list[IssuedInvitation] = []
        async with self._stores() as store:
            for office in await store.offices_to_invite(self.questionnaire.id, now):
                code = new_code()
                invitation = await store.add_invitation(
                    office_id=office.id,
                    code_hash=hash_code(code),
                    expires_at=expires_at,
                    max_uses=max_uses,
                    created_by=actor.label,
                    now=now,
                )
                issued.append(IssuedInvitation(code, office, invitation))
            await store.audit(
                actor,
                INVITATIONS_FOR_PENDING,
                now=now,
                details={
                    "count": len(issued),
                    "offices": [item.office.code for item in issued],
                    "max_uses": max_uses,
                    "expires_at": expires_at.isoformat() if expires_at else None,
                },
            )
            await store.commit()
        return issued

    async def revoke_undelivered(self, issued: Sequence[IssuedInvitation], actor: Actor) -> int:
        """Revoke codes that never reached the one who asked for them: only their hashes are
        stored, so nobody could hand them on, and a code nobody knows must not stay usable.
        Their Offices become pending again, so asking again makes new ones."""
        self._check(actor)
        if not issued:
            return 0
        now = self._setup.now()
        async with self._stores() as store:
            count = 0
            for item in issued:
                count += int(await store.revoke_invitation(item.invitation.id, now))
            await store.audit(
                actor,
                INVITATIONS_UNDELIVERED,
                now=now,
                details={
                    "count": count,
                    "invitations": [item.invitation.id for item in issued],
                    "offices": sorted({item.office.code for item in issued}),
                },
            )
            await store.commit()
        return count

    async def revoke_invitation(self, invitation_id: int, actor: Actor) -> Revocation:
        """Revoke one invitation by its id (as listed in `office_detail`; codes are never
        stored). Revoking a revoked one changes nothing and counts 0."""
        self._check(actor)
        now = self._setup.now()
        async with self._stores() as store:
            invitation = (
                await store.invitation_by_id(invitation_id)
                if 0 < invitation_id <= rules.LARGEST_INVITATION_ID
                else None
            )
            if invitation is None:
                raise Refused(Reason.UNKNOWN_INVITATION, invitation_id=invitation_id)
            count = int(await store.revoke_invitation(invitation.id, now))
            office = await office_by_id(store, invitation.office_id)
            await store.audit(
                actor,
                "invitation.revoke",
                now=now,
                office_id=office.id,
                details={"count": count, "invitation": invitation.id},
            )
            active = len(await store.office_representatives(office.id))
            latest = await store.invitation_by_id(invitation.id)
            await store.commit()
        return Revocation(count, office, active, latest)

    async def revoke(self, code_or_office: str, actor: Actor) -> Revocation:
        """Revoke one code, or every code of an Office, and say who can still answer."""
        self._check(actor)
        now = self._setup.now()
        text = code_or_office.strip()
        async with self._stores() as store:
            if len(text) == 2 and text.isalpha():
                office = await office_by_code(store, text)
                count = await store.revoke_office_invitations(office.id, now)
            else:
                found = await store.invitation_by_hash(hash_code(normalize_code(text)))
                if found is None:
                    raise Refused(Reason.UNKNOWN_CODE)
                invitation, _ = found
                count = int(await store.revoke_invitation(invitation.id, now))
                office = await office_by_id(store, invitation.office_id)
            await store.audit(
                actor, "invitation.revoke", now=now, office_id=office.id, details={"count": count}
            )
            active = len(await store.office_representatives(office.id))
            await store.commit()
        return Revocation(count, office, active)

    # Representatives -----------------------------------------------------------------------

    async def representatives(
        self, office_code: str, actor: Actor
    ) -> tuple[Office, list[RepresentativeSummary]]:
        """Everyone verified for the Office, removed people included, oldest first."""
        self._check(actor)
        async with self._stores() as store:
            office = await office_by_code(store, office_code)
            people = await store.representative_summaries(office.id, self.questionnaire.id)
        return office, people

    async def remove_representative(
        self, office_code: str, telegram_user_id: int, actor: Actor, *, reason: str = ""
    ) -> Representative:
        """Take a person's right to answer for the Office away; their next action is refused.
        Their answers stay. Only a code created after this lets them back in."""
        self._check(actor)
        reason = clean_text(reason)
        now = self._setup.now()
        async with self._stores() as store:
            office = await office_by_code(store, office_code)
            person = (
                await store.representative(telegram_user_id)
                if 0 < telegram_user_id <= rules.LARGEST_TELEGRAM_USER_ID
                else None
            )
            if person is None or person.office_id != office.id:
                raise Refused(
                    Reason.UNKNOWN_REPRESENTATIVE, office=office, telegram_user_id=telegram_user_id
                )
            removed = await self._remove(store, person, office, actor, reason, now)
            await store.commit()
        return removed

    async def remove_all_representatives(
        self, office_code: str, actor: Actor, *, reason: str = ""
    ) -> list[Representative]:
        """Remove every active representative of the Office (e.g. after its codes leaked)."""
        self._check(actor)
        reason = clean_text(reason)
        now = self._setup.now()
        async with self._stores() as store:
            office = await office_by_code(store, office_code)
            removed = [
                await self._remove(store, person, office, actor, reason, now)
                for person in await store.office_representatives(office.id)
            ]
            await store.commit()
        return removed

    async def _remove(
        self,
        store: SurveyStore,
        person: Representative,
        office: Office,
        actor: Actor,
        reason: str,
        now: datetime,
    ) -> Representative:
        if not await store.remove_representative(person.id, now):
            latest = await store.representative(person.telegram_user_id)
            raise Refused(
                Reason.ALREADY_REMOVED,
                office=office,
                telegram_user_id=person.telegram_user_id,
                removed_at=latest.revoked_at if latest is not None else person.revoked_at,
            )
        await store.audit(
            actor,
            REPRESENTATIVE_REMOVE,
            now=now,
            office_id=office.id,
            details={
                "telegram_user_id": person.telegram_user_id,
                "representative": person.full_name,
                "verified_at": person.verified_at.isoformat(),
                "reason": reason,
            },
        )
        return replace(person, revoked_at=now)

    # The deadline ------------------------------------------------------------------------

    async def deadline(self, actor: Actor) -> datetime | None:
        """The closing time in force: the stored one, else SURVEY_DEADLINE."""
        self._check(actor)
        async with self._stores() as store:
            return await effective_deadline(store, self._setup)

    async def set_deadline(self, when: datetime | None, actor: Actor) -> datetime | None:
        """Set or extend the closing time (None: no closing time), stored and audited. It takes
        effect at once for everyone, without a restart: answering reopens if it had closed."""
        self._check(actor)
        now = self._setup.now()
        rules.check_new_deadline(when, now)
        async with self._stores() as store:
            old = await effective_deadline(store, self._setup)
            await store.save_deadline(self.questionnaire.id, when, by=actor.label, now=now)
            await store.audit(
                actor,
                DEADLINE_SET,
                now=now,
                details={
                    "old": old.isoformat() if old else None,
                    "new": when.isoformat() if when else None,
                },
            )
            await store.commit()
        return when

    # Reminders -----------------------------------------------------------------------------

    async def reminder_audience(self, actor: Actor) -> ReminderAudience:
        """The active representatives of every Office that has not submitted, and the Offices
        invited but with nobody verified (a reminder in the chat cannot reach them)."""
        self._check(actor)
        async with self._stores() as store:
            return await self._audience(store)

    async def _audience(self, store: SurveyStore) -> ReminderAudience:
        now = self._setup.now()
        questionnaire_id = self.questionnaire.id
        people = await store.unsubmitted_representatives(questionnaire_id)
        unverified = await store.invited_unverified_offices(questionnaire_id, now)
        deadline = await effective_deadline(store, self._setup)
        recipients = tuple(
            ReminderRecipient(p.telegram_user_id, p.full_name, p.language, office)
            for p, office in people
        )
        return ReminderAudience(
            recipients,
            offices=len({r.office.id for r in recipients}),
            unverified=tuple(unverified),
            deadline=deadline,
        )

    async def record_reminder(
        self, actor: Actor, *, sent: int, blocked: int, failed: int, automatic: bool = False
    ) -> None:
        """What a reminder round achieved, for the audit trail."""
        self._check(actor)
        now = self._setup.now()
        async with self._stores() as store:
            await store.audit(
                actor,
                REMINDER_SENT,
                now=now,
                details={
                    "sent": sent,
                    "blocked": blocked,
                    "failed": failed,
                    "automatic": automatic,
                },
            )
            await store.commit()

    async def claim_due_reminder(
        self, offsets: Sequence[timedelta], render: RenderReminders | None = None
    ) -> DueReminder | None:
        """For the automatic reminders (`offsets` before the deadline, e.g. 7 and 1 days): the
        one to send now, if any, claimed in the database so that exactly one process sends
        it, across restarts and replicas. Call it every few minutes.

        Due: its moment (deadline - offset) has passed and the deadline has not. Claims are
        per closing time: a new deadline re-arms every offset. When several are due at once
        (the bot was down, or the deadline was moved closer) only the latest is sent; the
        others are claimed as skipped. None: nothing due, or another process won.

        With `render` (the messages for an audience), the broadcast is recorded in the same
        unit of work as the claim, so that a process killed right after claiming leaves it to
        the next one instead of losing it. A deadline moved re-arms its offsets, but whoever
        had the same offset's reminder lately (within the offset, at most 24 hours) is left
        out: four corrections of the deadline in a quarter of an hour send it once."""
        if any(offset <= timedelta(0) for offset in offsets):
            raise ValueError("reminder offsets must be positive")
        now = self._setup.now()
        questionnaire_id = self.questionnaire.id
        async with self._stores() as store:
            deadline = await effective_deadline(store, self._setup)
            if deadline is None or not rules.is_open(deadline, now):
                return None
            due = sorted({o for o in offsets if deadline - o <= now})
            if not due:
                return None
            claimed = await store.reminder_claims(questionnaire_id, deadline)
            latest, earlier = due[0], [o for o in due[1:] if o not in claimed]
            won = latest not in claimed and await store.claim_reminder(
                questionnaire_id, deadline, latest, sent=True, now=now
            )
            skipped = [
                offset
                for offset in earlier
                if await store.claim_reminder(
                    questionnaire_id, deadline, offset, sent=False, now=now
                )
            ]
            if not won and not skipped:
                return None
            broadcast, recipients, recent = None, 0, 0
            if won and render is not None:
                audience = await self._audience(store)
                reminded = await store.reminded_since(
                    int(latest.total_seconds()), now - recently(latest)
                )
                fresh = tuple(r for r in audience.recipients if r.telegram_user_id not in reminded)
                recent = len(audience.recipients) - len(fresh)
                recipients = len(fresh)
                broadcast = await record_broadcast(
                    store,
                    BroadcastKind.REMINDER,
                    SCHEDULER,
                    render(replace(audience, recipients=fresh)),
                    now=now,
                    offset=latest,
                )
            await store.audit(
                SCHEDULER,
                REMINDER_CLAIMED,
                now=now,
                details={
                    "deadline": deadline.isoformat(),
                    "offset_seconds": int(latest.total_seconds()) if won else None,
                    "skipped_seconds": [int(o.total_seconds()) for o in skipped],
                    "broadcast": broadcast,
                    "recipients": recipients,
                    "reminded_lately": recent,
                },
            )
            await store.commit()
        if not won:
            return None
        return DueReminder(latest, deadline, tuple(skipped), broadcast, recipients, recent)

    # Submission notices --------------------------------------------------------------------

    async def submission_notices(self, telegram_user_id: int) -> bool:
        """Whether this Secretariat member is told of each submission (on unless switched off)."""
        self._check(Actor.telegram(telegram_user_id))
        async with self._stores() as store:
            chosen = await store.preferences([telegram_user_id])
        return chosen[0].submission_notices if chosen else True

    async def set_submission_notices(self, telegram_user_id: int, on: bool) -> bool:
        self._check(Actor.telegram(telegram_user_id))
        async with self._stores() as store:
            await store.set_submission_notices(telegram_user_id, on, self._setup.now())
            await store.commit()
        return on

    # Responses and results -----------------------------------------------------------------

    async def reopen(self, office_code: str, actor: Actor, *, reason: str = "") -> Reopening:
        """Back to draft, audited with the reason; returns the Office's active representatives
        (with their languages) to tell, read in the same unit of work."""
        self._check(actor)
        reason = clean_text(reason)
        async with self._stores() as store:
            office = await office_by_code(store, office_code)
            response = await store.response(office.id, self.questionnaire.id, lock=True)
            if response is None or not response.submitted:
                raise Refused(Reason.NOT_SUBMITTED, office=office)
            await store.mark_draft(response.id)
            await store.audit(
                actor,
                "response.reopen",
                now=self._setup.now(),
                office_id=office.id,
                details={
                    "reason": reason,
                    "was_submitted_at": response.submitted_at.isoformat()
                    if response.submitted_at
                    else None,
                    "was_submitted_by": response.submitted_by_name,
                },
            )
            people = await store.office_representatives(office.id)
            await store.commit()
            reopened = await store.response(office.id, self.questionnaire.id)
        assert reopened is not None
        return Reopening(reopened, office, tuple(people), reason)

    async def digest(self, actor: Actor, *, include_drafts: bool = False) -> Digest:
        self._check(actor)
        async with self._stores() as store:
            counts = await store.level_counts(self.questionnaire.id, include_drafts=include_drafts)
            funnel = await store.funnel(self.questionnaire.id)
        return build_digest(
            self.questionnaire,
            counts,
            funnel,
            generated_at=self._setup.now(),
            include_drafts=include_drafts,
        )

    async def office_answers(self, code: str, actor: Actor) -> OfficeAnswers:
        """An Office's answers for its files (the workbook, the PDF). A read."""
        self._check(actor)
        async with self._stores() as store:
            office = await office_by_code(store, code)
            response = await store.response(office.id, self.questionnaire.id)
            answers = await store.answers(response.id) if response is not None else []
        return OfficeAnswers(
            office, {a.recommendation: a for a in answers}, response, self._setup.now()
        )

    async def office_overview(self, actor: Actor) -> list[OfficeOverview]:
        """Every Office by code with its stage, its active representatives and its last
        activity, read in one unit of work (three statements, whatever the number of
        Offices)."""
        self._check(actor)
        async with self._stores() as store:
            statuses = await store.office_statuses(self.questionnaire.id)
            people = await store.every_representative()
            rows = await store.export_rows(self.questionnaire.id)
        by_office: dict[int, list[Representative]] = {}
        for person in people:
            if person.active:
                by_office.setdefault(person.office_id, []).append(person)
        latest: dict[str, datetime] = {}
        for row in rows:
            if row.office_code not in latest or row.changed_at > latest[row.office_code]:
                latest[row.office_code] = row.changed_at
        return [
            OfficeOverview(
                status,
                tuple(by_office.get(status.office.id, ())),
                latest.get(status.office.code),
            )
            for status in statuses
        ]

    async def export_rows(self, actor: Actor) -> list[ExportRow]:
        self._check(actor)
        async with self._stores() as store:
            return await store.export_rows(self.questionnaire.id)
