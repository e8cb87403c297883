"""An update the pinned aiogram cannot decode is skipped, logged once with its id, and
confirmed; the people before and after it are served, by long polling and by webhook."""

from __future__ import annotations

from standin.telegram import TelegramStandIn

from .conftest import STEP_TIMEOUT, BotProcess, Delegate, Launch

CONTACT = "cws.surveys@wipo.int"  # in /help
# A poll without the fields aiogram requires (options, total_voter_count, is_closed, ...),
# as a newer Bot API might send one.
UNREADABLE = {"poll": {"id": "5000000001", "question": "Which Recommendation first?"}}


async def test_an_update_the_bot_cannot_decode_is_skipped_and_everyone_served(
    launch: Launch, telegram: TelegramStandIn, bot_process: BotProcess
) -> None:
    before, after, later = (Delegate(telegram, user) for user in (531, 532, 533))
    # Queued while the bot is down, so that they arrive together.
    await before.send("/help")
    unreadable = await telegram.enqueue_update(UNREADABLE)
    await after.send("/help")

    await launch.start()
    await before.expect(CONTACT)
    await after.expect(CONTACT)
    await later.send("/help")
    await later.expect(CONTACT)
    await telegram.wait_for(lambda t: not t.pending_updates, STEP_TIMEOUT)
    assert bot_process.log().count(f"Skipped update {unreadable}:") == 1
    assert "Traceback" not in bot_process.log()
    assert bot_process.stop() == 0
