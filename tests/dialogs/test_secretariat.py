"""The Secretariat in the chat: /results with its chart, /export, and everyone else learning
nothing of either."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from aiogram.exceptions import TelegramServerError
from aiogram.methods import SendDocument
from aiogram.utils.i18n import I18n
from docx import Document
from openpyxl import load_workbook
from PIL import Image

from bot.config import Settings
from bot.scheduler import Scheduler
from survey.errors import Reason, Refused
from survey.model import Actor
from survey.service import SurveyService
from tests.support import ADMIN_ID, Clock, answer_all, verify

from .harness import BOT_USERNAME, App, Person, check_html, start_app, verified

PNG = b"\x89PNG\r\n\x1a\n"


async def seed_answers(service: SurveyService) -> None:
    """EP and JP submit; FR leaves a draft. R01: EP high, JP high, FR low (draft)."""
    await verify(service, 1, "EP")
    await verify(service, 2, "JP")
    await verify(service, 3, "FR")
    await answer_all(service, 1, "high")
    await answer_all(service, 2, "medium")
    await service.answering.record_answer(2, 1, "high")
    await service.answering.record_comment(1, 1, "Core of our e-filing")
    await service.answering.submit(1)
    await service.answering.submit(2)
    await service.answering.record_answer(3, 1, "low")


async def test_results_show_the_chart_and_the_digest_and_count_drafts_on_request(
    app: App, service: SurveyService
) -> None:
    await seed_answers(service)
    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/results")

    [(_, chart)] = app.bot.files(ADMIN_ID)
    assert chart.startswith(PNG)
    with Image.open(io.BytesIO(chart)) as image:
        width, height = image.size
    assert height > width >= 720  # a tall picture that fills a phone's screen

    text = check_html(admin.text())
    assert "Survey results" in text
    assert "2 submitted" in text  # EP and JP
    assert "3 invited" in text
    assert "Response rate: 67%" in text
    # R01: two Offices said High (score 3.00), first; every other one has one High and one
    # Medium (2.50), sharing rank 2.
    assert "1. R01" in text
    assert "3.00" in text
    assert "High 2 · Medium 0 · Low 0 · No opinion 0" in text
    assert "2. R02" in text
    assert "Score:" in text

    await admin.click("☐ Include drafts")
    assert len(app.bot.files(ADMIN_ID)) == 2  # a new chart for what is now counted
    text = check_html(admin.text())
    assert "drafts" in text.lower()
    assert "High 2 · Medium 0 · Low 1 · No opinion 0" in text  # FR's draft now counts
    assert "☑ Drafts included" in admin.buttons()

    await service.answering.record_answer(3, 2, "high")
    await admin.click("🔄 Refresh")
    assert len(app.bot.files(ADMIN_ID)) == 3


async def test_results_in_french_before_anyone_answers(app: App) -> None:
    admin = Person(app, ADMIN_ID, "fr")
    await admin.send("/results")
    assert app.bot.files(ADMIN_ID)[0][1].startswith(PNG)
    text = check_html(admin.text())
    assert "Résultats" in text
    assert "Aucune réponse" in text


async def test_export_sends_the_three_files_in_the_members_language(
    app: App, service: SurveyService
) -> None:
    await seed_answers(service)
    admin = Person(app, ADMIN_ID, "fr")
    await admin.send("/export")
    files = dict(app.bot.files(ADMIN_ID))
    names = sorted(files)
    assert [name.rsplit(".", 1)[1] for name in names] == ["csv", "docx", "xlsx"]
    assert all(name.endswith(f"-fr.{name.rsplit('.', 1)[1]}") for name in names)

    csv_file = next(data for name, data in files.items() if name.endswith(".csv"))
    assert csv_file.startswith(b"\xef\xbb\xbf")
    assert "Core of our e-filing" in csv_file.decode("utf-8-sig")

    xlsx = next(data for name, data in files.items() if name.endswith(".xlsx"))
    workbook = load_workbook(io.BytesIO(xlsx))
    assert "Classement" in workbook.sheetnames

    docx = next(data for name, data in files.items() if name.endswith(".docx"))
    document = Document(io.BytesIO(docx))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "R01" in text
    assert "EP" in text


async def test_the_files_button_sends_them_too(app: App, service: SurveyService) -> None:
    await seed_answers(service)
    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/results")
    await admin.click("📎 Files")
    kinds = sorted(name.rsplit(".", 1)[1] for name, _ in app.bot.files(ADMIN_ID))
    assert kinds == ["csv", "docx", "png", "xlsx"]
    assert "Survey results" in admin.text()  # the window again, below the files


@pytest.mark.parametrize("command", ["/results", "/export", "/offices", "/remind", "/reopen"])
async def test_secretariat_commands_look_unknown_to_everyone_else(
    app: App, service: SurveyService, command: str
) -> None:
    person = await verified(app, service)
    stranger = Person(app, 77, "en")
    for someone in (person, stranger):
        await someone.send("/nosuchcommand")
        unknown = app.bot.sent(someone.user_id)[-1]
        await someone.send(command)
        assert app.bot.sent(someone.user_id)[-1] == unknown  # no hint it means anything
    assert app.bot.files() == []


async def test_a_secretariat_button_pressed_by_someone_else_does_nothing(
    app: App, service: SurveyService
) -> None:
    await seed_answers(service)
    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/results")
    refresh = next(
        button.callback_data
        for row in admin.last().reply_markup.inline_keyboard  # type: ignore[union-attr]
        for button in row
        if button.text == "🔄 Refresh"
    )
    person = await verified(app, service, 5, office="DE")
    before = len(app.bot.files())
    await person.press_raw(person.last(), refresh or "")
    assert len(app.bot.files()) == before  # no chart, no files
    assert "older message" in app.bot.alerts()[-1]
    assert "Survey results" not in person.text()


# /offices -------------------------------------------------------------------------------


async def test_offices_list_filters_by_stage_and_opens_an_office(
    app: App, service: SurveyService
) -> None:
    await seed_answers(service)
    listed = len(await service.secretariat.office_statuses(Actor.cli()))
    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/offices")
    assert f"Offices: {listed} of {listed} shown." in check_html(admin.text())

    await admin.click("⚪ Submitted")
    assert "Offices: 2 of" in check_html(admin.text())
    assert [b for b in admin.buttons() if "·" in b] == [
        "EP · submitted on 1 June 2026",
        "JP · submitted on 1 June 2026",
    ]
    await admin.click("⚪ In progress")
    assert [b for b in admin.buttons() if "·" in b] == ["FR · in progress 1/40"]

    await admin.click("FR · in progress 1/40")
    text = check_html(admin.text())
    assert "FR · France" in text
    assert "Progress: 1 of 40 answered." in text
    assert "Delegate 3 (id 3, –)" in text  # never chose a language
    assert "↩ Reopen" not in admin.buttons()  # FR has not submitted
    await admin.click("◀ All Offices")
    assert "Offices:" in check_html(admin.text())


async def test_revoking_an_invitation_from_the_detail_after_confirmation(
    app: App, service: SurveyService
) -> None:
    issued = await service.secretariat.create_invitation("DE", Actor.cli())
    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/offices DE")
    label = f"🚫 Revoke invitation #{issued.invitation.id}"
    await admin.click(label)
    assert "Nobody can be verified with it afterwards" in admin.text()
    await admin.click("◀ Cancel")
    assert label in admin.buttons()  # nothing revoked
    await admin.click(label)
    await admin.click("🚫 Yes, revoke")
    assert app.bot.alerts()[-1] == f"Invitation #{issued.invitation.id} revoked."
    assert "revoked on" in admin.text()
    assert label not in admin.buttons()

    newcomer = Person(app, 40, "en")
    await newcomer.send(f"/start {issued.code}")
    assert "withdrawn" in app.bot.sent(40)[-1]


async def test_removing_a_representative_tells_them_and_refuses_their_next_action(
    app: App, service: SurveyService
) -> None:
    person = await verified(app, service, 3, office="FR", lang="fr")
    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/offices FR")
    await admin.click("➖ Remove Delegate 3")
    assert "Remove Delegate 3 from FR · France?" in admin.text()
    await admin.click("➖ Yes, remove")
    assert app.bot.alerts()[-1] == "Removed. They have been told."
    assert "removed on" in admin.text()
    assert "retiré votre accès" in app.bot.sent(3)[-1]  # told, in French

    await person.click("Élevée")
    assert "retiré votre accès" in app.bot.alerts()[-1]
    assert (await service.secretariat.office_detail("FR", Actor.cli())).answered == 0


async def test_a_new_invitation_from_the_detail_is_shown_once_and_works(
    app: App, service: SurveyService
) -> None:
    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/offices ES")
    await admin.click("✉ New invitation")
    message = check_html(app.bot.sent(ADMIN_ID)[-1])
    assert "Invitation for ES" in message
    code = message.split("Code: ", 1)[1].split()[0]
    assert f"https://t.me/{BOT_USERNAME}?start={code}" in message
    assert "ES · " in admin.text()  # the detail stays on screen
    newcomer = Person(app, 41, "es")
    await newcomer.send(f"/start {code}")
    assert await service.enrolment.whereabouts(41) is not None


# /invite --------------------------------------------------------------------------------


async def test_invite_one_office_all_pending_and_mistakes(app: App, service: SurveyService) -> None:
    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/invite")
    assert "/invite all pending" in app.bot.sent(ADMIN_ID)[-1]
    await admin.send("/invite XQ")
    assert "There is no Office with the code XQ" in app.bot.sent(ADMIN_ID)[-1]
    await admin.send("/invite ep")
    assert "Invitation for EP" in app.bot.sent(ADMIN_ID)[-1]

    listed = len(await service.secretariat.office_statuses(Actor.cli()))
    await admin.send("/invite all pending")
    [(name, data)] = app.bot.files(ADMIN_ID)
    assert name == "invitations.csv"
    lines = data.decode("utf-8-sig").splitlines()
    assert len(lines) == listed  # a header, and every Office but EP
    assert not any(line.startswith("EP,") for line in lines)
    await admin.send("/invite all pending")
    assert "nothing to do" in app.bot.sent(ADMIN_ID)[-1]


def telegram_gives_up() -> TelegramServerError:
    """What a call raises once Telegram answered 502 to every retry (bot/retry.py)."""
    return TelegramServerError(SendDocument(chat_id=ADMIN_ID, document="x"), "Bad Gateway")


async def test_invitations_file_not_delivered_revokes_its_codes_and_the_next_ask_makes_new_ones(
    app: App, service: SurveyService
) -> None:
    admin = Person(app, ADMIN_ID, "fr")
    app.bot.fail_files.append(telegram_gives_up())
    await admin.send("/invite all pending")
    [(_, lost)] = app.bot.files(ADMIN_ID)  # tried, never delivered
    said = app.bot.sent(ADMIN_ID)[-1]
    assert "n’a pas pu remettre le fichier" in said
    assert "révoqués" in said
    assert "/invite all pending" in said
    rows = list(csv.DictReader(io.StringIO(lost.decode("utf-8-sig"))))
    for row in rows[:3]:
        with pytest.raises(Refused) as refusal:
            await service.enrolment.redeem(70 + rows.index(row), row["code"])
        assert refusal.value.reason is Reason.CODE_REVOKED

    await admin.send("/invite all pending")  # not "nothing to do": a new batch
    [_, (_name, data)] = app.bot.files(ADMIN_ID)
    again = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [row["office_code"] for row in again] == [row["office_code"] for row in rows]
    assert not {row["code"] for row in again} & {row["code"] for row in rows}
    assert (await service.enrolment.redeem(77, again[0]["code"])).office.code == rows[0][
        "office_code"
    ]


async def test_one_invitation_not_delivered_is_revoked_and_said(
    app: App, service: SurveyService
) -> None:
    admin = Person(app, ADMIN_ID, "es")
    app.bot.fail.append(telegram_gives_up())
    await admin.send("/invite EP")
    said = app.bot.sent(ADMIN_ID)
    [lost] = re.findall(r"<code>([^<]+)</code>", said[-2])  # tried, never delivered
    assert "no pudo entregar el nuevo código de EP" in said[-1]
    assert "/invite EP" in said[-1]
    with pytest.raises(Refused) as refusal:
        await service.enrolment.redeem(77, lost)
    assert refusal.value.reason is Reason.CODE_REVOKED
    detail = await service.secretariat.office_detail("EP", Actor.cli())
    assert [summary.usable for summary in detail.invitations] == [False]

    await admin.send("/invite EP")
    [code] = re.findall(r"<code>([^<]+)</code>", app.bot.sent(ADMIN_ID)[-1])
    assert (await service.enrolment.redeem(77, code)).office.code == "EP"


# /reopen --------------------------------------------------------------------------------


async def test_reopen_with_a_reason_tells_the_office(app: App, service: SurveyService) -> None:
    await seed_answers(service)
    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/reopen")
    assert "/reopen EP" in app.bot.sent(ADMIN_ID)[-1]
    await admin.send("/reopen FR")
    assert "not submitted: there is nothing to reopen" in app.bot.sent(ADMIN_ID)[-1]

    await admin.send("/reopen EP")
    assert "Reopen the answers of EP" in admin.text()
    await admin.send("Asked by the Office: <R04> & co")
    assert "a draft again. Representatives told: 1." in admin.text()
    told = check_html(app.bot.sent(1)[-1])
    assert "reopened your Office's answers" in told
    assert "Reason given: Asked by the Office: <R04> & co" in told
    assert not (await service.answering.review(1)).response.submitted
    await admin.click("OK")


# /deadline ------------------------------------------------------------------------------


async def test_extending_the_deadline_reopens_answering_without_a_restart(
    app: App, service: SurveyService, clock: Clock
) -> None:
    person = await verified(app, service)
    first = await service.secretariat.deadline(Actor.cli())
    assert first is not None
    clock.now = first + timedelta(hours=1)
    await person.click("High")
    assert "closed" in app.bot.alerts()[-1]

    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/deadline")
    assert "closed on" in admin.text()
    await admin.click("+7 days")
    assert "Set the closing time to" in admin.text()
    await admin.click("✅ Yes, set it")
    assert "The closing time is now" in app.bot.alerts()[-1]
    assert await service.secretariat.deadline(Actor.cli()) == clock.now + timedelta(days=7)

    await person.send("/continue")
    await person.click("High")
    assert (await service.answering.progress(1)).answered == 1


async def test_a_typed_closing_time_and_its_mistakes(
    app: App, service: SurveyService, clock: Clock
) -> None:
    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/deadline")
    await admin.send("next friday")
    assert "such as 2026-12-31" in app.bot.sent(ADMIN_ID)[-1]
    await admin.send("2020-01-01")  # refused at once, before a confirmation offers it
    assert "must be in the future" in app.bot.sent(ADMIN_ID)[-1]
    assert "Set the closing time" not in admin.text()
    await admin.send("2026-12-31 18:00")
    await admin.click("✅ Yes, set it")
    assert await service.secretariat.deadline(Actor.cli()) == datetime(
        2026, 12, 31, 18, 0, tzinfo=UTC
    )


async def test_a_typed_closing_time_may_say_utc_and_a_date_means_its_end_however_written(
    app: App, service: SurveyService
) -> None:
    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/deadline")
    await admin.send("2026-12-31 18:00 UTC")
    assert "Set the closing time to <b>December 31, 2026, 18:00 UTC</b>" in admin.text()
    await admin.click("✅ Yes, set it")
    assert await service.secretariat.deadline(Actor.cli()) == datetime(
        2026, 12, 31, 18, 0, tzinfo=UTC
    )
    for typed in ("20261130", "2026-11-30", "2026-11-30 UTC"):
        await admin.send(typed)
        assert "Set the closing time to <b>November 30, 2026, 23:59 UTC</b>" in admin.text()
        await admin.click("◀ Back")


async def test_a_closing_time_past_the_calendars_end_is_refused_plainly(
    app: App, service: SurveyService
) -> None:
    admin = Person(app, ADMIN_ID, "fr")
    await admin.send("/deadline")
    await admin.send("9999-12-31 23:00-05:00")
    assert "trop loin" in app.bot.sent(ADMIN_ID)[-1]
    assert "1 janvier 9999" in app.bot.sent(ADMIN_ID)[-1]
    await admin.send("9998-12-31 22:00")  # the last day allowed
    await admin.click("✅ Oui, appliquer")
    assert await service.secretariat.deadline(Actor.cli()) == datetime(
        9998, 12, 31, 22, 0, tzinfo=UTC
    )
    await admin.click("+1 jour")
    assert "trop loin" in app.bot.alerts()[-1]

    # One stored before such dates were refused (the last minute Python can hold): "+1 day"
    # is refused the same way, not "something went wrong".
    async with service.setup.stores() as store:
        end = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
        await store.save_deadline(service.questionnaire.id, end, by="test", now=end)
        await store.commit()
    await admin.send("/deadline")
    await admin.click("+1 jour")
    assert "trop loin" in app.bot.alerts()[-1]
    assert await service.secretariat.deadline(Actor.cli()) == end


# /remind --------------------------------------------------------------------------------


async def test_remind_counts_confirms_sends_in_each_language_and_reports(
    app: App, service: SurveyService
) -> None:
    await seed_answers(service)  # EP, JP submitted; FR in progress (Delegate 3)
    await verified(app, service, 4, office="FR", lang="es")
    await verified(app, service, 5, office="BR", lang="fr")
    await service.secretariat.create_invitation("DE", Actor.cli())  # nobody verified
    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/remind")
    text = check_html(admin.text())
    assert "Representatives: 3; Offices that have not submitted: 2." in text
    assert "DE" in text.split("nobody verified (1):", 1)[1]

    await admin.click("📨 Send the reminder")
    assert "Sending the reminders (3)" in admin.text()
    await admin.settle()
    assert "not submitted yet" in app.bot.sent(3)[-1]
    assert "no se han enviado" in app.bot.sent(4)[-1]
    assert "pas encore été soumises" in app.bot.sent(5)[-1]
    assert app.bot.sent(1)[-1:] != [app.bot.sent(3)[-1]]  # EP submitted: not reminded
    assert (
        "Reminders done. Delivered: 3; not delivered because the person blocked the bot: 0"
        in (app.bot.sent(ADMIN_ID)[-1])
    )


async def test_automatic_reminders_are_sent_once_across_restarts(
    settings: Settings, service: SurveyService, i18n: I18n, clock: Clock
) -> None:
    await verify(service, 3, "FR")
    deadline = await service.secretariat.deadline(Actor.cli())
    assert deadline is not None
    with_offsets = settings.model_copy(update={"reminder_offsets": (timedelta(days=1),)})
    first = start_app(with_offsets, service, i18n)
    scheduler: Scheduler = first.dispatcher["scheduler"]
    assert await scheduler.tick(first.bot) == 0  # not due yet
    clock.now = deadline - timedelta(hours=12)
    assert await scheduler.tick(first.bot) == 1
    await first.dispatcher["notifier"].drain()
    assert "not submitted yet" in first.bot.sent(3)[-1]
    assert await scheduler.tick(first.bot) == 0  # sent once

    restarted = start_app(with_offsets, service, i18n)  # a new process, or a second replica
    assert await restarted.dispatcher["scheduler"].tick(restarted.bot) == 0
    assert restarted.bot.sent() == []


async def test_four_deadline_corrections_send_each_late_person_the_reminder_once(
    settings: Settings, service: SurveyService, i18n: I18n, clock: Clock
) -> None:
    await verify(service, 3, "FR")
    await verify(service, 4, "DE")
    with_offsets = settings.model_copy(update={"reminder_offsets": (timedelta(days=1),)})
    app = start_app(with_offsets, service, i18n)
    scheduler: Scheduler = app.dispatcher["scheduler"]
    start = clock.now
    for minutes, hours in ((0, 12), (4, 14), (9, 11), (15, 13)):  # each re-arms the offset
        clock.now = start + timedelta(minutes=minutes)
        await service.secretariat.set_deadline(clock.now + timedelta(hours=hours), Actor.cli())
        await scheduler.tick(app.bot)
        await app.dispatcher["notifier"].drain()
    for person in (3, 4):
        assert sum("not submitted yet" in text for text in app.bot.sent(person)) == 1


# Submission notices ---------------------------------------------------------------------


async def test_the_secretariat_is_told_of_each_submission_unless_switched_off(
    app: App, service: SurveyService
) -> None:
    admin = Person(app, ADMIN_ID, "en")  # Telegram says English; the member chose French
    await admin.send("/language")
    await admin.click("Français")
    for user, office in ((1, "EP"), (2, "JP")):
        await verify(service, user, office)
        await answer_all(service, user, "high")
    ep = Person(app, 1, "en")
    await ep.send("/review")
    await ep.click("✅ Submit final answers")
    await ep.click("✅ Yes, submit now")
    assert "EP · Office européen des brevets" in app.bot.sent(ADMIN_ID)[-1]
    assert "a soumis ses réponses" in app.bot.sent(ADMIN_ID)[-1]

    await admin.send("/results")
    await admin.click("🔔 Avis de chaque soumission\u00a0: activés")
    assert "🔕 Avis de chaque soumission\u00a0: désactivés" in admin.buttons()
    before = len(app.bot.sent(ADMIN_ID))
    jp = Person(app, 2, "en")
    await jp.send("/review")
    await jp.click("✅ Submit final answers")
    await jp.click("✅ Yes, submit now")
    assert len(app.bot.sent(ADMIN_ID)) == before
