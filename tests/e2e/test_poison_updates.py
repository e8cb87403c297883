"""An update whose handling kills the process is not handled a third time, by long polling
and by webhook: the real process is SIGKILLed twice while a person's upload is in hand,
and on the third start the upload is skipped, its sender told in their language, one log
line names its kind and id only, and the next person is served.

To land each kill mid-handling, the stand-in holds the bot's reply in that person's chat
open (a Telegram that does not answer). Telegram's delivery again is the stand-in's: the
update stays unconfirmed for polling, and a webhook POST cut by the kill is retried.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from standin.telegram import TelegramStandIn

from .conftest import STEP_TIMEOUT, BotProcess, Delegate, Launch

SENDER = 541  # a representative whose workbook kills the bot
NEXT = 542  # someone else, after
FILE_NAME = "EP-answers-hostile.xlsx"
NOT_PROCESSED = "Désolé, votre dernier message n’a pas pu être traité"


def upload(user_id: int) -> dict[str, object]:
    """A message carrying a workbook, as Telegram sends it."""
    person = {"id": user_id, "is_bot": False, "first_name": "Amélie", "language_code": "fr"}
    return {
        "message": {
            "message_id": 9001,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Amélie"},
            "from": person,
            "document": {
                "file_id": "BQACAgQAAxkBAAIBhostile",
                "file_unique_id": "AgADhostile",
                "file_name": FILE_NAME,
                "mime_type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "file_size": 45_000,
            },
        }
    }


async def killed_while_in_hand(
    launch: Launch, telegram: TelegramStandIn, bot_process: BotProcess
) -> None:
    """Start the bot; it takes the upload and hangs on its reply; SIGKILL."""
    await launch.start()
    await telegram.wait_for(lambda t: t.holding == 1, STEP_TIMEOUT)
    bot_process.kill9()
    await telegram.wait_for(lambda t: t.holding == 0, STEP_TIMEOUT)


async def test_an_update_that_killed_the_process_twice_is_skipped_and_its_sender_told(
    launch: Launch, telegram: TelegramStandIn, bot_process: BotProcess
) -> None:
    await killed_twice_then_skipped(launch, telegram, bot_process)


async def test_with_redis_the_record_is_kept_there(
    telegram: TelegramStandIn, bot_process: BotProcess, redis_url: str
) -> None:
    """With REDIS_URL (webhook replicas share it), the record is in Redis, not in a file."""
    client = Redis.from_url(redis_url)
    ours = [f"in_hand:{telegram.bot_id}:*", f"fsm:{telegram.bot_id}:*"]
    try:
        await forget(client, ours)
        bot_process.env["REDIS_URL"] = redis_url
        await killed_twice_then_skipped(
            Launch(bot_process, telegram, "webhook"), telegram, bot_process
        )
        assert not list(bot_process.workdir.glob("data/*.in-hand"))
        assert [key async for key in client.scan_iter(match=ours[0])] == []  # forgotten
    finally:
        await forget(client, ours)
        await client.aclose()


async def forget(client: Redis, patterns: list[str]) -> None:
    for pattern in patterns:
        async for key in client.scan_iter(match=pattern):
            await client.delete(key)


async def killed_twice_then_skipped(
    launch: Launch, telegram: TelegramStandIn, bot_process: BotProcess
) -> None:
    telegram.open_chat(SENDER, "fr")
    telegram.faults.add(method="*", chat_id=SENDER, hold=True, times=None)
    poisoned = await telegram.enqueue_update(upload(SENDER))

    await killed_while_in_hand(launch, telegram, bot_process)
    await killed_while_in_hand(launch, telegram, bot_process)  # delivered again: the same
    assert poisoned in [u.update_id for u in telegram.pending_updates]  # never confirmed
    telegram.faults.clear()  # Telegram answers again; the upload still kills the bot

    await launch.start()
    # Amélie is told, in French, that her last message could not be processed.
    await telegram.wait_for(
        lambda t: any(NOT_PROCESSED in m.text for m in t.visible(SENDER) if m.from_bot),
        STEP_TIMEOUT,
    )
    told = [m.text for m in telegram.visible(SENDER) if m.from_bot]
    assert told == [
        "Désolé, votre dernier message n’a pas pu être traité. Veuillez réessayer autrement, "
        "ou écrire à cws.surveys@wipo.int."
    ]
    # Skipped and confirmed: the next person is served.
    await telegram.wait_for(lambda t: poisoned not in [u.update_id for u in t.pending_updates])
    nina = Delegate(telegram, NEXT)
    await nina.send("/start")
    await nina.expect("invitation")
    await telegram.wait_for(lambda t: not t.pending_updates, STEP_TIMEOUT)

    log = bot_process.last_log()
    skipped = [line for line in log.splitlines() if "skipped" in line and str(poisoned) in line]
    assert len(skipped) == 1
    assert skipped[0].endswith(
        f"Update {poisoned} (message-with-document) skipped: 2 process(es) died while handling "
        "it; its sender is told it could not be processed"
    )
    # Never its content, names or user ids.
    for line in (*skipped, *(line for line in log.splitlines() if "in hand" in line)):
        assert str(SENDER) not in line
        assert "Amélie" not in line
        assert FILE_NAME not in line
    assert f"Update id={poisoned} is handled" not in log
    assert "Traceback" not in bot_process.log()
    assert bot_process.stop() == 0
