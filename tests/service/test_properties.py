"""Random sequences of survey operations on SQLite and PostgreSQL (hypothesis, fixed seed):
two representatives of one Office and one of another answer, comment, submit (sometimes both
at once), are reopened and removed. After every step the stored answers equal a simple model,
refusals are the ones the rules call for, and no Office is submitted more than once at a time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import text

from storage.db import create_engine
from survey.errors import Reason, Refused
from survey.model import Actor
from survey.questionnaire import Questionnaire
from survey.rules import MAX_COMMENT_LENGTH
from survey.service import SurveyService
from tests.support import Clock, empty_tables, survey_service, verify

PEOPLE = {1: "EP", 2: "EP", 3: "JP"}
NUMBERS = st.sampled_from([1, 2, 3, 39, 40, 0, 41])  # 0 and 41 do not exist
LEVELS = st.sampled_from(["high", "medium", "low", "no_opinion", "urgent"])
COMMENTS = st.sampled_from(
    ["Budget first", "", " \u200b ", "x" * (MAX_COMMENT_LENGTH + 1), "<b>&", "é\u00a0ñ"]
)
person = st.sampled_from(sorted(PEOPLE))
operations = st.one_of(
    st.tuples(st.just("answer"), person, NUMBERS, LEVELS),
    st.tuples(st.just("comment"), person, NUMBERS, COMMENTS),
    st.tuples(st.just("fill"), person),
    st.tuples(st.just("submit"), person),
    st.tuples(st.just("submit together"), person, person),
    st.tuples(st.just("reopen"), st.sampled_from(["EP", "JP"])),
    st.tuples(st.just("remove"), person),
)


@dataclass
class Model:
    levels: dict[str, dict[int, str]] = field(default_factory=lambda: {"EP": {}, "JP": {}})
    comments: dict[str, dict[int, str]] = field(default_factory=lambda: {"EP": {}, "JP": {}})
    submitted: dict[str, bool] = field(default_factory=lambda: {"EP": False, "JP": False})
    submissions: dict[str, int] = field(default_factory=lambda: {"EP": 0, "JP": 0})
    removed: set[int] = field(default_factory=set)


async def expect_refusal(call: Any, *reasons: Reason) -> None:
    with pytest.raises(Refused) as refused:
        await call
    assert refused.value.reason in reasons


async def apply(service: SurveyService, model: Model, op: tuple[Any, ...]) -> None:
    kind = op[0]
    numbers = service.questionnaire.numbers
    if kind in ("answer", "comment", "fill", "submit"):
        user = op[1]
        office = PEOPLE[user]
        if user in model.removed:
            call = {
                "answer": lambda: service.answering.record_answer(user, 1, "high"),
                "comment": lambda: service.answering.record_comment(user, 1, "x"),
                "fill": lambda: service.answering.record_answer(user, 1, "high"),
                "submit": lambda: service.answering.submit(user),
            }[kind]
            await expect_refusal(call(), Reason.REPRESENTATIVE_REMOVED)
            return
    if kind == "answer":
        _, user, number, level = op
        office = PEOPLE[user]
        if number not in numbers:
            await expect_refusal(
                service.answering.record_answer(user, number, level),
                Reason.UNKNOWN_RECOMMENDATION,
                Reason.UNKNOWN_LEVEL,
            )
        elif level == "urgent":
            await expect_refusal(
                service.answering.record_answer(user, number, level), Reason.UNKNOWN_LEVEL
            )
        elif model.submitted[office]:
            await expect_refusal(
                service.answering.record_answer(user, number, level), Reason.ALREADY_SUBMITTED
            )
        else:
            await service.answering.record_answer(user, number, level)
            model.levels[office][number] = level
    elif kind == "comment":
        _, user, number, comment = op
        office = PEOPLE[user]
        if number not in numbers:
            await expect_refusal(
                service.answering.record_comment(user, number, comment),
                Reason.UNKNOWN_RECOMMENDATION,
            )
        elif model.submitted[office]:
            await expect_refusal(
                service.answering.record_comment(user, number, comment), Reason.ALREADY_SUBMITTED
            )
        elif len(comment) > MAX_COMMENT_LENGTH:
            await expect_refusal(
                service.answering.record_comment(user, number, comment), Reason.COMMENT_TOO_LONG
            )
        else:
            await service.answering.record_comment(user, number, comment)
            shown = comment.strip(" \u200b")
            if shown:
                model.comments[office][number] = shown
            else:
                model.comments[office].pop(number, None)
    elif kind == "fill":
        office = PEOPLE[op[1]]
        if not model.submitted[office]:
            for number in numbers:
                if number not in model.levels[office]:
                    await service.answering.record_answer(op[1], number, "medium")
                    model.levels[office][number] = "medium"
    elif kind == "submit":
        await submit(service, model, [op[1]])
    elif kind == "submit together":
        await submit(service, model, [op[1], op[2]])
    elif kind == "reopen":
        office = op[1]
        if model.submitted[office]:
            await service.secretariat.reopen(office, Actor.cli(), reason="asked by the Office")
            model.submitted[office] = False
        else:
            await expect_refusal(
                service.secretariat.reopen(office, Actor.cli()), Reason.NOT_SUBMITTED
            )
    elif kind == "remove":
        user = op[1]
        if user not in model.removed:
            await service.secretariat.remove_representative(PEOPLE[user], user, Actor.cli())
            model.removed.add(user)


async def submit(service: SurveyService, model: Model, users: list[int]) -> None:
    """One or several representatives press Submit at the same moment."""
    active = [user for user in users if user not in model.removed]
    results = await asyncio.gather(
        *(service.answering.submit(user) for user in active), return_exceptions=True
    )
    for user, result in zip(active, results, strict=True):
        office = PEOPLE[user]
        if isinstance(result, Refused):
            assert result.reason in (Reason.INCOMPLETE, Reason.ALREADY_SUBMITTED), result
            if result.reason is Reason.INCOMPLETE:
                assert len(model.levels[office]) < len(service.questionnaire.numbers)
        else:
            assert not isinstance(result, BaseException), result
            assert not model.submitted[office], "a second submission"
            model.submitted[office] = True
            model.submissions[office] += 1
    for user in active:  # a complete, open draft is always submitted by one of them
        office = PEOPLE[user]
        if len(model.levels[office]) == len(service.questionnaire.numbers):
            assert model.submitted[office]


async def check(service: SurveyService, model: Model, engine: Any) -> None:
    for office in ("EP", "JP"):
        reader = next(u for u, o in PEOPLE.items() if o == office)
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT answer.recommendation, answer.level, answer.comment, "
                    "response.submitted_at FROM answer "
                    "JOIN response ON response.id = answer.response_id "
                    "JOIN office ON office.id = response.office_id WHERE office.code = :code"
                ),
                {"code": office},
            )
            stored = rows.all()
            audit = await connection.execute(
                text(
                    "SELECT count(*) FROM audit_event JOIN office ON office.id = "
                    "audit_event.office_id WHERE office.code = :code AND action = "
                    "'response.submit'"
                ),
                {"code": office},
            )
            submissions = audit.scalar()
        assert {r.recommendation: r.level for r in stored if r.level} == model.levels[office]
        assert {r.recommendation: r.comment for r in stored if r.comment} == model.comments[office]
        assert submissions == model.submissions[office]
        if reader not in model.removed:
            assert (await service.answering.progress(reader)).submitted == model.submitted[office]


async def run(url: str, questionnaire: Questionnaire, ops: list[tuple[Any, ...]]) -> None:
    engine = create_engine(url)
    try:
        await empty_tables(engine)
        service = await survey_service(engine, questionnaire, Clock())
        for user, office in PEOPLE.items():
            await verify(service, user, office)
        model = Model()
        for op in ops:
            await apply(service, model, op)
            await check(service, model, engine)
    finally:
        await engine.dispose()


def test_random_operations_match_the_model(
    database_url: str, sqlite_template: Any, questionnaire: Questionnaire, tmp_path: Any
) -> None:
    import shutil

    @hypothesis_settings(
        max_examples=25,
        derandomize=True,  # a fixed seed: the same sequences on every run
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.lists(operations, max_size=20))
    def sequence(ops: list[tuple[Any, ...]]) -> None:
        url = database_url
        if url.startswith("sqlite"):
            path = tmp_path / "property.db"
            for suffix in ("", "-wal", "-shm"):
                (tmp_path / f"property.db{suffix}").unlink(missing_ok=True)
            shutil.copy(sqlite_template, path)
            url = f"sqlite+aiosqlite:///{path}"
        asyncio.run(run(url, questionnaire, ops))

    sequence()
