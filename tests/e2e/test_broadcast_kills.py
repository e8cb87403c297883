"""A broadcast cut short is finished: the real process (`python -m bot run`) sends an
automatic reminder to 300 representatives and is killed (SIGKILL) at random points of it,
three times; after each restart it goes on with exactly those not yet reached, so that in
the end every person has had it exactly once, as counted at the Bot API stand-in.

Each kill comes when a random message has reached the stand-in and its answer has not left
it: the bot dies not knowing whether that one arrived, the case a kill meets most often
against Telegram, whose answers take a round trip of tens of milliseconds. A kill in the
millisecond between a recipient's claim and its request leaving would lose that one message
(survey/broadcasts.py says why that side was chosen): a point in time the test cannot pick."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from standin.state import Call
from standin.telegram import TelegramStandIn
from survey.model import Actor
from survey.service import SurveyService
from tests.e2e.conftest import STEP_TIMEOUT, BotProcess, Launch
from tests.support import verify

REMINDER = "A reminder from the CWS Secretariat"
PEOPLE = 300
KILLS = 3


def reminders_per_chat(telegram: TelegramStandIn) -> Counter[int]:
    return Counter(
        int(call["chat_id"])
        for call in telegram.calls_of("sendMessage")
        if REMINDER in str(call.get("text", ""))
    )


async def test_a_reminder_killed_three_times_reaches_everyone_exactly_once(
    telegram: TelegramStandIn, bot_process: BotProcess, service: SurveyService
) -> None:
    statuses = await service.secretariat.office_statuses(Actor.cli())
    codes = [status.office.code for status in statuses]
    people = list(range(10_001, 10_001 + PEOPLE))
    for index, user in enumerate(people):
        await verify(service, user, codes[index % 40])
        telegram.open_chat(user)
    # The 1-day reminder is due as soon as the bot looks.
    await service.secretariat.set_deadline(datetime.now(UTC) + timedelta(hours=12), Actor.cli())
    bot_process.env["REMINDER_OFFSETS"] = "1d"
    launch = Launch(bot_process, telegram, "polling")
    points = sorted(random.sample(range(20, PEOPLE - 40), KILLS))
    where = f"killed at messages {points}"
    kills: list[int] = []
    woken: list[asyncio.Future[None]] = []

    def kill_at_a_point(call: Call) -> None:
        # Told of each call once it has run, before its answer is written: the bot is
        # waiting for it.
        if call.method == "sendMessage" and REMINDER in str(call.params.get("text", "")):
            reached = sum(reminders_per_chat(telegram).values())
            if len(kills) < KILLS and reached == points[len(kills)]:
                kills.append(reached)
                bot_process.kill9()
                # Wakes the test's wait below (a dead bot changes nothing more).
                woken.append(asyncio.ensure_future(telegram.state.changed()))

    telegram.state.call_listeners.append(kill_at_a_point)
    await launch.start()
    for killed in range(KILLS):
        await telegram.wait_for(lambda _, killed=killed: len(kills) > killed, STEP_TIMEOUT)
        await launch.start()
    await telegram.wait_for(lambda t: len(reminders_per_chat(t)) >= PEOPLE, 3 * STEP_TIMEOUT)
    await asyncio.sleep(3)  # time for a second copy, were there one

    counts = reminders_per_chat(telegram)
    assert set(counts) == set(people), where
    twice = {chat: n for chat, n in counts.items() if n != 1}
    assert twice == {}, where
    assert all(
        sum(REMINDER in m.text for m in telegram.history(user) if m.from_bot) == 1
        for user in people
    ), where
    log = bot_process.log()
    assert log.count("was not finished: going on with it") >= KILLS, where
    assert "Traceback" not in log, log[-3000:]
