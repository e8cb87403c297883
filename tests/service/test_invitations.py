"""Invitations and verification, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import SqlStoreFactory
from storage.models import InvitationRow, RepresentativeRow
from survey.errors import Reason, Refused
from survey.model import Actor
from survey.rules import MAX_FAILED_REDEMPTIONS
from survey.service import SurveyService
from tests.support import Clock, stored_rows, stored_values, verify


async def test_invite_then_redeem_verifies_and_stores_only_the_hash(
    service: SurveyService, engine: AsyncEngine, cli: Actor
) -> None:
    issued = await service.secretariat.create_invitation("ep", cli)
    assert issued.office.code == "EP"
    assert len(issued.code) >= 22  # at least 128 bits in URL-safe base64

    membership = await service.enrolment.redeem(
        42, issued.code, full_name="Ana Pérez", language="es"
    )

    assert membership.office.code == "EP"
    assert membership.newly_verified
    assert membership.representative.full_name == "Ana Pérez"
    [row] = await stored_rows(engine, select(InvitationRow))
    assert row.code_hash == hashlib.sha256(issued.code.encode()).hexdigest()
    assert row.uses == 1
    # No column of any invitation holds the code itself.
    [dumped] = await stored_rows(engine, text("SELECT * FROM invitation"))
    assert all(issued.code not in str(value) for value in dumped)
    [rep] = await stored_rows(engine, select(RepresentativeRow))
    assert (rep.telegram_user_id, rep.language) == (42, "es")


async def test_codes_are_random_and_unique(service: SurveyService, cli: Actor) -> None:
    codes = {(await service.secretariat.create_invitation("EP", cli)).code for _ in range(20)}
    assert len(codes) == 20


async def test_deep_link_and_spaces_are_accepted(service: SurveyService, cli: Actor) -> None:
    issued = await service.secretariat.create_invitation("FR", cli)
    membership = await service.enrolment.redeem(
        7, f"  https://t.me/survey_bot?start={issued.code} "
    )
    assert membership.office.code == "FR"


async def test_unknown_code_is_refused_without_naming_offices(service: SurveyService) -> None:
    with pytest.raises(Refused) as refused:
        await service.enrolment.redeem(42, "not-a-real-code-at-all-000")
    assert refused.value.reason is Reason.UNKNOWN_CODE
    assert "office" not in refused.value.details


async def test_expired_code(service: SurveyService, cli: Actor, clock: Clock) -> None:
    issued = await service.secretariat.create_invitation(
        "EP", cli, expires_at=clock.now.replace(hour=10)
    )
    clock.advance(hours=1)
    with pytest.raises(Refused) as refused:
        await service.enrolment.redeem(42, issued.code)
    assert refused.value.reason is Reason.CODE_EXPIRED


async def test_revoked_code_by_code_and_by_office(service: SurveyService, cli: Actor) -> None:
    first = await service.secretariat.create_invitation("EP", cli)
    second = await service.secretariat.create_invitation("EP", cli)
    other = await service.secretariat.create_invitation("JP", cli)

    assert (await service.secretariat.revoke(first.code, cli)).count == 1
    with pytest.raises(Refused) as refused:
        await service.enrolment.redeem(1, first.code)
    assert refused.value.reason is Reason.CODE_REVOKED

    assert (await service.secretariat.revoke("ep", cli)).count == 1  # only `second` was still live
    with pytest.raises(Refused) as refused:
        await service.enrolment.redeem(2, second.code)
    assert refused.value.reason is Reason.CODE_REVOKED

    assert (await service.enrolment.redeem(3, other.code)).office.code == "JP"


async def test_revoking_an_unknown_code_says_so(service: SurveyService, cli: Actor) -> None:
    with pytest.raises(Refused) as refused:
        await service.secretariat.revoke("nothing-like-this-exists-here", cli)
    assert refused.value.reason is Reason.UNKNOWN_CODE


async def test_code_used_up(service: SurveyService, cli: Actor) -> None:
    issued = await service.secretariat.create_invitation("EP", cli, max_uses=2)
    await service.enrolment.redeem(1, issued.code)
    await service.enrolment.redeem(2, issued.code)
    with pytest.raises(Refused) as refused:
        await service.enrolment.redeem(3, issued.code)
    assert refused.value.reason is Reason.CODE_USED_UP


async def test_same_person_again_does_not_spend_a_use(
    service: SurveyService, cli: Actor, engine: AsyncEngine
) -> None:
    issued = await service.secretariat.create_invitation("EP", cli, max_uses=1)
    assert (await service.enrolment.redeem(1, issued.code)).newly_verified
    again = await service.enrolment.redeem(1, issued.code)
    assert not again.newly_verified
    assert again.office.code == "EP"
    assert await stored_values(engine, select(InvitationRow.uses)) == [1]


async def test_a_representative_cannot_switch_office_with_another_code(
    service: SurveyService, cli: Actor
) -> None:
    await verify(service, 1, "EP")
    jp = await service.secretariat.create_invitation("JP", cli)
    with pytest.raises(Refused) as refused:
        await service.enrolment.redeem(1, jp.code)
    assert refused.value.reason is Reason.OTHER_OFFICE
    assert refused.value.details["office"].code == "EP"


async def test_brute_force_is_limited_per_user_then_released(
    service: SurveyService, cli: Actor, clock: Clock
) -> None:
    issued = await service.secretariat.create_invitation("EP", cli)
    for attempt in range(MAX_FAILED_REDEMPTIONS):
        with pytest.raises(Refused) as refused:
            await service.enrolment.redeem(42, f"wrong-code-number-{attempt:04d}")
        assert refused.value.reason is Reason.UNKNOWN_CODE
        clock.advance(minutes=1)

    # Even the right code is refused now, with the time to come back.
    with pytest.raises(Refused) as refused:
        await service.enrolment.redeem(42, issued.code)
    assert refused.value.reason is Reason.TOO_MANY_ATTEMPTS
    retry_at = refused.value.details["retry_at"]
    assert retry_at > clock.now

    # Another person is not affected.
    assert (await service.enrolment.redeem(43, issued.code)).office.code == "EP"

    clock.now = retry_at
    assert (await service.enrolment.redeem(42, issued.code)).newly_verified


async def test_failed_tries_survive_a_restart(
    service: SurveyService, stores: SqlStoreFactory, questionnaire: object, clock: Clock
) -> None:
    for attempt in range(MAX_FAILED_REDEMPTIONS):
        with pytest.raises(Refused):
            await service.enrolment.redeem(42, f"wrong-code-number-{attempt:04d}")
    restarted = SurveyService(stores, service.questionnaire, clock=clock)
    with pytest.raises(Refused) as refused:
        await restarted.enrolment.redeem(42, "wrong-code-number-9999")
    assert refused.value.reason is Reason.TOO_MANY_ATTEMPTS


async def test_unknown_office_for_an_invitation(service: SurveyService, cli: Actor) -> None:
    for code in ("ZZ", "E1", "EPO", ""):
        with pytest.raises(Refused) as refused:
            await service.secretariat.create_invitation(code, cli)
        assert refused.value.reason is Reason.UNKNOWN_OFFICE


async def test_bad_invitation_terms(service: SurveyService, cli: Actor, clock: Clock) -> None:
    with pytest.raises(Refused) as refused:
        await service.secretariat.create_invitation("EP", cli, max_uses=0)
    assert refused.value.reason is Reason.BAD_INVITATION_TERMS
    with pytest.raises(Refused) as refused:
        await service.secretariat.create_invitation("EP", cli, expires_at=clock.now)
    assert refused.value.reason is Reason.BAD_INVITATION_TERMS


async def test_only_the_secretariat_invites(service: SurveyService, admin: Actor) -> None:
    assert (await service.secretariat.create_invitation("EP", admin)).office.code == "EP"
    with pytest.raises(Refused) as refused:
        await service.secretariat.create_invitation("EP", Actor.telegram(12345))
    assert refused.value.reason is Reason.NOT_SECRETARIAT
