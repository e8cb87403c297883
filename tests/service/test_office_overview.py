"""The Secretariat's dashboard of Offices, on SQLite and PostgreSQL: every Office with its
stage, who answers for it now, and when one of its answers last changed."""

from __future__ import annotations

import pytest

from survey.errors import Reason, Refused
from survey.model import Actor, OfficeStage
from survey.service import SurveyService
from tests.support import Clock, verify


async def test_every_office_with_its_people_and_last_activity(
    service: SurveyService, clock: Clock, admin: Actor, cli: Actor
) -> None:
    await verify(service, 1, "EP", name="Anna")
    await verify(service, 2, "EP", name="Bruno")
    await verify(service, 3, "FR", name="Chloé")
    await service.secretariat.remove_representative("EP", 2, cli)
    await service.answering.record_answer(1, 1, "high")
    clock.advance(hours=2)
    await service.answering.record_comment(1, 7, "Later")
    await service.secretariat.create_invitation("DE", cli)

    overview = {o.status.office.code: o for o in await service.secretariat.office_overview(admin)}

    ep, fr, de = overview["EP"], overview["FR"], overview["DE"]
    assert [p.full_name for p in ep.representatives] == ["Anna"]  # Bruno was removed
    assert ep.last_activity == clock.now
    assert ep.status.stage is OfficeStage.IN_PROGRESS
    assert [p.full_name for p in fr.representatives] == ["Chloé"]
    assert (fr.last_activity, fr.status.stage) == (None, OfficeStage.VERIFIED)
    assert (de.representatives, de.status.stage) == ((), OfficeStage.INVITED)
    assert len(overview) == len(await service.secretariat.office_statuses(admin))


async def test_only_for_the_secretariat(service: SurveyService) -> None:
    with pytest.raises(Refused) as refused:
        await service.secretariat.office_overview(Actor.telegram(1, "Anna"))
    assert refused.value.reason is Reason.NOT_SECRETARIAT
