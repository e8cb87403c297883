"""The Secretariat's view of the Offices, on SQLite and PostgreSQL: each Office's stage, the
detail of one Office, revoking an invitation by its id, and inviting every pending Office."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import InvitationRow
from survey.errors import Reason, Refused
from survey.model import Actor, OfficeStage
from survey.service import SurveyService
from tests.support import Clock, answer_all, audit_events, count_stored, stored_values, verify


async def test_every_office_has_a_stage_to_list_and_filter_by(
    service: SurveyService, admin: Actor, cli: Actor, clock: Clock
) -> None:
    secretariat = service.secretariat
    await secretariat.create_invitation("FR", cli)  # invited
    await verify(service, 1, "DE")  # verified, no answer
    await verify(service, 2, "JP")  # in progress
    await service.answering.record_answer(2, 1, "high")
    await service.answering.record_answer(2, 2, "low")
    await verify(service, 3, "EP")  # submitted
    await answer_all(service, 3)
    await service.answering.submit(3)

    statuses = {s.office.code: s for s in await secretariat.office_statuses(admin)}

    assert {code: statuses[code].stage for code in ("US", "FR", "DE", "JP", "EP")} == {
        "US": OfficeStage.NOT_INVITED,
        "FR": OfficeStage.INVITED,
        "DE": OfficeStage.VERIFIED,
        "JP": OfficeStage.IN_PROGRESS,
        "EP": OfficeStage.SUBMITTED,
    }
    # What a list line needs: "in progress 2/40", "submitted on T".
    assert (statuses["JP"].answered, statuses["EP"].answered) == (2, 40)
    assert statuses["EP"].submitted_at == clock.now
    assert len(statuses) == len(await secretariat.office_statuses(cli))

    started = await secretariat.office_statuses(
        admin, stages={OfficeStage.IN_PROGRESS, OfficeStage.SUBMITTED}
    )
    assert [s.office.code for s in started] == ["EP", "JP"]
    assert await secretariat.office_statuses(admin, stages=()) == []


async def test_the_detail_of_an_office(
    service: SurveyService, admin: Actor, cli: Actor, clock: Clock
) -> None:
    secretariat = service.secretariat
    old = await secretariat.create_invitation("EP", cli, max_uses=1)
    await service.enrolment.redeem(11, old.code, full_name="Anna", language="fr")
    clock.advance(hours=1)
    await verify(service, 12, "EP", "Bruno")
    await secretariat.remove_representative("EP", 12, cli)
    clock.advance(hours=1)
    live = await secretariat.create_invitation(
        "EP", cli, max_uses=3, expires_at=clock.now + timedelta(days=5)
    )
    await service.answering.record_answer(11, 1, "high")
    clock.advance(minutes=30)
    await service.answering.record_comment(11, 2, "later")  # a comment is activity too
    last_change = clock.now

    detail = await secretariat.office_detail("ep", admin)

    assert detail.office.code == "EP"
    assert detail.stage is OfficeStage.IN_PROGRESS
    assert (detail.answered, detail.total, detail.last_activity) == (1, 40, last_change)
    assert [
        (s.representative.telegram_user_id, s.representative.language, s.representative.active)
        for s in detail.representatives
    ] == [(11, "fr", True), (12, None, False)]
    assert detail.representatives[1].representative.revoked_at is not None
    assert [p.telegram_user_id for p in detail.active_representatives] == [11]
    # Newest first (the one verify() created lies in between).
    newest = detail.invitations[0]
    assert newest.invitation.id == live.invitation.id
    assert (newest.usable, newest.uses_left, newest.invitation.expires_at) == (
        True,
        3,
        clock.now - timedelta(minutes=30) + timedelta(days=5),
    )
    first = detail.invitations[-1]
    assert first.invitation.id == old.invitation.id
    assert (first.usable, first.uses_left, first.invitation.uses) == (False, 0, 1)
    assert detail.response is not None
    assert not detail.submitted
    assert (detail.submitted_at, detail.submitted_by, detail.reference) == (None, None, None)

    await answer_all(service, 11)
    submission = await service.answering.submit(11)
    detail = await secretariat.office_detail("EP", admin)
    assert detail.stage is OfficeStage.SUBMITTED
    assert (detail.submitted_at, detail.submitted_by) == (clock.now, "Anna")
    assert submission.response.receipt is not None
    assert detail.reference == submission.response.receipt.reference

    never = await secretariat.office_detail("US", admin)
    assert never.stage is OfficeStage.NOT_INVITED
    assert (never.representatives, never.invitations, never.response) == ((), (), None)
    assert (never.answered, never.last_activity) == (0, None)

    with pytest.raises(Refused) as refused:
        await secretariat.office_detail("EP", Actor.telegram(11))
    assert refused.value.reason is Reason.NOT_SECRETARIAT
    with pytest.raises(Refused) as refused:
        await secretariat.office_detail("ZZ", admin)
    assert refused.value.reason is Reason.UNKNOWN_OFFICE


async def test_revoking_an_invitation_by_id(
    service: SurveyService, engine: AsyncEngine, admin: Actor, cli: Actor
) -> None:
    secretariat = service.secretariat
    kept = await secretariat.create_invitation("EP", cli)
    await service.enrolment.redeem(1, kept.code)
    leaked = await secretariat.create_invitation("EP", cli)

    revocation = await secretariat.revoke_invitation(leaked.invitation.id, admin)

    assert (revocation.count, revocation.office.code, revocation.active_representatives) == (
        1,
        "EP",
        1,
    )
    assert revocation.invitation is not None
    assert revocation.invitation.revoked_at is not None
    with pytest.raises(Refused) as refused:
        await service.enrolment.redeem(2, leaked.code)
    assert refused.value.reason is Reason.CODE_REVOKED
    await service.enrolment.redeem(3, kept.code)  # the other code still works
    detail = await secretariat.office_detail("EP", admin)
    assert [(i.invitation.id, i.usable) for i in detail.invitations] == [
        (leaked.invitation.id, False),
        (kept.invitation.id, True),
    ]
    [event] = await audit_events(engine, "invitation.revoke")
    assert (event.actor, event.details["invitation"], event.details["count"]) == (
        admin.label,
        leaked.invitation.id,
        1,
    )

    again = await secretariat.revoke_invitation(leaked.invitation.id, admin)
    assert again.count == 0
    with pytest.raises(Refused) as refused:
        await secretariat.revoke_invitation(10_000, admin)
    assert refused.value.reason is Reason.UNKNOWN_INVITATION
    assert refused.value.details["invitation_id"] == 10_000
    with pytest.raises(Refused) as refused:
        await secretariat.revoke_invitation(kept.invitation.id, Actor.telegram(1))
    assert refused.value.reason is Reason.NOT_SECRETARIAT


async def test_inviting_every_pending_office(
    service: SurveyService, engine: AsyncEngine, admin: Actor, cli: Actor, clock: Clock
) -> None:
    secretariat = service.secretariat
    offices = len(await secretariat.office_statuses(cli))
    await secretariat.create_invitation("EP", cli)  # usable: skipped
    await verify(service, 1, "JP")  # JP submits: skipped
    await answer_all(service, 1)
    await service.answering.submit(1)
    await secretariat.create_invitation("FR", cli, expires_at=clock.now + timedelta(hours=1))
    used_up = await secretariat.create_invitation("DE", cli, max_uses=1)
    await service.enrolment.redeem(2, used_up.code)  # DE verified, its only code used up
    await secretariat.create_invitation("ES", cli)
    await secretariat.revoke("ES", cli)
    clock.advance(hours=2)  # FR's code has expired
    before = await count_stored(engine, InvitationRow)

    expiry = clock.now + timedelta(days=30)
    issued = await secretariat.invite_pending(admin, max_uses=3, expires_at=expiry)

    codes = [item.office.code for item in issued]
    assert codes == sorted(codes)
    assert len(issued) == offices - 2
    assert not {"EP", "JP"} & set(codes)
    assert {"FR", "DE", "ES", "US"} <= set(codes)
    assert len({item.code for item in issued}) == len(issued)
    assert all(
        (item.invitation.max_uses, item.invitation.expires_at) == (3, expiry) for item in issued
    )
    assert await count_stored(engine, InvitationRow) == before + len(issued)
    [event] = await audit_events(engine, "invitation.create_pending")
    assert (event.actor, event.details["count"]) == (admin.label, len(issued))
    assert event.details["offices"] == codes
    assert not any(item.code in str(event.details) for item in issued)

    fr = next(item for item in issued if item.office.code == "FR")
    assert (await service.enrolment.redeem(5, fr.code)).office.code == "FR"
    assert await secretariat.invite_pending(admin) == []  # everyone has a usable code now


async def test_inviting_every_pending_office_is_all_or_nothing(
    service: SurveyService, engine: AsyncEngine, clock: Clock
) -> None:
    with pytest.raises(Refused) as refused:
        await service.secretariat.invite_pending(Actor.telegram(1))
    assert refused.value.reason is Reason.NOT_SECRETARIAT
    with pytest.raises(Refused) as refused:
        await service.secretariat.invite_pending(Actor.cli(), expires_at=clock.now)
    assert refused.value.reason is Reason.BAD_INVITATION_TERMS
    [count] = await stored_values(engine, select(func.count()).select_from(InvitationRow))
    assert count == 0
