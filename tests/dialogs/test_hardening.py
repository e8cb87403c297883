"""Defects found by trying the bot as an attacker and as a clumsy user would: each test here
failed before its fix."""

from __future__ import annotations

from pathlib import Path

import yaml
from aiogram.exceptions import TelegramServerError
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import CallbackQuery, Chat, InaccessibleMessage, Update
from aiogram.utils.i18n import I18n

from bot.config import Settings
from survey.model import Actor
from survey.offices import OfficeInfo
from survey.questionnaire import Questionnaire, load_questionnaire
from survey.rules import MAX_FAILED_REDEMPTIONS
from survey.service import SurveyService
from tests.support import Clock, answer_of

from .harness import App, Person, check_html, next_update_id, shown_title, start_app, verified


async def levels(service: SurveyService, user_id: int = 1) -> dict[int, str | None]:
    progress = await service.answering.progress(user_id)
    return {number: answer.level for number, answer in progress.answers.items() if answer.level}


# 1. A tap lands on the Recommendation the person saw --------------------------------------


async def test_a_double_tap_answers_only_the_recommendation_shown(
    app: App, service: SurveyService, questionnaire: Questionnaire
) -> None:
    person = await verified(app, service)
    for _ in range(4):
        await person.click("High")
    shown_r5 = person.last()
    assert shown_title(questionnaire, 5) in (shown_r5.text or "")

    first = await person.click("Low", message=shown_r5)
    second = await person.click("Low", message=shown_r5)  # the same message, tapped again

    assert await levels(service) == {1: "high", 2: "high", 3: "high", 4: "high", 5: "low"}
    assert shown_title(questionnaire, 6) in person.text()  # not R7
    assert app.answers_to(first) == 1
    assert app.answers_to(second) == 1


async def test_a_tap_on_a_window_telegram_refused_to_update_answers_what_it_shows(
    settings: Settings, service: SurveyService, i18n: I18n, questionnaire: Questionnaire
) -> None:
    # The production storage: dialog state kept in memory.
    app = start_app(settings, service, i18n, storage=MemoryStorage())
    person = await verified(app, service)
    shown_r1 = person.last()
    app.messages.fail.append(
        TelegramServerError(EditMessageText(text="?"), "Bad Gateway")  # past the retries
    )
    await person.click("High", message=shown_r1)
    assert await levels(service) == {1: "high"}  # saved before the window failed
    assert app.bot.alerts(), "the person is told something went wrong"

    # The screen still shows R1: each tap on it is about R1, never R2, R3...
    await person.click("Medium", message=shown_r1)
    await person.click("Low", message=shown_r1)
    assert await levels(service) == {1: "low"}
    assert shown_title(questionnaire, 2) in person.text()


async def test_comment_and_navigation_buttons_of_an_older_window_act_on_its_own_recommendation(
    app: App, service: SurveyService, questionnaire: Questionnaire
) -> None:
    person = await verified(app, service)
    shown_r1 = person.last()
    await person.click("High")  # now at R2; the R1 message is still on screen for a moment
    await person.click("💬 Add a comment", message=shown_r1)
    assert "Recommendation 1" in person.text()
    await person.send("About R1")
    assert (await answer_of(service, 1, 1)).comment == "About R1"
    assert (await answer_of(service, 1, 2)).comment is None

    shown_r1 = person.last()
    await person.click("Next ▶", message=shown_r1)
    await person.click("Skip for now ▶")  # R2 skipped: off to R3
    assert shown_title(questionnaire, 3) in person.text()
    await person.click("Next ▶", message=shown_r1)  # the R1 window's Next still means R2
    assert shown_title(questionnaire, 2) in person.text()


async def test_a_double_tap_on_next_page_turns_one_page(app: App, service: SurveyService) -> None:
    person = await verified(app, service)
    await person.send("/review")
    shown_page_1 = person.last()
    assert "page 1 of 4" in person.text()
    await person.click("Next page ▶", message=shown_page_1)
    await person.click("Next page ▶", message=shown_page_1)  # the second tap of a double tap
    assert "page 2 of 4" in person.text()
    assert "R11" in person.text()
    assert "R21" not in person.text()
    await person.click("Next page ▶")
    await person.click("Next page ▶")
    assert "page 4 of 4" in person.text()
    assert "Next page ▶" not in person.buttons()
    await person.click("◀ Previous page")
    assert "page 3 of 4" in person.text()


# 2. Hostile text stays text ---------------------------------------------------------------

HOSTILE_NAME = 'Tom <Jerry> & <a href="https://evil.example/">Co</a>'
HOSTILE_COLLEAGUE = "<b>Ann"
HOSTILE_OFFICE = "<Test> Office & Co"
HOSTILE_CONTACT = "CWS Secretariat <cws.surveys@wipo.int>"
HOSTILE_COMMENT = '</i><a href="tg://user?id=1">x</a> & <script>'
HOSTILE_TITLE = "Data <exchange> & <b>more"


def hostile_questionnaire(tmp_path: Path, questionnaire: Questionnaire) -> Questionnaire:
    """The shipped questionnaire with markup in a title, a statement, a level and the note."""
    source = questionnaire.path
    data = yaml.safe_load(Path(source).read_text(encoding="utf-8"))
    first = data["recommendations"][0]
    first["title"]["en"] = HOSTILE_TITLE
    first["statement"]["en"] = "Statement with <i>tags</i> & an ampersand"
    data["source"]["en"] = "Source <CWS/6/3> & annex"
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_questionnaire(path)


async def test_names_offices_settings_and_comments_are_shown_as_typed_never_as_markup(
    tmp_path: Path,
    settings: Settings,
    service: SurveyService,
    i18n: I18n,
    questionnaire: Questionnaire,
) -> None:
    hostile = hostile_questionnaire(tmp_path, questionnaire)
    setup = service.setup
    service = SurveyService(
        setup.stores, hostile, deadline=setup.deadline, admin_ids=setup.admin_ids, clock=setup.clock
    )
    await service.secretariat.import_offices(
        [OfficeInfo("XT", "regional", {"en": HOSTILE_OFFICE, "fr": HOSTILE_OFFICE})],
        Actor.cli(),
    )
    settings = settings.model_copy(update={"contact_email": HOSTILE_CONTACT})
    app = start_app(settings, service, i18n)  # the harness parses every text as Telegram does
    code = (await service.secretariat.create_invitation("XT", Actor.cli(), max_uses=2)).code
    tom = Person(app, 1, "en", name=HOSTILE_NAME)
    ann = Person(app, 2, "en", name=HOSTILE_COLLEAGUE)
    visible: list[str] = []

    def seen() -> str:
        return check_html(tom.text() if tom.app.messages.sent_messages else "")

    await tom.send(f"/start {code}")
    visible.append(seen())  # the welcome: Office and contact
    await ann.send(f"/start {code}")
    await tom.click("▶ Start")
    await tom.acknowledge_notice()
    visible.append(seen())  # R1: hostile title and statement
    await tom.click("💬 Add a comment")
    await tom.send(HOSTILE_COMMENT)
    visible.append(seen())  # R1 with the comment
    await tom.click("💬 Edit the comment")
    visible.append(seen())  # the comment window quotes it
    assert HOSTILE_COMMENT in visible[-1]
    await tom.click("◀ Cancel")
    for _ in hostile.numbers:
        await tom.click("High")
    visible.append(seen())  # the review: titles and who changed what
    await ann.send("/review")
    visible.append(check_html(ann.text()))
    await ann.click("✅ R01")
    visible.append(check_html(ann.text()))  # R1 with Tom's comment
    await tom.click("✅ Submit final answers")
    visible.append(seen())  # the confirmation names the Office
    assert HOSTILE_OFFICE in visible[-1]
    await tom.click("✅ Yes, submit now")
    visible.append(seen())  # the receipt: submitter's name
    await ann.click("Medium")  # "already submitted by <name>", as an alert
    await tom.send("/help")
    visible.append(seen())
    stranger = Person(app, 3, "en")
    other = (await service.secretariat.create_invitation("JP", Actor.cli())).code
    await stranger.send(f"/start {other}")
    await stranger.send(f"/start {code}")  # "You already answer for Japan"
    await tom.send(f"/start {other}")  # "You already answer for <Test> Office & Co"
    assert any(HOSTILE_OFFICE in check_html(text) for text in app.bot.sent(1))
    visible.extend(check_html(text) for text in app.bot.sent())
    alerts = app.bot.alerts()

    everything = "\n".join(visible)
    for value in (HOSTILE_OFFICE, HOSTILE_CONTACT, HOSTILE_COMMENT, HOSTILE_TITLE):
        assert value in everything, value
    assert "Statement with <i>tags</i> & an ampersand" in everything
    assert "Source <CWS/6/3> & annex" in everything
    assert HOSTILE_NAME in everything  # in the receipt and in Ann's notification
    assert any(HOSTILE_NAME in check_html(text) for text in app.bot.sent(2))
    assert any(HOSTILE_NAME in alert for alert in alerts)  # an alert is plain text


# 3. Ordinary chat does not burn the code tries --------------------------------------------


async def test_chatter_at_the_code_prompt_is_not_a_failed_try(
    app: App, service: SurveyService, i18n: I18n
) -> None:
    person = Person(app, 3, "fr")
    await person.send("/start")
    for text in ["hello", "?", "EP", "bonjour, je n'ai pas de code", "/start junk"] * 2:
        await person.send(text)
    hint = i18n.gettext(
        "This does not look like an invitation code. The code is one word of about 24 "
        "letters, digits, dashes and underscores; please paste it exactly as you received it, "
        "or open the invitation link.",
        locale="fr",
    )
    assert hint.startswith("Ceci ne ressemble pas")
    assert app.bot.sent().count(hint) == 10
    code = (await service.secretariat.create_invitation("FR", Actor.cli())).code
    await person.send(code)
    assert await service.enrolment.whereabouts(3) is not None


async def test_wrong_looking_codes_still_count_and_are_limited(
    app: App, service: SurveyService
) -> None:
    person = Person(app, 4, "en")
    await person.send("/start")
    for attempt in range(MAX_FAILED_REDEMPTIONS + 1):
        await person.send(f"Zk3uXQ-wrong-code-{attempt:06d}")
    assert "UTC" in app.bot.sent()[-1]  # the wait message


async def test_a_verified_person_stays_in_their_survey_after_a_stray_start(
    app: App, service: SurveyService, questionnaire: Questionnaire
) -> None:
    person = await verified(app, service)
    await person.click("High")
    await person.send("/start junk")
    assert shown_title(questionnaire, 2) in person.text()
    other = (await service.secretariat.create_invitation("JP", Actor.cli())).code
    await person.send(f"/start {other}")
    assert "You already answer for" in app.bot.sent()[-1]
    assert shown_title(questionnaire, 2) in person.text()
    assert "invitation code" not in person.text()
    await person.send(other)  # pasted alone
    assert shown_title(questionnaire, 2) in person.text()
    assert (await service.enrolment.whereabouts(1)) is not None


# 9. Smaller -------------------------------------------------------------------------------


async def test_a_press_without_an_accessible_message_is_answered(
    app: App, service: SurveyService
) -> None:
    person = await verified(app, service)
    for message in (
        None,  # a button of an inline message
        InaccessibleMessage(chat=Chat(id=1, type="private"), message_id=1, date=0),
    ):
        press = CallbackQuery(
            id=f"orphan-{message is None}",
            data="no-such-button",
            chat_instance="--",
            from_user=person.client.user,
            message=message,
        )
        await app.dispatcher.feed_update(
            app.bot, Update(update_id=next_update_id(person.client), callback_query=press)
        )
        assert app.answers_to(press.id) == 1
    assert (await service.answering.progress(1)).answered == 0


async def test_every_refused_or_stale_press_is_answered_exactly_once(
    app: App, service: SurveyService
) -> None:
    person = await verified(app, service)
    first_window = person.last()
    presses = [await person.click("High")]
    for _ in range(39):
        presses.append(await person.click("High"))
    presses.append(await person.click("✅ Submit final answers"))
    presses.append(await person.click("✅ Yes, submit now"))
    presses.append(await person.click("Medium", message=first_window))  # after submission
    presses.append(await person.click("High", message=first_window))
    for press in presses:
        assert app.answers_to(press) == 1, press
    assert app.bot.alerts()[-1].startswith("Your Office's answers were already submitted")
    assert not any(
        isinstance(call, SendMessage) and "went wrong" in call.text for call in app.bot.calls
    )


# 3. A removed representative ---------------------------------------------------------------


async def test_a_removed_representative_is_refused_at_the_next_action_and_told_why(
    app: App, service: SurveyService, clock: Clock, i18n: I18n
) -> None:
    person = Person(app, 1, "es")
    code = (await service.secretariat.create_invitation("EP", Actor.cli())).code
    await person.send(f"/start {code}")
    await person.send("/continue")
    await person.acknowledge_notice()
    await person.click("Alta")
    window = person.last()
    await service.secretariat.remove_representative("EP", 1, Actor.cli(), reason="leaked code")

    press = await person.click("Baja", message=window)
    assert app.answers_to(press) == 1
    withdrawn = i18n.gettext(
        "The Secretariat has withdrawn your access to the survey for {office}. If you think "
        "this is a mistake, please contact the Secretariat.",
        locale="es",
    )
    assert app.bot.alerts()[-1].startswith(withdrawn.split("{office}")[0])
    assert "Oficina Europea de Patentes" in app.bot.alerts()[-1]
    assert "código de invitación" in person.text()  # the code prompt, saying why
    assert "retirado su acceso" in person.text()
    for command in ("/continue", "/review", "/start"):
        await person.send(command)
        assert "retirado su acceso" in person.text(), command
    sorry = i18n.gettext(
        "Sorry, something went wrong on our side. Everything you saved is safe; please try "
        "again, or send /continue.",
        locale="es",
    )
    assert sorry not in app.bot.sent()

    await person.send(code)  # the old code does not let them back in
    assert "código de invitación" in person.text()
    clock.advance(minutes=1)
    fresh = (await service.secretariat.create_invitation("EP", Actor.cli())).code
    await person.send(f"/start {fresh}")
    assert (await service.enrolment.whereabouts(1)) is not None
    answers = await service.answering.progress(1)
    assert answers.answers[1].level == "high"  # their earlier answer is still there


async def test_no_window_has_an_empty_keyboard_row(app: App, service: SurveyService) -> None:
    person = await verified(app, service)
    await person.click("💬 Add a comment")  # the comment window, without a comment yet
    await person.click("◀ Cancel")
    await person.click("High")
    await person.send("/review")
    for message in app.messages.sent_messages:
        markup = message.reply_markup
        if markup is not None:
            assert all(row for row in markup.inline_keyboard), message.text
