"""Submission announcements, on SQLite and PostgreSQL: a submission says which Secretariat
members to tell (each can switch it off and on, stored in the database) and for which Office."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import SqlStoreFactory
from survey.errors import Reason, Refused
from survey.model import Addressee
from survey.service import SurveyService
from tests.support import ADMIN_ID, Clock, answer_all, verify

OTHER_ADMIN = ADMIN_ID + 1


def with_two_admins(service: SurveyService, engine: AsyncEngine, clock: Clock) -> SurveyService:
    return SurveyService(
        SqlStoreFactory(engine),
        service.questionnaire,
        deadline=service.setup.deadline,
        admin_ids={ADMIN_ID, OTHER_ADMIN},
        clock=clock,
    )


async def submit_for(service: SurveyService, user_id: int, office: str) -> tuple[Addressee, ...]:
    await verify(service, user_id, office)
    await answer_all(service, user_id)
    submission = await service.answering.submit(user_id)
    assert submission.office.code == office
    return submission.secretariat


async def test_every_member_is_told_until_they_switch_it_off(
    service: SurveyService, engine: AsyncEngine, clock: Clock
) -> None:
    service = with_two_admins(service, engine, clock)
    secretariat = service.secretariat
    await service.enrolment.set_language(OTHER_ADMIN, "es")
    assert await secretariat.submission_notices(ADMIN_ID)  # on by default

    assert await submit_for(service, 1, "EP") == (
        Addressee(ADMIN_ID, None),
        Addressee(OTHER_ADMIN, "es"),
    )

    assert await secretariat.set_submission_notices(ADMIN_ID, False) is False
    assert not await secretariat.submission_notices(ADMIN_ID)
    assert await secretariat.submission_notices(OTHER_ADMIN)
    assert await submit_for(service, 2, "JP") == (Addressee(OTHER_ADMIN, "es"),)

    await secretariat.set_submission_notices(OTHER_ADMIN, False)
    assert await submit_for(service, 3, "FR") == ()

    await secretariat.set_submission_notices(ADMIN_ID, True)
    await service.enrolment.set_language(ADMIN_ID, "fr")  # the switch keeps the language
    assert await submit_for(service, 4, "DE") == (Addressee(ADMIN_ID, "fr"),)
    assert await service.enrolment.language(OTHER_ADMIN) == "es"


async def test_only_secretariat_members_have_the_switch(service: SurveyService) -> None:
    for call in (
        service.secretariat.submission_notices(5),
        service.secretariat.set_submission_notices(5, False),
    ):
        with pytest.raises(Refused) as refused:
            await call
        assert refused.value.reason is Reason.NOT_SECRETARIAT


async def test_without_secretariat_members_nobody_is_told(
    service: SurveyService, engine: AsyncEngine, clock: Clock
) -> None:
    alone = SurveyService(
        SqlStoreFactory(engine), service.questionnaire, deadline=service.setup.deadline, clock=clock
    )
    assert await submit_for(alone, 1, "EP") == ()
