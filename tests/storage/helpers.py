"""Small steps many tests share."""

from __future__ import annotations

from survey.model import Actor
from survey.service import Membership, SurveyService


async def verify(
    service: SurveyService, user_id: int, office: str = "EP", name: str = ""
) -> Membership:
    issued = await service.create_invitation(office, Actor.cli())
    return await service.redeem(user_id, issued.code, full_name=name or f"Delegate {user_id}")


async def answer_all(
    service: SurveyService, user_id: int, level: str = "high", *, skip: tuple[int, ...] = ()
) -> None:
    for number in service.questionnaire.numbers:
        if number not in skip:
            await service.record_answer(user_id, number, level)
