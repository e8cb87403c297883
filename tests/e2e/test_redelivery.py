"""An update is confirmed to Telegram only once it has been handled, by long polling and by
webhook: a tap or a typed comment cut short by kill -9 is delivered again after the restart,
finds its window (dialog state is kept on disk) and is handled once; SIGTERM lets the update
being handled finish, confirms it, and exits 0.

To land the kill mid-handling, the stand-in holds one Bot API call of the person's chat open
(a Telegram that does not answer): the answer is already stored, the window not yet shown.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator

import pytest

from standin.telegram import TelegramStandIn
from survey.service import SurveyService
from tests.support import answer_of

from .conftest import (
    LEVELS,
    STEP_TIMEOUT,
    TOKEN,
    BotProcess,
    Delegate,
    Launch,
    answer,
    update_id_of,
    verify,
)

PRESS_LIFETIME = 15.0  # seconds a press can be answered, in this stand-in
COMMENT = "Planned for 2027; depends on the new IT budget."


class SkewedClock:
    """The stand-in's clock, moved forward by hand to let presses expire."""

    def __init__(self) -> None:
        self.skew = 0.0

    def __call__(self) -> float:
        return time.time() + self.skew


@pytest.fixture
def clock() -> SkewedClock:
    return SkewedClock()


@pytest.fixture
async def telegram(clock: SkewedClock) -> AsyncIterator[TelegramStandIn]:
    # As on Telegram, a press cannot be answered after a while: one delivered again after
    # a restart usually cannot be answered any more.
    stand_in = TelegramStandIn(TOKEN, clock=clock, callback_query_lifetime=PRESS_LIFETIME)
    await stand_in.start("127.0.0.1", 0)
    yield stand_in
    await stand_in.stop()


def level_code(number: int) -> str:
    return LEVELS[number % 4].lower().replace(" ", "_")


async def started_and_verified(
    launch: Launch, telegram: TelegramStandIn, service: SurveyService, user_id: int
) -> Delegate:
    """The bot started, and a new person verified for EP with Recommendation 1 on screen."""
    await launch.start()
    delegate = Delegate(telegram, user_id)
    await verify(delegate, service)
    return delegate


async def handled_once_then_stopped(
    telegram: TelegramStandIn, bot_process: BotProcess, update_id: int
) -> None:
    """Every update confirmed, then SIGTERM exits 0; the latest run handled `update_id`
    exactly once, and no run logged a traceback."""
    await telegram.wait_for(lambda t: not t.pending_updates, STEP_TIMEOUT)
    assert bot_process.stop() == 0
    assert bot_process.last_log().count(f"Update id={update_id} is handled") == 1
    assert "Traceback" not in bot_process.log()


async def test_a_tap_cut_short_by_kill_9_is_handled_after_the_restart(
    launch: Launch,
    telegram: TelegramStandIn,
    clock: SkewedClock,
    bot_process: BotProcess,
    service: SurveyService,
) -> None:
    eva = await started_and_verified(launch, telegram, service, 521)
    for number in (1, 2, 3):
        await answer(eva, number)
    window = await eva.expect("Recommendation 4 of 40")
    shown_before = list(window.revisions)

    telegram.faults.add(method="editMessageText", chat_id=eva.user_id, hold=True)
    tap = await eva.click(LEVELS[4 % 4], wait=False)
    tap_update = update_id_of(telegram, eva.user_id, query=tap)
    await telegram.wait_for(lambda t: t.holding == 1, STEP_TIMEOUT)
    assert (await service.answering.progress(eva.user_id)).answered == 4  # stored, not yet shown
    bot_process.kill9()
    await telegram.wait_for(lambda t: t.holding == 0, STEP_TIMEOUT)  # the edit never happens
    clock.skew += 4 * PRESS_LIFETIME  # the restart takes a while: the press has expired

    await launch.start()
    shown = await eva.expect("Recommendation 5 of 40")
    # Delivered again, and handled by the new process (once: checked at the end).
    await bot_process.wait_for_log(f"Update id={tap_update} is handled")
    # Eva sees the next Recommendation in the same message, edited once more: no error, no
    # "older message" notice, no second message.
    assert shown.message_id == window.message_id
    assert shown.revisions == [*shown_before, shown.text]
    assert telegram.alerts(eva.user_id) == []
    assert [m.message_id for m in telegram.visible(eva.user_id) if m.from_bot] == [
        window.message_id
    ]
    # Her answer is stored, once; nothing else changed.
    review = await service.answering.review(eva.user_id)
    assert {item.number: item.level for item in review.items if item.level} == {
        number: level_code(number) for number in (1, 2, 3, 4)
    }
    await handled_once_then_stopped(telegram, bot_process, tap_update)


async def test_a_comment_cut_short_by_kill_9_is_stored_after_the_restart(
    launch: Launch, telegram: TelegramStandIn, bot_process: BotProcess, service: SurveyService
) -> None:
    ana = await started_and_verified(launch, telegram, service, 522)
    await answer(ana, 1)
    await ana.expect("Recommendation 2 of 40")
    await ana.click("💬 Add a comment")
    await ana.expect("Send your comment on Recommendation 2")

    # Telegram stops answering in Ana's chat: her comment is stored, then its handler waits
    # on its first call to Telegram, where the process is killed.
    telegram.faults.add(method="*", chat_id=ana.user_id, hold=True)
    sent = await ana.send(COMMENT)
    comment_update = update_id_of(telegram, ana.user_id, message_id=sent.message_id)
    await telegram.wait_for(lambda t: t.holding == 1, STEP_TIMEOUT)
    assert (await answer_of(service, ana.user_id, 2)).comment == COMMENT
    bot_process.kill9()
    await telegram.wait_for(lambda t: t.holding == 0, STEP_TIMEOUT)

    await launch.start()
    shown = await ana.expect(
        rf"Recommendation 2 of 40(.|\n)*Your comment: {re.escape(COMMENT)}",
        newer_than=sent.message_id,
    )
    await bot_process.wait_for_log(f"Update id={comment_update} is handled")
    # One window after her message, not two; no error.
    replies = [m for m in telegram.visible(ana.user_id) if m.message_id > sent.message_id]
    assert [m.message_id for m in replies] == [shown.message_id]
    assert telegram.alerts(ana.user_id) == []
    # The comment is stored, once, on Recommendation 2; nothing else changed.
    review = await service.answering.review(ana.user_id)
    assert {item.number: item.level for item in review.items if item.level} == {1: level_code(1)}
    assert (await answer_of(service, ana.user_id, 2)).comment == COMMENT
    assert [item.number for item in review.items if item.has_comment] == [2]
    await handled_once_then_stopped(telegram, bot_process, comment_update)


async def test_sigterm_lets_the_tap_being_handled_finish_then_exits_0(
    launch: Launch, telegram: TelegramStandIn, bot_process: BotProcess, service: SurveyService
) -> None:
    leo = await started_and_verified(launch, telegram, service, 523)
    window = await leo.expect("Recommendation 1 of 40")

    telegram.faults.add(method="editMessageText", chat_id=leo.user_id, hold=True)
    tap = await leo.click("High", wait=False)
    await telegram.wait_for(lambda t: t.holding == 1, STEP_TIMEOUT)
    bot_process.terminate()
    await bot_process.wait_for_log("Stopping: waiting")
    await telegram.release_held()  # Telegram answers again while the process is stopping

    assert await bot_process.exit_code() == 0
    # The tap was finished before the exit: answered, the next Recommendation shown, and
    # confirmed to Telegram, so no restart would handle it again.
    await telegram.wait_answered(tap, STEP_TIMEOUT)
    assert "Recommendation 2 of 40" in window.text
    await telegram.wait_for(lambda t: not t.pending_updates, STEP_TIMEOUT)
    assert (await service.answering.progress(leo.user_id)).answered == 1
    assert "Traceback" not in bot_process.log()
