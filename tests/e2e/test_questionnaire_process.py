"""The real bot process and another one on the same database: a wording put in force by the
other shows at the representative's next click, with the "wording updated" mark, without a
restart of the bot; and a restart keeps it (the database's version, not the file)."""

from __future__ import annotations

import copy
import re

from standin.telegram import TelegramStandIn
from survey.model import Actor
from survey.questionnaire import questionnaire_from_data, questionnaire_to_data
from survey.service import SurveyService

from .conftest import STEP_TIMEOUT, BotProcess, Delegate, answer, verify

REVISED = "Revised by the Secretariat 🎉"


async def test_a_new_wording_reaches_the_running_bot_and_survives_its_restart(
    telegram: TelegramStandIn, bot_process: BotProcess, service: SurveyService
) -> None:
    bot_process.start()
    await telegram.wait_for(lambda t: t.calls_of("getUpdates"), STEP_TIMEOUT)
    eva = Delegate(telegram, 701)
    await verify(eva, service, "EP")
    await answer(eva, 1)
    await eva.expect("Recommendation 2 of 40")

    data = copy.deepcopy(questionnaire_to_data(service.questionnaire))
    data["recommendations"][0]["title"]["en"] = REVISED
    new = questionnaire_from_data(data, origin="official.yaml")
    await service.questionnaires.refresh()
    await service.questionnaires.put_in_force(new, actor=Actor.cli(), expected_number=1)

    await eva.click("◀ Back")
    shown = await eva.expect(REVISED)
    assert "Recommendation 1 of 40" in shown.text
    # The day it was put in force, as the bot's clock has it (not compared: it may be midnight).
    assert re.search(r"Wording updated on \d+ \w+ \d{4}: please check your answer\.", shown.text)

    bot_process.stop()
    bot_process.start()
    await telegram.wait_for(lambda t: len(t.calls_of("getUpdates")) > 1, STEP_TIMEOUT)
    await eva.send("/continue")
    await eva.expect("Recommendation 2 of 40")
    await eva.click("◀ Back")
    await eva.expect(REVISED)
    await eva.click("✔ My answer stands")

    def confirmed(_: TelegramStandIn) -> bool:
        shown = eva.last()
        return shown is not None and REVISED in shown.text and "Wording updated" not in shown.text

    await telegram.wait_for(confirmed, STEP_TIMEOUT)
    [answer_row] = list((await service.answering.office_answers(701)).answers.values())
    assert (answer_row.recommendation, answer_row.version) == (1, 2)
