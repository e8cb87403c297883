"""Enrolment: a person redeems an invitation code and becomes a representative of an Office;
where they stand; the language they chose."""

from __future__ import annotations

from datetime import datetime

from survey import rules
from survey.codes import hash_code, hashes_match, normalize_code
from survey.errors import Reason, Refused
from survey.model import Actor
from survey.ports import SurveyStore
from survey.questionnaire import LANGUAGES
from survey.setup import SurveySetup, effective_deadline, office_by_id
from survey.text import clean_text
from survey.views import Deadline, Membership, Whereabouts, progress_of

REDEEM_FAILED = "invitation.redeem_failed"


class Enrolment:
    def __init__(self, setup: SurveySetup) -> None:
        self._setup = setup
        self._stores = setup.stores

    async def redeem(
        self, telegram_user_id: int, code: str, *, full_name: str = "", language: str | None = None
    ) -> Membership:
        """Verify a Telegram user as a representative of the code's Office."""
        now = self._setup.now()
        full_name = clean_text(full_name)  # the name Telegram gives: whatever its owner typed
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
            office = await office_by_id(store, current.office_id)
            if current.office_id != invitation.office_id:
                raise Refused(Reason.OTHER_OFFICE, office=office)
            # Already in (the deep link opened again): let them through without spending a
            # use, even if the code has since expired or run out.
            return Membership(current, office)
        if current is not None:
            rules.check_rejoin(current, invitation, await office_by_id(store, current.office_id))
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
        office = await office_by_id(store, invitation.office_id)
        return Membership(representative, office, newly_verified=True)

    async def whereabouts(self, telegram_user_id: int) -> Whereabouts | None:
        """Who this person answers for and how far their Office is, in one read; None if they
        were never verified, refused (REPRESENTATIVE_REMOVED) if they were removed."""
        setup = self._setup
        async with self._stores() as store:
            representative = await store.representative(telegram_user_id)
            if representative is None:
                return None
            office = await office_by_id(store, representative.office_id)
            rules.check_active(representative, office)
            response = await store.response(office.id, setup.questionnaire.id)
            answers = await store.answer_choices(response.id) if response is not None else []
            deadline = await effective_deadline(store, setup)
        progress = progress_of(
            setup.questionnaire,
            response,
            answers,
            deadline=deadline,
            now=setup.now(),
            text_updates=setup.in_force.current.text_updates,
        )
        return Whereabouts(Membership(representative, office), progress)

    async def deadline(self) -> Deadline:
        """The closing time as it stands (for /help, which anyone may open)."""
        async with self._stores() as store:
            at = await effective_deadline(store, self._setup)
        return Deadline(at, closed=not rules.is_open(at, self._setup.now()))

    async def language(self, telegram_user_id: int) -> str | None:
        """The language this user chose, if they ever did."""
        async with self._stores() as store:
            return await store.language(telegram_user_id)

    async def set_language(self, telegram_user_id: int, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        async with self._stores() as store:
            await store.set_language(telegram_user_id, language, self._setup.now())
            await store.commit()
