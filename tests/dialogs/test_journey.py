"""The representative's whole journey, in English, French and Spanish."""

from __future__ import annotations

import html

import pytest
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n

from bot.config import Settings
from survey.model import Actor
from survey.offices import shipped_offices
from survey.questionnaire import Questionnaire
from survey.service import SurveyService
from tests.support import answer_of

from .harness import App, Person, check_html, start_app

CLIENT_LANGUAGE = {"en": "en", "fr": "fr-FR", "es": "es-419"}
LEVEL_CYCLE = ("high", "medium", "low", "no_opinion")
PROGRESS = {"en": "5 of 40 answered", "fr": "Réponses\u00a0: 5 sur 40", "es": "5 de 40 respondidas"}


def office_name(code: str, lang: str) -> str:
    return next(o for o in shipped_offices() if o.code == code).name(lang)


def has_level_buttons(message: Message, labels: list[str]) -> bool:
    markup = message.reply_markup
    if not isinstance(markup, InlineKeyboardMarkup):
        return False
    texts = {button.text for row in markup.inline_keyboard for button in row}
    return all(label in texts for label in labels)


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
async def test_the_whole_journey(
    lang: str,
    app: App,
    settings: Settings,
    service: SurveyService,
    i18n: I18n,
    questionnaire: Questionnaire,
) -> None:
    def t(msgid: str) -> str:
        return i18n.gettext(msgid, locale=lang)

    def title(number: int) -> str:
        return html.escape(questionnaire.recommendation(number).title(lang))

    level = {item.code: item.label(lang) for item in questionnaire.scale}

    # Verify with the deep link's code.
    issued = await service.secretariat.create_invitation("EP", Actor.cli())
    eva = Person(app, 101, CLIENT_LANGUAGE[lang], "Eva Lind")
    await eva.send(f"/start {issued.code}")
    assert office_name("EP", lang) in eva.text()
    assert "cws.surveys@wipo.int" in eva.text()
    await eva.click(t("▶ Start"))
    # The privacy notice comes before the first Recommendation, once.
    assert "/forgetme" in eva.text()
    assert title(1) not in eva.text()
    await eva.click(t("✅ I understand, continue"))
    assert title(1) in eva.text()

    # Answer five, then leave.
    for number in range(1, 6):
        assert title(number) in eva.text()
        await eva.click(level[LEVEL_CYCLE[number % 4]])
    assert title(6) in eva.text()
    await eva.click(t("💾 Save and exit"))
    assert "5" in eva.text()
    assert "/continue" in eva.text()

    # The bot restarts: new dispatcher, empty dialog state, same database.
    restarted = start_app(settings, service, i18n)
    eva.connect(restarted)
    await eva.send("/continue")
    assert title(6) in eva.text()
    assert PROGRESS[lang] in check_html(eva.text())  # in words, not "5/40"

    # Finish; the review opens after the last one.
    for number in range(6, 41):
        assert title(number) in eva.text(), number
        await eva.click(level[LEVEL_CYCLE[number % 4]])
    assert office_name("EP", lang) in eva.text()
    assert "40" in eva.text()
    assert t("✅ Submit final answers") in eva.buttons()
    assert t("not answered") not in eva.text()

    # Change one answer from the review.
    await eva.click("✅ R03")
    assert title(3) in eva.text()
    assert f"✅ {level['no_opinion']}" in eva.buttons()
    await eva.click(level["high"])
    assert (await answer_of(service, 101, 3)).level == "high"
    assert t("✅ Submit final answers") in eva.buttons()
    await eva.click(t("Next page ▶"))
    assert "R11" in eva.text()
    assert "R01" not in eva.text()

    # Submit, with confirmation; the receipt follows.
    await eva.click(t("✅ Submit final answers"))
    assert t("✅ Yes, submit now") in eva.buttons()
    await eva.click(t("✅ Yes, submit now"))
    review = await service.answering.review(101)
    assert review.response.submitted
    receipt = review.response.receipt
    assert receipt is not None
    assert receipt.reference in eva.text()
    assert "Eva Lind" in eva.text()

    # Every older message's buttons now answer "already submitted" and change nothing.
    before = [(i.number, i.level) for i in review.items]
    old_questions = [
        m for m in restarted.messages.sent_messages if has_level_buttons(m, [level["high"]])
    ]
    assert old_questions
    await eva.click(level["low"], message=old_questions[0])
    assert "Eva Lind" in restarted.bot.alerts()[-1]
    assert [(i.number, i.level) for i in (await service.answering.review(101)).items] == before

    # /continue and /review show the submitted answers, read-only.
    await eva.send("/continue")
    assert receipt.reference in eva.text()
    await eva.send("/review")
    assert t("✅ Submit final answers") not in eva.buttons()
    assert t("💾 Save and exit") not in eva.buttons()
    await eva.click("✅ R07")
    assert title(7) in eva.text()
    assert level["high"] not in eva.buttons()


async def test_two_representatives_share_one_draft_and_submit_once(
    app: App, service: SurveyService, i18n: I18n, questionnaire: Questionnaire
) -> None:
    high = questionnaire.scale[0].label("en")
    code = (await service.secretariat.create_invitation("JP", Actor.cli())).code
    aiko = Person(app, 201, "en", "Aiko Sato")
    ben = Person(app, 202, "fr", "Ben Martin")
    for person in (aiko, ben):
        await person.send(f"/start {code}")

    await aiko.send("/continue")
    await aiko.acknowledge_notice()
    for _ in range(20):
        await aiko.click(high)
    await ben.send("/continue")
    await ben.acknowledge_notice()
    assert "21" in ben.text()  # Ben continues where Aiko stopped
    for _ in range(20):
        await ben.click(questionnaire.scale[0].label("fr"))

    # Both open the review, and both press Submit.
    fr = i18n.gettext("✅ Submit final answers", locale="fr")
    await aiko.send("/review")
    assert "Aiko Sato" in aiko.text()  # who last changed each answer
    await aiko.click("Next page ▶")
    await aiko.click("Next page ▶")
    assert "R21" in aiko.text()
    assert "Ben Martin" in aiko.text()
    await ben.send("/review")
    await aiko.click("✅ Submit final answers")
    await ben.click(fr)
    await aiko.click("✅ Yes, submit now")
    await ben.click(i18n.gettext("✅ Yes, submit now", locale="fr"))

    review = await service.answering.review(201)
    assert review.response.submitted_by_name == "Aiko Sato"
    assert "Aiko Sato" in app.bot.alerts()[-1]  # Ben was told who submitted
    # Ben was also notified, in French.
    notices = app.bot.sent(chat_id=202)
    assert any("Aiko Sato" in text and "/review" in text for text in notices)
    assert i18n.gettext("not answered", locale="fr") != "not answered"
