"""A chat whose dialog state no longer fits heals: a press by someone other than the chat's
own user changes nothing, and a stored stack that names states that no longer exist, lost its
contexts, was written by something else, or outlived the database it belonged to, is reset;
the person is told their place was restored and is put where the database says."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, Update, User
from aiogram.utils.i18n import I18n
from aiogram_dialog.api.entities import DEFAULT_STACK_ID
from aiogram_dialog.test_tools.memory_storage import JsonMemoryStorage

from bot.config import Settings
from storage.db import create_engine
from survey.questionnaire import Questionnaire
from survey.service import SurveyService
from tests.support import Clock, answer_of, survey_service

from .harness import App, Person, shown_title, start_app, verified

RESTORED = "Your place in the survey was restored"
WENT_WRONG = "Sorry, something went wrong"
STRANGER = User(id=999, is_bot=False, first_name="Mallory", language_code="en")


def buttons_of(message: Message) -> list[str]:
    markup = message.reply_markup
    assert isinstance(markup, InlineKeyboardMarkup)
    return [b.callback_data or "" for row in markup.inline_keyboard for b in row]


async def strangers_press(app: App, message: Message, data: str, update_id: int) -> str:
    callback_id = f"stranger-{update_id}"
    await app.dispatcher.feed_update(
        app.bot,
        Update(
            update_id=update_id,
            callback_query=CallbackQuery(
                id=callback_id,
                data=data,
                chat_instance="--",
                from_user=STRANGER,
                message=message,
            ),
        ),
    )
    await app.dispatcher["notifier"].drain()
    return callback_id


def seen_by(app: App, user_id: int) -> list[str]:
    shown = [m.text or "" for m in app.messages.sent_messages if m.chat.id == user_id]
    return shown + app.bot.sent(user_id) + app.bot.alerts()


async def test_a_strangers_presses_on_every_window_are_answered_and_change_nothing(
    app: App, service: SurveyService, questionnaire: Questionnaire
) -> None:
    person = await verified(app, service)
    update_id = 10_000

    async def every_button_pressed_by_a_stranger() -> None:
        nonlocal update_id
        window = person.last()
        before = (len(app.messages.sent_messages), len(app.bot.calls))
        progress = await service.answering.progress(1)
        for data in buttons_of(window):
            update_id += 1
            callback_id = await strangers_press(app, window, data, update_id)
            assert app.answers_to(callback_id) == 1, data
        # Nothing shown, sent or stored by them: the only call was each press's answer.
        assert len(app.messages.sent_messages) == before[0]
        assert all(
            type(call).__name__ == "AnswerCallbackQuery" for call in app.bot.calls[before[1] :]
        )
        after = await service.answering.progress(1)
        assert after.answers == progress.answers
        assert person.last() is window

    await every_button_pressed_by_a_stranger()  # Recommendation 1
    await person.click("High")
    await person.click("💬 Add a comment")
    await every_button_pressed_by_a_stranger()  # the comment window
    await person.send("Ours")
    await every_button_pressed_by_a_stranger()  # Recommendation 2 with its comment
    await person.send("/language")
    await every_button_pressed_by_a_stranger()  # the language window
    await person.click("✅ English")
    for _ in range(2, 41):
        await person.click("Medium")
    await every_button_pressed_by_a_stranger()  # the review
    await person.click("✅ Submit final answers")
    await every_button_pressed_by_a_stranger()  # the confirmation
    await person.click("✅ Yes, submit now")
    await every_button_pressed_by_a_stranger()  # the receipt
    await person.send("/help")
    await every_button_pressed_by_a_stranger()  # help

    review = await service.answering.review(1)
    assert review.response.submitted
    assert (await answer_of(service, 1, 1)).level == "high"
    assert not any(WENT_WRONG in text for text in seen_by(app, 1))


def stack_key(app: App, user_id: int) -> StorageKey:
    return StorageKey(
        bot_id=app.bot.id,
        chat_id=user_id,
        user_id=user_id,
        destiny=f"aiogd:stack:{DEFAULT_STACK_ID}",
    )


def context_key(app: App, user_id: int, intent_id: str) -> StorageKey:
    return StorageKey(
        bot_id=app.bot.id, chat_id=user_id, user_id=user_id, destiny=f"aiogd:context:{intent_id}"
    )


async def stored_stack(app: App, user_id: int) -> dict[str, Any]:
    return await app.dispatcher.storage.get_data(stack_key(app, user_id))


async def on_recommendation_2(app: App, service: SurveyService) -> Person:
    person = await verified(app, service)
    await person.click("High")
    assert "Recommendation 2 of 40" in person.text()
    return person


async def test_a_state_renamed_since_it_was_stored_is_restored(
    app: App, service: SurveyService, questionnaire: Questionnaire
) -> None:
    person = await on_recommendation_2(app, service)
    stack = await stored_stack(app, 1)
    for intent_id in stack["intents"]:
        key = context_key(app, 1, intent_id)
        context = await app.dispatcher.storage.get_data(key)
        context["state"] = context["state"].replace(":", ":renamed_")
        await app.dispatcher.storage.set_data(key, context)
    await assert_heals_with(app, service, person, questionnaire)


async def test_a_stack_whose_contexts_are_missing_is_restored(
    app: App, service: SurveyService, questionnaire: Questionnaire
) -> None:
    person = await on_recommendation_2(app, service)
    for intent_id in (await stored_stack(app, 1))["intents"]:
        await app.dispatcher.storage.set_data(context_key(app, 1, intent_id), {})
    await assert_heals_with(app, service, person, questionnaire)


@pytest.mark.parametrize(
    "foreign",
    [
        {"intents": "not a list", "owner": "another bot"},
        {"_id": 42, "intents": [None, 7]},
        {"session": "abc", "step": 3},
    ],
    ids=["wrong-types", "wrong-items", "another-schema"],
)
async def test_a_stack_written_by_something_else_is_restored(
    app: App, service: SurveyService, questionnaire: Questionnaire, foreign: dict[str, Any]
) -> None:
    person = await on_recommendation_2(app, service)
    await app.dispatcher.storage.set_data(stack_key(app, 1), foreign)
    await assert_heals_with(app, service, person, questionnaire)


async def test_a_denied_stack_is_restored(
    app: App, service: SurveyService, questionnaire: Questionnaire
) -> None:
    """A context stored with another user's access (as a stranger's press made before this
    was fixed): the chat's own user is never locked out of it."""
    person = await on_recommendation_2(app, service)
    for intent_id in (await stored_stack(app, 1))["intents"]:
        key = context_key(app, 1, intent_id)
        context = await app.dispatcher.storage.get_data(key)
        context["access_settings"] = {"user_ids": [STRANGER.id], "custom": None}
        await app.dispatcher.storage.set_data(key, context)
    await person.click("Low")  # on the window on screen: taken as if nothing had happened
    assert (await answer_of(service, 1, 2)).level == "low"
    assert "Recommendation 3 of 40" in person.text()
    assert not any(WENT_WRONG in text for text in seen_by(app, 1))


async def assert_heals_with(
    app: App, service: SurveyService, person: Person, questionnaire: Questionnaire
) -> None:
    window = person.last()
    await person.click("Skip for now ▶", message=window)
    assert any(RESTORED in text for text in seen_by(app, 1))
    assert shown_title(questionnaire, 2) in person.text()  # where the database says
    await person.click("Low")
    assert (await answer_of(service, 1, 2)).level == "low"
    assert shown_title(questionnaire, 3) in person.text()
    await person.send("/continue")
    assert shown_title(questionnaire, 3) in person.text()
    assert not any(WENT_WRONG in text for text in seen_by(app, 1))


@pytest.fixture
async def second_service(
    tmp_path: Path, sqlite_template: Path, questionnaire: Questionnaire, clock: Clock
) -> AsyncIterator[SurveyService]:
    path = tmp_path / "replaced.db"
    shutil.copy(sqlite_template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    yield await survey_service(engine, questionnaire, clock)
    await engine.dispose()


async def test_dialog_state_that_outlived_its_database_sends_the_person_to_the_code_prompt(
    settings: Settings,
    service: SurveyService,
    second_service: SurveyService,
    i18n: I18n,
) -> None:
    storage = JsonMemoryStorage()
    app = start_app(settings, service, i18n, storage=storage)
    person = await on_recommendation_2(app, service)
    window = person.last()
    # The database is replaced (restored from an older backup, a new deployment) while the
    # dialog state is kept: this person is nobody there.
    replaced = start_app(settings, second_service, i18n, storage=storage)
    person.connect(replaced)
    await person.click("Low", message=window)
    assert await second_service.enrolment.whereabouts(1) is None  # nothing stored
    assert "invitation code" in person.text()
    assert not any(WENT_WRONG in text for text in seen_by(replaced, 1))
    await person.send("/continue")
    assert "invitation code" in person.text()
