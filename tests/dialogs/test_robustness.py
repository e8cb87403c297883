"""Bad input gets a clear, translated answer and loses nothing saved."""

from __future__ import annotations

import pytest
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n

from bot.config import Settings
from survey.model import Actor
from survey.questionnaire import Questionnaire
from survey.rules import MAX_COMMENT_LENGTH, MAX_FAILED_REDEMPTIONS
from survey.service import SurveyService
from tests.support import Clock, answer_of

from .harness import App, Person, shown_title, start_app, verified


async def test_group_chats_get_a_one_line_refusal(app: App, i18n: I18n) -> None:
    person = Person(app, 7, "fr")
    person.connect(app, chat_type="group")
    await person.send("/start")
    refusal = i18n.gettext(
        "This survey is answered in a private chat with the bot only.", locale="fr"
    )
    assert refusal != "This survey is answered in a private chat with the bot only."
    assert app.bot.sent() == [refusal]
    assert app.messages.sent_messages == []
    await person.send("just chatting")  # the bot stays quiet on group chatter
    assert len(app.bot.sent()) == 1


async def test_text_where_a_button_is_expected_gets_a_hint(
    app: App, service: SurveyService, questionnaire: Questionnaire
) -> None:
    person = await verified(app, service)
    await person.send("High please")
    assert any("buttons" in text for text in app.bot.sent())
    assert shown_title(questionnaire, 1) in person.text()  # the window is shown again
    assert (await service.answering.progress(1)).answered == 0


async def test_unknown_commands_get_the_command_list(app: App, service: SurveyService) -> None:
    person = await verified(app, service)
    await person.send("/submitnow")
    reply = app.bot.sent()[-1]
    assert "/continue" in reply
    assert "/review" in reply


async def test_an_oversized_comment_is_refused_and_nothing_is_lost(
    app: App, service: SurveyService, questionnaire: Questionnaire
) -> None:
    person = await verified(app, service)
    await person.click("💬 Add a comment")
    await person.send("Our first comment")
    assert "Our first comment" in person.text()
    await person.click("💬 Edit the comment")
    await person.send("x" * (MAX_COMMENT_LENGTH + 1))
    refusal = app.bot.sent()[-1]
    assert f"{MAX_COMMENT_LENGTH + 1:,}" in refusal  # English groups thousands: "1,001"
    assert f"{MAX_COMMENT_LENGTH:,}" in refusal
    assert (await answer_of(service, 1, 1)).comment == "Our first comment"
    # Still in the comment window: a shorter text is accepted.
    await person.send("Shorter")
    assert (await answer_of(service, 1, 1)).comment == "Shorter"
    assert shown_title(questionnaire, 1) in person.text()


async def test_wrong_codes_are_explained_then_limited(app: App, service: SurveyService) -> None:
    person = Person(app, 3, "es")
    await person.send("/start")
    assert "código" in person.text() or "code" in person.text()
    for attempt in range(MAX_FAILED_REDEMPTIONS):
        await person.send(f"wrong-code-attempt-{attempt:05d}")
    await person.send("another-wrong-code-000000")
    replies = app.bot.sent()
    assert len(set(replies[:MAX_FAILED_REDEMPTIONS])) == 1  # "not valid", said plainly
    assert replies[-1] != replies[0]  # then the wait message, with a time
    assert "UTC" in replies[-1]
    assert await service.enrolment.whereabouts(3) is None


async def test_expired_and_revoked_codes_say_so(
    app: App, service: SurveyService, clock: Clock, i18n: I18n
) -> None:
    expired = await service.secretariat.create_invitation(
        "EP", Actor.cli(), expires_at=clock.now.replace(hour=10)
    )
    clock.advance(hours=2)
    revoked = await service.secretariat.create_invitation("EP", Actor.cli())
    await service.secretariat.revoke(revoked.code, Actor.cli())
    person = Person(app, 4, "en")
    await person.send(f"/start {expired.code}")
    await person.send(f"/start {revoked.code}")
    assert app.bot.sent() == [
        i18n.gettext("This code has expired. Please ask the Secretariat for a new one."),
        i18n.gettext("This code has been withdrawn. Please ask the Secretariat for a new one."),
    ]


async def test_a_code_pasted_without_start_is_accepted(app: App, service: SurveyService) -> None:
    code = (await service.secretariat.create_invitation("JP", Actor.cli())).code
    person = Person(app, 5, "en")
    await person.send(code)
    assert "Japan" in person.text()
    assert (await service.enrolment.whereabouts(5)) is not None


async def test_already_verified_people_skip_onboarding(
    app: App, service: SurveyService, questionnaire: Questionnaire
) -> None:
    person = await verified(app, service)
    await person.click("High")
    await person.send("/start")
    assert shown_title(questionnaire, 2) in person.text()


async def test_unverified_people_are_asked_for_their_code(app: App) -> None:
    person = Person(app, 6, "en")
    await person.send("/continue")
    assert "invitation code" in person.text()
    await person.send("/review")
    assert "invitation code" in app.bot.sent()[-1]


async def test_language_switch_re_renders_and_is_remembered(
    app: App,
    settings: Settings,
    service: SurveyService,
    i18n: I18n,
    questionnaire: Questionnaire,
) -> None:
    person = await verified(app, service, lang="en")
    assert shown_title(questionnaire, 1) in person.text()
    await person.send("/language")
    await person.click("Français")
    assert shown_title(questionnaire, 1, "fr") in person.text()
    assert await service.enrolment.language(1) == "fr"

    restarted = start_app(settings, service, i18n)
    person.connect(restarted)  # the client still says "en"; the stored choice wins
    await person.send("/continue")
    assert shown_title(questionnaire, 1, "fr") in person.text()


async def test_a_language_chosen_on_one_replica_is_spoken_by_the_other_at_once(
    settings: Settings,
    service: SurveyService,
    i18n: I18n,
    questionnaire: Questionnaire,
) -> None:
    # Two dispatchers on one database, as two replicas (REDIS_URL set: never contacted here,
    # the dialog state is each one's own); the person's updates alternate.
    replicas = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    first, other = start_app(replicas, service, i18n), start_app(replicas, service, i18n)
    person = await verified(first, service, lang="en")
    person.connect(other)
    await person.send("/continue")  # the other replica has seen her in English
    assert shown_title(questionnaire, 1) in person.text()
    person.connect(first)
    await person.send("/language")
    await person.click("Français")
    person.connect(other)
    await person.send("/continue")
    assert shown_title(questionnaire, 1, "fr") in person.text()


@pytest.mark.parametrize(
    ("label", "stored", "shown"),
    [
        ("Medium", "medium", 3),  # a level button keeps the level it names, then R3
        ("📋 Review", None, 2),  # any other button: "older message", back to R2
    ],
)
async def test_buttons_from_before_a_restart(
    app: App,
    settings: Settings,
    service: SurveyService,
    i18n: I18n,
    questionnaire: Questionnaire,
    label: str,
    stored: str | None,
    shown: int,
) -> None:
    person = await verified(app, service)
    await person.click("High")
    old_message = person.last()  # shows R2

    restarted = start_app(settings, service, i18n)  # dialog state lost
    person.connect(restarted)
    press = await person.click(label, message=old_message)
    assert restarted.answers_to(press) == 1
    assert (await answer_of(service, 1, 2)).level == stored
    assert shown_title(questionnaire, shown) in person.text()


async def test_a_level_button_pressed_from_the_review_window_keeps_its_level(
    app: App, service: SurveyService, questionnaire: Questionnaire
) -> None:
    person = await verified(app, service)
    shown_r1 = person.last()
    await person.click("📋 Review")
    press = await person.click("Low", message=shown_r1)
    assert app.answers_to(press) == 1
    assert (await answer_of(service, 1, 1)).level == "low"
    assert shown_title(questionnaire, 2) in person.text()


@pytest.mark.parametrize("forged", ["lv:urgent", "ri:abc", "ri:99", "zz:1", "lv:" + "x" * 40])
async def test_forged_callback_data_changes_nothing_and_is_answered(
    app: App, service: SurveyService, forged: str
) -> None:
    person = await verified(app, service)
    message = person.last()
    markup = message.reply_markup
    assert isinstance(markup, InlineKeyboardMarkup)
    real = markup.inline_keyboard[0][0].callback_data
    assert real is not None
    intent = real.split("\x1d", 1)[0]
    await person.press_raw(message, f"{intent}\x1d{forged}")
    assert app.bot.alerts(), "a forged press is answered, never ignored"
    assert (await service.answering.progress(1)).answered == 0


async def test_after_the_deadline_answers_stop_with_a_clear_message(
    app: App, service: SurveyService, clock: Clock
) -> None:
    person = await verified(app, service)
    await person.click("High")
    assert service.setup.deadline is not None
    clock.now = service.setup.deadline
    await person.click("High")
    assert "closed" in app.bot.alerts()[-1]
    assert (await service.answering.progress(1)).answered == 1
    await person.send("/continue")
    assert "Save and exit" not in " ".join(person.buttons())
    assert "Submit final answers" not in " ".join(person.buttons())
