"""A Recommendation's window: which buttons it shows, in which rows, and what each press names.

The window's buttons are built in one pass (`dialogs/question_buttons.py`); these are the
rows a representative sees as their answers, comments and the submission change them.
"""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram_dialog.utils import remove_intent_id

from survey.model import Actor
from survey.questionnaire import Questionnaire
from survey.service import SurveyService
from tests.support import answer_all

from .harness import App, Person


def rows(person: Person) -> list[list[str]]:
    markup = person.last().reply_markup
    assert isinstance(markup, InlineKeyboardMarkup)
    return [[button.text for button in row] for row in markup.inline_keyboard]


def presses(person: Person) -> list[str]:
    """Each button's callback data without the dialog's id, row after row."""
    markup = person.last().reply_markup
    assert isinstance(markup, InlineKeyboardMarkup)
    return [
        remove_intent_id(button.callback_data or "")[1]
        for row in markup.inline_keyboard
        for button in row
    ]


async def started(app: App, service: SurveyService, user_id: int, lang: str) -> Person:
    code = (await service.secretariat.create_invitation("EP", Actor.cli())).code
    person = Person(app, user_id, lang)
    await person.send(f"/start {code}")
    await person.send("/continue")
    await person.acknowledge_notice()
    return person


async def test_an_unanswered_first_recommendation_offers_levels_comment_skip(
    app: App, service: SurveyService, questionnaire: Questionnaire
) -> None:
    eva = await started(app, service, 1, "en")
    levels = [level.label("en") for level in questionnaire.scale]

    assert rows(eva) == [
        levels[0:2],
        levels[2:4],
        ["💬 Add a comment"],
        ["Skip for now ▶"],  # no Back on the first one, no Next before an answer
        ["📋 Review", "💾 Save and exit"],
    ]
    assert presses(eva) == [
        *(f"lv:1:{level.code}" for level in questionnaire.scale),
        "cm:1",
        "skip:1",
        "rv",
        "exit",
    ]


async def test_an_answered_recommendation_marks_its_level_and_offers_back_and_next(
    app: App, service: SurveyService
) -> None:
    eva = await started(app, service, 1, "en")
    await eva.click("High")
    await eva.click("Medium")  # now on 3
    await eva.click("◀ Back")
    await eva.click("💬 Add a comment")
    await eva.send("Depends on the budget")

    assert "Recommendation 2 of 40" in eva.text()
    assert rows(eva) == [
        ["High", "✅ Medium"],
        ["Low", "No opinion"],
        ["💬 Edit the comment"],
        ["◀ Back", "Next ▶"],
        ["📋 Review", "💾 Save and exit"],
    ]
    assert presses(eva)[4:7] == ["ce:2", "prev:2", "next:2"]

    await eva.click("Next ▶")
    assert "Recommendation 3 of 40" in eva.text()
    assert rows(eva)[-2:] == [["◀ Back", "Skip for now ▶"], ["📋 Review", "💾 Save and exit"]]


async def test_the_buttons_speak_the_representatives_language(
    app: App, service: SurveyService, i18n: I18n, questionnaire: Questionnaire
) -> None:
    ines = await started(app, service, 1, "es-419")

    def t(msgid: str) -> str:
        return i18n.gettext(msgid, locale="es")

    assert rows(ines) == [
        [level.label("es") for level in questionnaire.scale[0:2]],
        [level.label("es") for level in questionnaire.scale[2:4]],
        [t("💬 Add a comment")],
        [t("Skip for now ▶")],
        [t("📋 Review"), t("💾 Save and exit")],
    ]
    assert t("📋 Review") != "📋 Review"  # really translated


async def test_after_the_submission_only_moving_around_is_left(
    app: App, service: SurveyService
) -> None:
    eva = await started(app, service, 1, "en")
    await answer_all(service, 1)
    await service.answering.submit(1)

    await eva.send("/review")
    await eva.click("✅ R07")

    assert "Recommendation 7 of 40" in eva.text()
    assert rows(eva) == [["◀ Back", "Next ▶"], ["📋 Review"]]
    assert presses(eva) == ["prev:7", "next:7", "rv"]


async def test_a_button_hidden_since_the_window_was_drawn_still_does_its_job(
    app: App, service: SurveyService
) -> None:
    eva = await started(app, service, 1, "en")
    assert "💾 Save and exit" in eva.buttons()
    # A colleague finishes and submits elsewhere: this window would now be drawn without
    # "Save and exit", but the message on screen still has it. (The dialog is the same one: a
    # press on a message of an older dialog goes to bot/errors.py instead.)
    await answer_all(service, 1)
    await service.answering.submit(1)

    await eva.click("💾 Save and exit")
    assert "Your answers are saved (40 of 40)" in eva.text()
