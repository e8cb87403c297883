"""The Secretariat's use cases: Offices, invitations, representatives, reopening a submitted
response, and the results. Every call checks that the actor is a Secretariat member."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from survey import rules
from survey.codes import hash_code, new_code, normalize_code
from survey.errors import Reason, Refused
from survey.model import (
    Actor,
    ExportRow,
    Invitation,
    Office,
    OfficeStatus,
    Representative,
    RepresentativeSummary,
    ResponseRecord,
)
from survey.offices import OfficeInfo
from survey.ports import SurveyStore
from survey.results import Digest, build_digest
from survey.setup import SurveySetup, office_by_code, office_by_id

REPRESENTATIVE_REMOVE = "representative.remove"


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


class Secretariat:
    def __init__(self, setup: SurveySetup) -> None:
        self._setup = setup
        self._stores = setup.stores
        self.questionnaire = setup.questionnaire

    def is_member(self, telegram_user_id: int) -> bool:
        return telegram_user_id in self._setup.admin_ids

    def _check(self, actor: Actor) -> None:
        rules.check_secretariat(actor, self._setup.admin_ids)

    # Offices -------------------------------------------------------------------------------

    async def import_offices(self, offices: Sequence[OfficeInfo], actor: Actor) -> tuple[int, int]:
        self._check(actor)
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
            actor,
            "offices.import",
            now=self._setup.now(),
            details={"added": added, "updated": updated},
        )
        await store.commit()
        return added, updated

    async def office(self, code: str) -> Office:
        async with self._stores() as store:
            return await office_by_code(store, code)

    async def office_statuses(self, actor: Actor) -> list[OfficeStatus]:
        self._check(actor)
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
        now = self._setup.now()
        async with self._stores() as store:
            office = await office_by_code(store, office_code)
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
        self._check(actor)
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

    # Responses and results -----------------------------------------------------------------

    async def reopen(self, office_code: str, actor: Actor, *, reason: str = "") -> ResponseRecord:
        self._check(actor)
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
            await store.commit()
            reopened = await store.response(office.id, self.questionnaire.id)
        assert reopened is not None
        return reopened

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

    async def export_rows(self, actor: Actor) -> list[ExportRow]:
        self._check(actor)
        async with self._stores() as store:
            return await store.export_rows(self.questionnaire.id)
