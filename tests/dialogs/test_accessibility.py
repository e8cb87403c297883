"""The chat read aloud: a screen reader reads every emoji by name and a bar cell by cell, so
progress is in words first, each button says in words what it does (one emoji at most), and
the review's marks come with their words. With WEBAPP_URL, the page opens from the chat."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from aiogram.exceptions import TelegramServerError
from aiogram.methods import SetChatMenuButton, TelegramMethod
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n

from bot.config import Settings
from survey.model import Actor
from survey.questionnaire import Questionnaire
from survey.service import SurveyService
from tests.support import ADMIN_ID

from .harness import App, Person, RecordingBot, check_html, start_app, verified

PAGE = "https://survey.example.org/app/"
# Pictographs, dingbats, arrows, geometric shapes (the bar's cells, ◀ ▶), symbols: what a
# screen reader names. A variation selector or a joiner belongs to the emoji before it.
EMOJI = re.compile(
    "[\u2190-\u21ff\u2300-\u23ff\u25a0-\u25ff\u2600-\u27bf\u2900-\u297f\u2b00-\u2bff"
    "\U0001f000-\U0001faff][\ufe0f\u200d\U0001f3fb-\U0001f3ff]*"
)


def emoji_count(text: str) -> int:
    return len(EMOJI.findall(text))


def test_the_counter_sees_what_a_screen_reader_names() -> None:
    assert emoji_count("⬅️") == 1
    assert emoji_count("◀ Back") == 1
    assert emoji_count("✅ ⬜") == 2
    assert emoji_count("▰▰▱▱▱") == 5
    assert emoji_count("+7 days") == 0


def buttons_of(messages: list[Message]) -> list[str]:
    return [
        button.text
        for message in messages
        if isinstance(message.reply_markup, InlineKeyboardMarkup)
        for row in message.reply_markup.inline_keyboard
        for button in row
    ]


def check_button(label: str) -> None:
    assert emoji_count(label) <= 1, f"more than one emoji: {label!r}"
    words = EMOJI.sub("", label)
    assert re.search(r"\w\w", words), f"no word says what it does: {label!r}"


@pytest.fixture
def page_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webapp_url": PAGE})


async def walk(
    app: App, service: SurveyService, questionnaire: Questionnaire, i18n: I18n, lang: str
) -> None:
    """Every window of a representative's journey and of the Secretariat's commands."""

    def t(msgid: str) -> str:
        return i18n.gettext(msgid, locale=lang)

    person = await verified(app, service, user_id=11, lang=lang)
    for _ in range(3):
        await person.click(questionnaire.scale[0].label(lang))
    await person.click(t("💬 Add a comment"))
    await person.send("A comment.")
    for command in ("/help", "/language", "/privacy", "/mydata", "/forgetme"):
        await person.send(command)  # the erasure is left unconfirmed
    await person.send("/review")
    while t("Next page ▶") in person.buttons():
        await person.click(t("Next page ▶"))
    await person.click(t("💾 Save and exit"))

    colleague = await verified(app, service, user_id=12, office="JP", lang=lang)
    for _ in questionnaire.numbers:
        await colleague.click(questionnaire.scale[1].label(lang))
    await colleague.click(t("✅ Submit final answers"))
    await colleague.click(t("✅ Yes, submit now"))
    await colleague.send("/review")

    admin = Person(app, ADMIN_ID, lang)
    for command in ("/results", "/offices", "/offices JP", "/deadline", "/remind", "/invite EP"):
        await admin.send(command)
    await admin.send("/offices")
    await admin.click(t("Next page ▶"))


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
async def test_no_button_is_emoji_only_or_carries_two_emoji(
    lang: str,
    page_settings: Settings,
    service: SurveyService,
    i18n: I18n,
    questionnaire: Questionnaire,
) -> None:
    app = start_app(page_settings, service, i18n)
    await walk(app, service, questionnaire, i18n, lang)
    labels = set(buttons_of(app.messages.sent_messages))
    labels |= {
        button.text
        for call in app.bot.calls
        if isinstance(getattr(call, "reply_markup", None), InlineKeyboardMarkup)
        for row in call.reply_markup.inline_keyboard  # type: ignore[attr-defined]
        for button in row
    }
    assert len(labels) > 25, labels  # the walk did reach the windows
    for label in sorted(labels):
        check_button(label)


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "0 of 40 answered"), ("fr", "Réponse\u00a0: 0 sur 40"), ("es", "0 de 40 respondidas")],
)
async def test_the_progress_line_reads_as_words_and_a_short_bar_follows(
    lang: str, words: str, app: App, service: SurveyService
) -> None:
    person = await verified(app, service, lang=lang)
    progress = check_html(person.text()).splitlines()[1]
    assert progress.startswith(words), progress
    bar = progress.removeprefix(words).strip()
    assert set(bar) <= {"▰", "▱"}, bar
    assert len(bar) <= 5, bar


async def test_the_review_says_answered_or_not_in_words_beside_each_mark(
    app: App, service: SurveyService, questionnaire: Questionnaire, i18n: I18n
) -> None:
    person = await verified(app, service, lang="fr")
    await person.click(questionnaire.scale[0].label("fr"))
    await person.send("/review")
    lines = [
        line for line in check_html(person.text()).splitlines() if line.startswith(("✅", "⬜"))
    ]
    assert lines[0].startswith("✅ " + i18n.gettext("answered", locale="fr") + " · R01")
    assert lines[1].startswith("⬜ " + i18n.gettext("not answered", locale="fr") + " · R02")
    assert "✅ R01" in person.buttons()
    assert "⬜ R02" in person.buttons()


def web_apps(message: Message) -> dict[str, str]:
    markup = message.reply_markup
    assert isinstance(markup, InlineKeyboardMarkup)
    return {
        button.text: button.web_app.url
        for row in markup.inline_keyboard
        for button in row
        if button.web_app is not None
    }


def menu_buttons(bot: RecordingBot) -> list[tuple[int, str, str]]:
    return [
        (int(call.chat_id), call.menu_button.text, call.menu_button.web_app.url)  # type: ignore[union-attr]
        for call in bot.calls
        if isinstance(call, SetChatMenuButton) and call.chat_id is not None
    ]


async def test_with_a_page_the_chat_opens_it_and_sets_the_menu_button_in_its_language(
    page_settings: Settings, service: SurveyService, i18n: I18n
) -> None:
    app = start_app(page_settings, service, i18n)
    eva = Person(app, 21, "fr", "Eva Lind")
    code = (await service.secretariat.create_invitation("EP", Actor.cli())).code
    await eva.send(f"/start {code}")
    assert web_apps(eva.last()) == {"📝 Ouvrir le formulaire": PAGE}
    assert menu_buttons(app.bot) == [(21, "Ouvrir le formulaire", PAGE)]

    await eva.send("/review")
    assert web_apps(eva.last()) == {"📝 Ouvrir le formulaire": PAGE}

    await eva.send("/language")
    await eva.click("Español")
    assert menu_buttons(app.bot)[-1] == (21, "Abrir el formulario", PAGE)

    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/results")
    assert web_apps(admin.last()) == {"📊 Open the dashboard": PAGE + "secretariat"}
    # Someone not verified who picks a language gets no menu button for a page that would
    # refuse them.
    stranger = Person(app, 22, "en")
    await stranger.send("/language")
    await stranger.click("Français")
    assert [chat for chat, _text, _url in menu_buttons(app.bot)] == [21, 21]


async def test_without_a_page_nothing_opens_one(
    app: App, service: SurveyService, questionnaire: Questionnaire, i18n: I18n
) -> None:
    await walk(app, service, questionnaire, i18n, "en")
    assert not [
        message
        for message in app.messages.sent_messages
        if message.reply_markup and web_apps(message)
    ]
    assert menu_buttons(app.bot) == []


class MenuRefused(RecordingBot):
    async def __call__(
        self, method: TelegramMethod[Any], request_timeout: int | None = None
    ) -> Any:
        if isinstance(method, SetChatMenuButton):
            self.calls.append(method)
            raise TelegramServerError(method=method, message="Bad Gateway")
        return await super().__call__(method, request_timeout)


async def test_a_refused_menu_button_is_logged_and_the_welcome_still_shown(
    page_settings: Settings,
    service: SurveyService,
    i18n: I18n,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = start_app(page_settings, service, i18n)
    app.bot = MenuRefused()
    eva = Person(app, 31, "en")
    code = (await service.secretariat.create_invitation("EP", Actor.cli())).code
    with caplog.at_level(logging.WARNING):
        await eva.send(f"/start {code}")
    assert "📝 Open the form" in eva.buttons()
    assert menu_buttons(app.bot) == [(31, "Open the form", PAGE)]
    assert any("menu button" in record.getMessage() for record in caplog.records)
    assert app.bot.sent(31) == []  # nothing said about it in the chat
