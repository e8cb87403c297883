"""The survey's one service API, used by the dialogs and by the command line.

Every method opens its own unit of work and commits before returning, so that whatever the
caller acknowledges to a person is already stored.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from survey import rules
from survey.codes import hash_code, hashes_match, new_code, normalize_code
from survey.errors import Reason, Refused
from survey.model import (
    Actor,
    AnswerRecord,
    ExportRow,
    Invitation,
    Office,
    OfficeStatus,
    Receipt,
    Representative,
    RepresentativeSummary,
    ResponseRecord,
    ResponseStatus,
)
from survey.offices import OfficeInfo, normalize_office_code
from survey.ports import StoreFactory, SurveyStore
from survey.questionnaire import LANGUAGES, Questionnaire
from survey.results import Digest, build_digest

REDEEM_FAILED = "invitation.redeem_failed"
REPRESENTATIVE_REMOVE = "representative.remove"


def utcnow() -> datetime:
    return datetime.now(UTC)


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


@dataclass(frozen=True, slots=True)
class Membership:
    """A verified representative and the Office they answer for."""

    representative: Representative
    office: Office
    newly_verified: bool = False


@dataclass(frozen=True, slots=True)
class Progress:
    answered: int
    total: int
    unanswered: tuple[int, ...]
    submitted: bool
    answers: Mapping[int, AnswerRecord] = field(default_factory=dict)
    read_only: bool = False

    @property
    def first_unanswered(self) -> int | None:
        return self.unanswered[0] if self.unanswered else None

    @property
    def complete(self) -> bool:
        return not self.unanswered

    def next_unanswered(self, after: int) -> int | None:
        """The next one still to answer after `after`, wrapping round to the start."""
        later = [number for number in self.unanswered if number > after]
        candidates = later or list(self.unanswered)
        return candidates[0] if candidates else None


@dataclass(frozen=True, slots=True)
class ReviewItem:
    number: int
    level: str | None
    has_comment: bool
    changed_by: str | None
    changed_at: datetime | None


@dataclass(frozen=True, slots=True)
class Review:
    office: Office
    response: ResponseRecord
    items: tuple[ReviewItem, ...]
    several_representatives: bool

    @property
    def unanswered(self) -> list[int]:
        return [item.number for item in self.items if item.level is None]

    @property
    def can_submit(self) -> bool:
        return not self.response.submitted and not self.unanswered


@dataclass(frozen=True, slots=True)
class AnswerView:
    number: int
    level: str | None
    comment: str | None
    read_only: bool


@dataclass(frozen=True, slots=True)
class QuestionView:
    answer: AnswerView
    progress: Progress


class SurveyService:
    def __init__(
        self,
        stores: StoreFactory,
        questionnaire: Questionnaire,
        *,
        deadline: datetime | None = None,
        admin_ids: Collection[int] = (),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._stores = stores
        self.questionnaire = questionnaire
        self.deadline = deadline
        self._admin_ids = frozenset(admin_ids)
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    def is_secretariat(self, telegram_user_id: int) -> bool:
        return telegram_user_id in self._admin_ids

    def is_open(self) -> bool:
        return self.deadline is None or self.now() < self.deadline

    # Offices -------------------------------------------------------------------------------

    async def import_offices(self, offices: Sequence[OfficeInfo], actor: Actor) -> tuple[int, int]:
        rules.check_secretariat(actor, self._admin_ids)
        async with self._stores() as store:
            return await self._import_offices(store, offices, actor)

    async def seed_offices(self, offices: Sequence[OfficeInfo]) -> int:
        """Load `offices` into a database that has none yet; how many were added (0 if the
        database had Offices: what the Secretariat imported is never touched)."""
        async with self._stores() as store:
            if await store.count_offices():
                return 0
            added, _ = await self._import_offices(store, offices, Actor.cli())
        return added

    async def _import_offices(
        self, store: SurveyStore, offices: Sequence[OfficeInfo], actor: Actor
    ) -> tuple[int, int]:
        added, updated = await store.upsert_offices(offices)
        await store.audit(
            actor, "offices.import", now=self.now(), details={"added": added, "updated": updated}
        )
        await store.commit()
        return added, updated

    async def office(self, code: str) -> Office:
        async with self._stores() as store:
            return await self._office(store, code)

    async def office_statuses(self, actor: Actor) -> list[OfficeStatus]:
        rules.check_secretariat(actor, self._admin_ids)
        async with self._stores() as store:
            return await store.office_statuses(self.questionnaire.id)

    # Invitations ---------------------------------------------------------------------------

    async def create_invitation(
        self,
        office_code: str,
        actor: Actor,
        *,
        max_uses: int | None = rules.DEFAULT_INVITATION_USES,
        expires_at: datetime | None = None,
    ) -> IssuedInvitation:
        rules.check_secretariat(actor, self._admin_ids)
        now = self.now()
        rules.check_invitation_terms(max_uses, expires_at, now)
        code = new_code()
        async with self._stores() as store:
            office = await self._office(store, office_code)
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

    async def revoke_invitations(self, code_or_office: str, actor: Actor) -> int:
        """Revoke one code, or every code of an Office. Returns how many were revoked."""
        return (await self.revoke(code_or_office, actor)).count

    async def revoke(self, code_or_office: str, actor: Actor) -> Revocation:
        """Revoke one code, or every code of an Office, and say who can still answer."""
        rules.check_secretariat(actor, self._admin_ids)
        now = self.now()
        text = code_or_office.strip()
        async with self._stores() as store:
            if len(text) == 2 and text.isalpha():
                office = await self._office(store, text)
                count = await store.revoke_office_invitations(office.id, now)
            else:
                found = await store.invitation_by_hash(hash_code(normalize_code(text)))
                if found is None:
                    raise Refused(Reason.UNKNOWN_CODE)
                invitation, _ = found
                count = int(await store.revoke_invitation(invitation.id, now))
                office = await self._office_by_id(store, invitation.office_id)
            await store.audit(
                actor, "invitation.revoke", now=now, office_id=office.id, details={"count": count}
            )
            active = len(await store.office_representatives(office.id))
            await store.commit()
        return Revocation(count, office, active)

    async def redeem(
        self, telegram_user_id: int, code: str, *, full_name: str = "", language: str | None = None
    ) -> Membership:
        """Verify a Telegram user as a representative of the code's Office."""
        now = self.now()
        actor = Actor.telegram(telegram_user_id, full_name)
        async with self._stores() as store:
            since = now - rules.REDEMPTION_WINDOW
            rules.check_redemption_allowed(
                await store.audit_times(actor, REDEEM_FAILED, since), now
            )
            try:
                membership = await self._redeem(
                    store, actor, normalize_code(code), full_name, language, now
                )
            except Refused as refusal:
                # A failed try is kept even though the redemption itself is not.
                await store.audit(actor, REDEEM_FAILED, now=now, details={"reason": refusal.reason})
                await store.commit()
                raise
            await store.commit()
        return membership

    async def _redeem(
        self,
        store: SurveyStore,
        actor: Actor,
        code: str,
        full_name: str,
        language: str | None,
        now: datetime,
    ) -> Membership:
        found = await store.invitation_by_hash(hash_code(code)) if code else None
        if found is None or not hashes_match(found[1], code):
            raise Refused(Reason.UNKNOWN_CODE)
        invitation, _ = found
        user_id = int(actor.id)
        current = await store.representative(user_id)
        if current is not None and current.active:
            office = await self._office_by_id(store, current.office_id)
            if current.office_id != invitation.office_id:
                raise Refused(Reason.OTHER_OFFICE, office=office)
            # Already in (the deep link opened again): let them through without spending a
            # use, even if the code has since expired or run out.
            return Membership(current, office)
        if current is not None:
            rules.check_rejoin(
                current, invitation, await self._office_by_id(store, current.office_id)
            )
        rules.check_invitation_usable(invitation, now)
        if not await store.claim_invitation_use(invitation.id):
            raise Refused(Reason.CODE_USED_UP)  # another person took the last use just now
        representative = await store.save_representative(
            telegram_user_id=user_id,
            office_id=invitation.office_id,
            full_name=full_name,
            language=language if language is not None else getattr(current, "language", None),
            now=now,
        )
        await store.audit(
            actor,
            "representative.verified",
            now=now,
            office_id=invitation.office_id,
            details={"invitation": invitation.id},
        )
        office = await self._office_by_id(store, invitation.office_id)
        return Membership(representative, office, newly_verified=True)

    # Representatives -----------------------------------------------------------------------

    async def membership(self, telegram_user_id: int) -> Membership | None:
        """None for someone never verified; refused (REPRESENTATIVE_REMOVED) for someone the
        Secretariat removed."""
        async with self._stores() as store:
            representative = await store.representative(telegram_user_id)
            if representative is None:
                return None
            office = await self._office_by_id(store, representative.office_id)
            return Membership(rules.check_active(representative, office), office)

    async def language(self, telegram_user_id: int) -> str | None:
        """The language this user chose, if they ever did."""
        async with self._stores() as store:
            return await store.language(telegram_user_id)

    async def whereabouts(self, telegram_user_id: int) -> tuple[Membership, Progress] | None:
        """Who this person answers for and how far their Office is, in one read; None if they
        were never verified, refused (REPRESENTATIVE_REMOVED) if they were removed."""
        async with self._stores() as store:
            representative = await store.representative(telegram_user_id)
            if representative is None:
                return None
            office = await self._office_by_id(store, representative.office_id)
            rules.check_active(representative, office)
            response = await store.response(office.id, self.questionnaire.id)
            answers = await store.answers(response.id) if response is not None else []
        return Membership(representative, office), self._progress(response, answers)

    async def set_language(self, telegram_user_id: int, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        async with self._stores() as store:
            await store.set_language(telegram_user_id, language, self.now())
            await store.commit()

    async def colleagues(self, telegram_user_id: int) -> list[Representative]:
        """The other active representatives of this user's Office."""
        async with self._stores() as store:
            representative = await self._active(store, telegram_user_id)
            people = await store.office_representatives(representative.office_id)
        return [person for person in people if person.telegram_user_id != telegram_user_id]

    async def representatives(
        self, office_code: str, actor: Actor
    ) -> tuple[Office, list[RepresentativeSummary]]:
        """Everyone verified for the Office, removed people included, oldest first."""
        rules.check_secretariat(actor, self._admin_ids)
        async with self._stores() as store:
            office = await self._office(store, office_code)
            people = await store.representative_summaries(office.id, self.questionnaire.id)
        return office, people

    async def remove_representative(
        self, office_code: str, telegram_user_id: int, actor: Actor, *, reason: str = ""
    ) -> Representative:
        """Take a person's right to answer for the Office away; their next action is refused.
        Their answers stay. Only a code created after this lets them back in."""
        rules.check_secretariat(actor, self._admin_ids)
        now = self.now()
        async with self._stores() as store:
            office = await self._office(store, office_code)
            person = await store.representative(telegram_user_id)
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
        rules.check_secretariat(actor, self._admin_ids)
        now = self.now()
        async with self._stores() as store:
            office = await self._office(store, office_code)
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

    # Answering -----------------------------------------------------------------------------

    async def record_answer(self, telegram_user_id: int, number: int, level: str) -> Progress:
        if self.questionnaire.level(level) is None:
            raise Refused(Reason.UNKNOWN_LEVEL, level=level)
        return await self._write(telegram_user_id, number, {"level": level})

    async def record_comment(self, telegram_user_id: int, number: int, comment: str) -> Progress:
        return await self._write(
            telegram_user_id, number, {"comment": rules.check_comment(comment)}
        )

    async def _write(
        self, telegram_user_id: int, number: int, values: dict[str, str | None]
    ) -> Progress:
        if not self.questionnaire.has_recommendation(number):
            raise Refused(Reason.UNKNOWN_RECOMMENDATION, number=number)
        now = self.now()
        async with self._stores() as store:
            representative = await self._active(store, telegram_user_id)
            rules.check_open(self.deadline, now)
            response = await self._locked_response(store, representative.office_id, now)
            rules.check_draft(response)
            await store.save_answer(
                response.id, number, values=values, by=representative.id, now=now
            )
            progress = self._progress(response, await store.answers(response.id))
            await store.commit()
        return progress

    async def progress(self, telegram_user_id: int) -> Progress:
        async with self._stores() as store:
            representative = await self._active(store, telegram_user_id)
            response = await store.response(representative.office_id, self.questionnaire.id)
            answers = await store.answers(response.id) if response is not None else []
        return self._progress(response, answers)

    async def answer(self, telegram_user_id: int, number: int) -> AnswerView:
        return (await self.question(telegram_user_id, number)).answer

    async def question(self, telegram_user_id: int, number: int) -> QuestionView:
        """What one Recommendation's window shows: its answer and the overall progress."""
        if not self.questionnaire.has_recommendation(number):
            raise Refused(Reason.UNKNOWN_RECOMMENDATION, number=number)
        async with self._stores() as store:
            representative = await self._active(store, telegram_user_id)
            response = await store.response(representative.office_id, self.questionnaire.id)
            answers = await store.answers(response.id) if response is not None else []
        return self.question_from(self._progress(response, answers), number)

    def question_from(self, progress: Progress, number: int) -> QuestionView:
        """The same, from a progress just read (e.g. returned by `record_answer`)."""
        current = progress.answers.get(number)
        view = AnswerView(
            number,
            current.level if current else None,
            current.comment if current else None,
            read_only=progress.read_only or not self.is_open(),
        )
        return QuestionView(view, progress)

    async def review(self, telegram_user_id: int) -> Review:
        async with self._stores() as store:
            representative = await self._active(store, telegram_user_id)
            office = await self._office_by_id(store, representative.office_id)
            # A read: an Office that has not answered yet gets an unsaved draft, not a new row.
            stored = await store.response(office.id, self.questionnaire.id)
            response = stored or ResponseRecord(
                0, office.id, self.questionnaire.id, ResponseStatus.DRAFT
            )
            answers = (
                {a.recommendation: a for a in await store.answers(stored.id)} if stored else {}
            )
            people = await store.office_representatives(office.id)
        items = tuple(
            ReviewItem(
                number,
                answers[number].level if number in answers else None,
                bool(answers[number].comment) if number in answers else False,
                answers[number].changed_by_name if number in answers else None,
                answers[number].changed_at if number in answers else None,
            )
            for number in self.questionnaire.numbers
        )
        return Review(office, response, items, several_representatives=len(people) > 1)

    # Submitting ----------------------------------------------------------------------------

    async def submit(self, telegram_user_id: int) -> ResponseRecord:
        now = self.now()
        async with self._stores() as store:
            representative = await self._active(store, telegram_user_id)
            rules.check_open(self.deadline, now)
            response = await self._locked_response(store, representative.office_id, now)
            rules.check_draft(response)
            answers = await store.answers(response.id)
            rules.check_complete(
                self.questionnaire.numbers, {a.recommendation for a in answers if a.level}
            )
            receipt = self._receipt(answers, representative, now)
            if not await store.mark_submitted(
                response.id, by=representative.id, now=now, receipt=receipt
            ):
                # Someone else's submission committed between our read and our write.
                latest = await store.response(representative.office_id, self.questionnaire.id)
                assert latest is not None
                rules.check_draft(latest)
                raise RuntimeError("the submission was neither recorded nor refused")
            await store.audit(
                Actor.telegram(telegram_user_id, representative.full_name),
                "response.submit",
                now=now,
                office_id=representative.office_id,
                details={"reference": receipt.reference},
            )
            await store.commit()
            submitted = await store.response(representative.office_id, self.questionnaire.id)
        assert submitted is not None
        return submitted

    def _receipt(
        self, answers: Sequence[AnswerRecord], representative: Representative, now: datetime
    ) -> Receipt:
        ordered = sorted(answers, key=lambda a: a.recommendation)
        fingerprint = hashlib.sha256(
            "|".join(f"{a.recommendation}:{a.level}:{a.comment or ''}" for a in ordered).encode()
        ).hexdigest()
        counts = Counter(a.level for a in ordered if a.level)
        return Receipt(
            submitted_at=now,
            submitted_by=representative.full_name or f"user {representative.telegram_user_id}",
            reference=fingerprint[:12].upper(),
            level_counts={
                level.code: counts.get(level.code, 0) for level in self.questionnaire.scale
            },
            commented=sum(1 for a in ordered if a.comment),
        )

    async def reopen(self, office_code: str, actor: Actor, *, reason: str = "") -> ResponseRecord:
        rules.check_secretariat(actor, self._admin_ids)
        async with self._stores() as store:
            office = await self._office(store, office_code)
            response = await store.response(office.id, self.questionnaire.id, lock=True)
            if response is None or not response.submitted:
                raise Refused(Reason.NOT_SUBMITTED, office=office)
            await store.mark_draft(response.id)
            await store.audit(
                actor,
                "response.reopen",
                now=self.now(),
                office_id=office.id,
                details={
                    "reason": reason,
                    "was_submitted_at": response.submitted_at.isoformat()
                    if response.submitted_at
                    else None,
                    "was_submitted_by": response.submitted_by_name,
                },
            )
            await store.commit()
            reopened = await store.response(office.id, self.questionnaire.id)
        assert reopened is not None
        return reopened

    # Results -------------------------------------------------------------------------------

    async def digest(self, actor: Actor, *, include_drafts: bool = False) -> Digest:
        rules.check_secretariat(actor, self._admin_ids)
        async with self._stores() as store:
            counts = await store.level_counts(self.questionnaire.id, include_drafts=include_drafts)
            funnel = await store.funnel(self.questionnaire.id)
        return build_digest(
            self.questionnaire,
            counts,
            funnel,
            generated_at=self.now(),
            include_drafts=include_drafts,
        )

    async def export_rows(self, actor: Actor) -> list[ExportRow]:
        rules.check_secretariat(actor, self._admin_ids)
        async with self._stores() as store:
            return await store.export_rows(self.questionnaire.id)

    # Helpers -------------------------------------------------------------------------------

    def _progress(
        self, response: ResponseRecord | None, answers: Sequence[AnswerRecord]
    ) -> Progress:
        answered = {a.recommendation for a in answers if a.level}
        numbers = self.questionnaire.numbers
        submitted = bool(response and response.submitted)
        return Progress(
            answered=sum(1 for number in numbers if number in answered),
            total=len(numbers),
            unanswered=tuple(number for number in numbers if number not in answered),
            submitted=submitted,
            answers={a.recommendation: a for a in answers},
            read_only=submitted,
        )

    async def _locked_response(
        self, store: SurveyStore, office_id: int, now: datetime
    ) -> ResponseRecord:
        """The Office's response, locked against a concurrent submission until commit."""
        response = await store.response(office_id, self.questionnaire.id, lock=True)
        if response is None:  # the Office's first answer: create the row, then lock it
            await store.ensure_response(office_id, self.questionnaire.id, now)
            response = await store.response(office_id, self.questionnaire.id, lock=True)
        assert response is not None
        return response

    async def _active(self, store: SurveyStore, telegram_user_id: int) -> Representative:
        """The person as a representative allowed to act, or refused with the reason why."""
        representative = await store.representative(telegram_user_id)
        office = None
        if representative is not None and not representative.active:
            office = await self._office_by_id(store, representative.office_id)
        return rules.check_active(representative, office)

    @staticmethod
    async def _office(store: SurveyStore, code: str) -> Office:
        try:
            normalized = normalize_office_code(code)
        except ValueError:
            raise Refused(Reason.UNKNOWN_OFFICE, code=code) from None
        office = await store.office_by_code(normalized)
        if office is None:
            raise Refused(Reason.UNKNOWN_OFFICE, code=normalized)
        return office

    @staticmethod
    async def _office_by_id(store: SurveyStore, office_id: int) -> Office:
        office = await store.office_by_id(office_id)
        if office is None:  # a foreign key makes this impossible; say so loudly if it happens
            raise LookupError(f"office {office_id} is missing")
        return office
