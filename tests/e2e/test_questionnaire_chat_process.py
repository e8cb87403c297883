"""The real bot process, as the Secretariat in the chat: /questionnaire gives the template,
the filled workbook goes back through the stand-in (a real upload, downloaded with getFile),
the preview shows, "Put in force" stores version 2, and after a restart a representative
reads the new texts."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from standin.telegram import TelegramStandIn
from survey.model import Actor
from survey.questionnaire import MAX_TITLE_LENGTH
from survey.service import SurveyService

from .conftest import STEP_TIMEOUT, BotProcess, Delegate

SECRETARIAT_ID = 9_200
NEW_TITLE_FR = "Utiliser « ST.96 » <b>XML</b> & l’outil de l’OMPI 📄"


def documents(telegram: TelegramStandIn, chat_id: int) -> list[tuple[str, bytes]]:
    return [
        (message.file.file_name or "", message.file.data)
        for message in telegram.history(chat_id)
        if message.from_bot and message.file is not None and message.file.kind == "document"
    ]


async def test_a_new_wording_sent_in_the_chat_is_in_force_after_a_restart(
    telegram: TelegramStandIn, bot_process: BotProcess, service: SurveyService
) -> None:
    bot_process.start(ADMIN_IDS=str(SECRETARIAT_ID))
    await telegram.wait_for(lambda t: t.calls_of("getUpdates"), STEP_TIMEOUT)
    secretariat = Delegate(telegram, SECRETARIAT_ID, "en")
    await secretariat.send("/questionnaire")
    await secretariat.expect("The questionnaire in force")
    await secretariat.click("📥 Template (Excel)")
    await telegram.wait_for(lambda t: documents(t, SECRETARIAT_ID), STEP_TIMEOUT)
    [(name, template)] = documents(telegram, SECRETARIAT_ID)
    assert name.endswith("-v1.xlsx")

    book = load_workbook(io.BytesIO(template))
    sheet = book["Recommendations"]
    header = [cell.value for cell in sheet[1]]
    title = (NEW_TITLE_FR + " " + "é" * MAX_TITLE_LENGTH)[:MAX_TITLE_LENGTH]
    sheet.cell(row=2, column=header.index("title_fr") + 1, value=title)
    out = io.BytesIO()
    book.save(out)
    await telegram.user_sends_document(SECRETARIAT_ID, "questionnaire.xlsx", out.getvalue())
    await secretariat.expect("The questionnaire you sent")
    previews = [m.text for m in telegram.history(SECRETARIAT_ID) if "Preview, French" in m.text]
    assert previews
    assert title in previews[-1]  # as Telegram shows it, once the HTML is read
    await secretariat.click("✅ Put in force")
    await secretariat.expect("version 2")
    await secretariat.click("✅ Yes, put it in force")
    await secretariat.expect("Version 2 of the questionnaire is in force")
    assert (await service.questionnaires.in_force()).number == 2

    assert bot_process.stop() == 0
    bot_process.start(ADMIN_IDS=str(SECRETARIAT_ID))
    delegate = Delegate(telegram, 801, "fr")
    await verify_in_french(delegate, service)
    shown = telegram.last_bot_message(801)
    assert shown is not None
    assert title in shown.text
    assert "Traceback" not in bot_process.log()


async def verify_in_french(delegate: Delegate, service: SurveyService) -> None:
    code = (await service.secretariat.create_invitation("FR", Actor.cli())).code
    await delegate.send(f"/start {code}")
    await delegate.expect("Vérification réussie")
    await delegate.click("▶ Commencer")
    await delegate.expect("/forgetme")
    await delegate.click("✅ J’ai compris, continuer")
    await delegate.expect("Recommandation 1 sur 40")
