"""Seeding a benchmark's database in bulk: Offices, each with one verified representative, one
invitation and a submitted response answering every Recommendation (the level tally made to
match). Shared by the answer-write, digest and scale benchmarks, and the broadcast one."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from bench import common
from storage.models import AnswerRow, InvitationRow, OfficeRow, RepresentativeRow, ResponseRow
from survey.questionnaire import Questionnaire

SEED_CHUNK = 10_000  # rows per bulk INSERT while seeding
LEVEL_WEIGHTS = (4, 3, 2, 1)  # how often each level of the scale is given while seeding
COMMENT_SHARE = 0.1
COMMENT = (
    "Our Office has started on this; the budget for the next two years depends on the "
    "decision of the board, expected in the spring."
)


def table_of(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


async def ids(connection: Any, model: type[SQLModel], key: str, values: list[Any]) -> list[int]:
    table = table_of(model)
    found = {k: int(v) for k, v in (await connection.execute(select(table.c[key], table.c.id)))}
    return [found[value] for value in values]


async def seed_submitted(
    engine: AsyncEngine, questionnaire: Questionnaire, codes: Sequence[str], first: int = 0
) -> int:
    """Offices `codes` (the `first`-th Office onwards), each with one representative, one
    invitation and a submitted response with an answer to every Recommendation (a tenth with a
    comment). Returns the number of answer rows added."""
    rng = random.Random(2021 + first)
    now = datetime.now(UTC)
    levels = [level.code for level in questionnaire.scale]
    weights = [LEVEL_WEIGHTS[i % len(LEVEL_WEIGHTS)] for i in range(len(levels))]
    people = range(10_000_000 + first, 10_000_000 + first + len(codes))
    async with engine.begin() as connection:
        await connection.execute(
            insert(table_of(OfficeRow)),
            [{"code": code, "kind": "national", "names": {}} for code in codes],
        )
        office_ids = await ids(connection, OfficeRow, "code", list(codes))
        await connection.execute(
            insert(table_of(RepresentativeRow)),
            [
                {
                    "telegram_user_id": person,
                    "office_id": office_id,
                    "full_name": f"Delegate {person - 10_000_000}",
                    "language": "en",
                    "verified_at": now,
                }
                for person, office_id in zip(people, office_ids, strict=True)
            ],
        )
        person_ids = await ids(connection, RepresentativeRow, "telegram_user_id", list(people))
        await connection.execute(
            insert(table_of(InvitationRow)),
            [
                {
                    "office_id": office_id,
                    "code_hash": hashlib.sha256(f"bench-{code}".encode()).hexdigest(),
                    "created_at": now - timedelta(days=7),
                    "created_by": "cli:bench",
                    "max_uses": 3,
                    "uses": 1,
                }
                for code, office_id in zip(codes, office_ids, strict=True)
            ],
        )
        await connection.execute(
            insert(table_of(ResponseRow)),
            [
                {
                    "office_id": office_id,
                    "questionnaire_id": questionnaire.id,
                    "status": "submitted",
                    "created_at": now - timedelta(days=1),
                    "submitted_at": now,
                    "submitted_by": person_id,
                }
                for office_id, person_id in zip(office_ids, person_ids, strict=True)
            ],
        )
        response_ids = await ids(connection, ResponseRow, "office_id", office_ids)
        added = 0
        chunk: list[dict[str, Any]] = []
        for response_id, person_id in zip(response_ids, person_ids, strict=True):
            chosen = rng.choices(levels, weights, k=len(questionnaire.numbers))
            for number, level in zip(questionnaire.numbers, chosen, strict=True):
                chunk.append(
                    {
                        "response_id": response_id,
                        "recommendation": number,
                        "level": level,
                        "comment": COMMENT if rng.random() < COMMENT_SHARE else None,
                        "changed_at": now - timedelta(hours=2, seconds=rng.randrange(3600)),
                        "changed_by": person_id,
                    }
                )
            if len(chunk) >= SEED_CHUNK:
                await connection.execute(insert(table_of(AnswerRow)), chunk)
                added, chunk = added + len(chunk), []
        if chunk:
            await connection.execute(insert(table_of(AnswerRow)), chunk)
            added += len(chunk)
        await common.tally_submitted(connection)
    if engine.dialect.name == "postgresql":  # fresh statistics, as autovacuum would give
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("ANALYZE"))
    return added
