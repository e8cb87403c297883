"""The real bot process with long work as jobs: while Telegram (the stand-in) leaves the
Secretariat's export hanging, more than a hundred other people are all answered, by polling
and by webhook alike; and a process killed (SIGKILL) in the middle of an export is followed
by one that makes and sends it, once."""

from __future__ import annotations

import asyncio

from standin.telegram import TelegramStandIn

from .conftest import STEP_TIMEOUT, BotProcess, Delegate, Launch

SECRETARIAT_ID = 9_100
OTHERS = 120  # more than getUpdates returns at once (100)


def documents(telegram: TelegramStandIn, chat_id: int) -> list[str]:
    return [
        message.file.file_name or ""
        for message in telegram.history(chat_id)
        if message.from_bot and message.file is not None and message.file.kind == "document"
    ]


async def test_an_export_telegram_leaves_hanging_holds_up_nobody_else(
    launch: Launch, telegram: TelegramStandIn, bot_process: BotProcess
) -> None:
    bot_process.env["ADMIN_IDS"] = str(SECRETARIAT_ID)
    await launch.start()
    secretariat = Delegate(telegram, SECRETARIAT_ID)
    telegram.faults.add(method="sendDocument", chat_id=SECRETARIAT_ID, hold=True)
    await secretariat.send("/export")
    await secretariat.expect("Preparing the files")
    await telegram.wait_for(lambda t: t.holding == 1, STEP_TIMEOUT)
    # The update that asked is confirmed to Telegram while its file hangs: no offset is
    # held at it (polling), no webhook request left open (webhook).
    await telegram.wait_for(lambda t: not t.pending_updates, STEP_TIMEOUT)

    others = [Delegate(telegram, 20_001 + n) for n in range(OTHERS)]
    await asyncio.gather(*(person.send("/help") for person in others))
    await telegram.wait_for(
        lambda t: all(t.last_bot_message(person.user_id) is not None for person in others),
        STEP_TIMEOUT,
    )
    assert telegram.holding == 1  # all of them answered while the export still hangs
    await telegram.wait_for(lambda t: not t.pending_updates, STEP_TIMEOUT)

    await telegram.release_held()
    await telegram.wait_for(lambda t: len(documents(t, SECRETARIAT_ID)) == 3, STEP_TIMEOUT)
    assert "Traceback" not in bot_process.log()


async def test_an_export_killed_with_its_process_is_sent_by_the_next_one_once(
    telegram: TelegramStandIn, bot_process: BotProcess
) -> None:
    bot_process.env.update(ADMIN_IDS=str(SECRETARIAT_ID), JOB_LEASE_SECONDS="2")
    launch = Launch(bot_process, telegram, "polling")
    await launch.start()
    secretariat = Delegate(telegram, SECRETARIAT_ID, "fr")
    telegram.faults.add(method="sendDocument", chat_id=SECRETARIAT_ID, hold=True)
    await secretariat.send("/export")
    await secretariat.expect("Préparation des fichiers")
    await telegram.wait_for(lambda t: t.holding == 1, STEP_TIMEOUT)
    # The update that asked is confirmed: only the job is left to do.
    await telegram.wait_for(lambda t: not t.pending_updates, STEP_TIMEOUT)
    bot_process.kill9()  # its held document never reaches the chat
    await telegram.wait_for(lambda t: t.holding == 0, STEP_TIMEOUT)
    telegram.faults.clear()

    await launch.start()
    await telegram.wait_for(lambda t: len(documents(t, SECRETARIAT_ID)) == 3, STEP_TIMEOUT)
    await asyncio.sleep(2)  # time for a second copy, were there one
    names = documents(telegram, SECRETARIAT_ID)
    assert sorted(name.rsplit(".", 1)[1] for name in names) == ["csv", "docx", "xlsx"]
    assert "was not finished: running it again" in bot_process.last_log()
