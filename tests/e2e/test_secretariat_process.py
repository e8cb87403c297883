"""The real bot process, as the Secretariat: /results brings a chart and the digest, /export
the three files, /remind reaches the representatives of the Offices that have not submitted,
through the Bot API stand-in (multipart uploads, as Telegram receives them)."""

from __future__ import annotations

import csv
import io

from docx import Document
from openpyxl import load_workbook

from standin.telegram import TelegramStandIn
from survey.model import Actor
from survey.service import SurveyService

from .conftest import STEP_TIMEOUT, BotProcess, Delegate, answer, verify

SECRETARIAT_ID = 9_100


def sent_files(telegram: TelegramStandIn, chat_id: int) -> list[tuple[str, str, bytes]]:
    """(kind, file name, content) of every photo and document the bot sent to the chat."""
    return [
        (message.file.kind, message.file.file_name or "", message.file.data)
        for message in telegram.history(chat_id)
        if message.from_bot and message.file is not None
    ]


async def test_results_and_export_reach_the_secretariat(
    telegram: TelegramStandIn, bot_process: BotProcess, service: SurveyService
) -> None:
    bot_process.start(ADMIN_IDS=str(SECRETARIAT_ID))
    await telegram.wait_for(lambda t: t.calls_of("getUpdates"), STEP_TIMEOUT)
    eva = Delegate(telegram, 601)
    await verify(eva, service, "EP")
    for number in range(1, 41):
        await answer(eva, number)
    await eva.expect("Review: European Patent Office")
    await eva.click("✅ Submit final answers")
    await eva.click("✅ Yes, submit now")
    await eva.expect("Receipt")

    secretariat = Delegate(telegram, SECRETARIAT_ID, "es")
    await secretariat.send("/results")
    await secretariat.expect("Resultados de la encuesta")
    # The chart follows the window (drawn by a job), which comes again below it.
    await telegram.wait_for(lambda t: sent_files(t, SECRETARIAT_ID), STEP_TIMEOUT)
    await secretariat.expect("Resultados de la encuesta")
    [(kind, _, chart)] = sent_files(telegram, SECRETARIAT_ID)
    assert kind == "photo"
    assert chart.startswith(b"\x89PNG")

    await secretariat.send("/export")
    await telegram.wait_for(lambda t: len(sent_files(t, SECRETARIAT_ID)) == 4, STEP_TIMEOUT)
    documents = {name: data for kind, name, data in sent_files(telegram, SECRETARIAT_ID)[1:]}
    assert sorted(name.rsplit(".", 1)[1] for name in documents) == ["csv", "docx", "xlsx"]
    for name, data in documents.items():
        if name.endswith(".csv"):
            assert data.startswith(b"\xef\xbb\xbf")
            assert data.decode("utf-8-sig").count("\n") == 41  # header + 40 answers of EP
        elif name.endswith(".xlsx"):
            load_workbook(io.BytesIO(data))
        else:
            text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
            assert "EP" in text

    # A representative who tries the same commands learns nothing of them.
    await eva.send("/results")
    await eva.expect("I do not know this command")
    assert sent_files(telegram, 601) == []

    # Ana's Office (FR) has not submitted: /remind reaches her, in French, and not Eva.
    ana = Delegate(telegram, 602, "fr")
    code = (await service.secretariat.create_invitation("FR", Actor.cli())).code
    await ana.send(f"/start {code}")
    welcome = await ana.expect("Vérification réussie")
    eva_messages = len(telegram.history(601))
    await secretariat.send("/remind")
    await secretariat.expect("Representantes: 1;")
    await secretariat.click("📨 Enviar el recordatorio")
    reminder = await ana.expect("Secrétariat", newer_than=welcome.message_id)
    assert "/continue" in reminder.text
    await secretariat.expect("Entregados: 1;")
    assert len(telegram.history(601)) == eva_messages


async def test_invitations_telegram_fails_to_deliver_are_revoked_and_made_anew(
    telegram: TelegramStandIn, bot_process: BotProcess, service: SurveyService
) -> None:
    bot_process.start(ADMIN_IDS=str(SECRETARIAT_ID))
    await telegram.wait_for(lambda t: t.calls_of("getUpdates"), STEP_TIMEOUT)
    secretariat = Delegate(telegram, SECRETARIAT_ID)
    # Every try of the one file fails: the bot's retries (4 attempts) give up.
    telegram.faults.add(method="sendDocument", status=502, times=4)
    await secretariat.send("/invite all pending")
    await secretariat.expect("could not deliver the file with .* new codes, so they were revoked")
    assert sent_files(telegram, SECRETARIAT_ID) == []
    detail = await service.secretariat.office_detail("FR", Actor.cli())
    assert [summary.usable for summary in detail.invitations] == [False]

    await secretariat.send("/invite all pending")
    await telegram.wait_for(lambda t: len(sent_files(t, SECRETARIAT_ID)) == 1, STEP_TIMEOUT)
    [(_, name, data)] = sent_files(telegram, SECRETARIAT_ID)
    assert name == "invitations.csv"
    rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    code = next(row["code"] for row in rows if row["office_code"] == "FR")
    ana = Delegate(telegram, 602, "fr")
    await ana.send(f"/start {code}")
    await ana.expect("Vérification réussie")
