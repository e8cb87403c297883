"""A broadcast cut short is finished: the real process (`python -m bot run`) sends an
automatic reminder to 300 representatives and is killed (SIGKILL) at random points of it,
three times; after each restart it goes on with exactly those not yet reached, so that in
the end every person has had it exactly once, as counted at the Bot API stand-in."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

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
    chance = random.Random()
    points = sorted(chance.sample(range(20, PEOPLE - 40), KILLS))
    delays = [chance.uniform(0, 0.04) for _ in points]  # anywhere in a message's 40 ms turn
    where = f"killed after {points} messages (+{[round(d * 1000) for d in delays]} ms)"

    await launch.start()
    for point, delay in zip(points, delays, strict=True):
        await telegram.wait_for(
            lambda t, point=point: sum(reminders_per_chat(t).values()) >= point, STEP_TIMEOUT
        )
        await asyncio.sleep(delay)
        bot_process.kill9()
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
