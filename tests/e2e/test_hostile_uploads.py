"""The real bot process under a memory limit, as in a container (`prlimit --as`, 1.5 GiB as in
issue 21): two representatives each send a workbook of 41 KB whose styles hold 2.8 million
fonts, which once took the bot past the limit (killed, restarted, killed again by the same
updates). Now each is refused, the process stays up, and others are
served meanwhile and after."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest

from reports.workbook import office_workbook
from standin.telegram import TelegramStandIn
from survey.model import Office
from survey.questionnaire import load_questionnaire
from survey.service import SurveyService
from tests.reports import hostile

from .conftest import LEVELS, STEP_TIMEOUT, BotProcess, Delegate, verify

MEMORY_LIMIT = 3 * 512 * 1024 * 1024  # 1.5 GiB of address space for the bot's process

pytestmark = pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs prlimit")


def fonts_workbook() -> bytes:
    office = Office(id=1, code="EP", kind="regional", names={"en": "European Patent Office"})
    genuine = office_workbook(
        office,
        {},
        load_questionnaire(),
        exported_at=datetime(2026, 1, 1, tzinfo=UTC),
        key=bytes(32),  # refused before its signature is read: any key will do
    )
    return hostile.millions_of_fonts(genuine)


async def test_two_workbooks_of_millions_of_fonts_under_a_memory_limit(
    telegram: TelegramStandIn, bot_process: BotProcess, service: SurveyService
) -> None:
    bot_process.start(prefix=["prlimit", f"--as={MEMORY_LIMIT}", "--"])
    await telegram.wait_for(lambda t: t.calls_of("getUpdates"), STEP_TIMEOUT)
    ana, ben, carla = (
        Delegate(telegram, 701),
        Delegate(telegram, 702),
        Delegate(telegram, 703),
    )
    await verify(ana, service)
    await verify(ben, service, office="JP")
    await verify(carla, service, office="FR")
    data = fonts_workbook()
    assert len(data) < 100 * 1024

    # Both files, and a tap of a third person while they are being checked.
    await ana.telegram.user_sends_document(ana.user_id, "EP.xlsx", data)
    await ben.telegram.user_sends_document(ben.user_id, "JP.xlsx", data)
    tap = await carla.click(LEVELS[1], wait=False)
    await telegram.wait_answered(tap, STEP_TIMEOUT)

    await ana.expect("This file is too complex to be checked")
    await ben.expect("This file is too complex to be checked")
    assert bot_process.process is not None
    assert bot_process.process.poll() is None  # still running: never killed for memory
    review = await service.answering.review(703)
    assert [item.level for item in review.items if item.level] == ["medium"]

    # After them, the next person's tap is served as ever.
    await carla.expect("Recommendation 2 of 40")
    await carla.click(LEVELS[2])
    await carla.expect("Recommendation 3 of 40")
    assert (await service.answering.review(701)).unanswered  # nothing applied for ana
    assert bot_process.stop() == 0  # SIGTERM ends it, its workers with it
    assert "Traceback" not in bot_process.log()
