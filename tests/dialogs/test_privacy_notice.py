"""The privacy notice: once, in the person's language, acknowledged before the first
Recommendation, on SQLite and PostgreSQL; again with /privacy; the Secretariat's own text from
a file; and once more for someone verified before the notice existed."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import ConfigError, Settings
from bot.privacy_notice import load_notice_file
from dialogs.privacy import CATALOG_VERSION
from survey.model import Actor
from survey.questionnaire import Questionnaire
from survey.service import SurveyService
from tests.support import Clock, survey_service

from .harness import App, Person, check_html, shown_title, start_app

CLIENT_LANGUAGE = {"en": "en", "fr": "fr-FR", "es": "es-419"}
# One sentence of each language's notice, as a person reads it.
WHO_SEES_IT = {
    "en": "the CWS Secretariat sees everything",
    "fr": "le Secrétariat du CWS voit tout",
    "es": "la Secretaría del CWS lo ve todo",
}


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
async def test_the_notice_is_acknowledged_once_before_the_first_recommendation(
    lang: str,
    engine: AsyncEngine,
    settings: Settings,
    i18n: I18n,
    questionnaire: Questionnaire,
    clock: Clock,
) -> None:
    def t(msgid: str) -> str:
        return i18n.gettext(msgid, locale=lang)

    service = await survey_service(engine, questionnaire, clock)
    app = start_app(settings, service, i18n)
    code = (await service.secretariat.create_invitation("EP", Actor.cli())).code
    eva = Person(app, 301, CLIENT_LANGUAGE[lang], "Eva Lind")
    await eva.send(f"/start {code}")
    await eva.click(t("▶ Start"))

    notice = check_html(eva.text())
    assert WHO_SEES_IT[lang] in notice
    assert "cws.surveys@wipo.int" in notice
    assert "/mydata" in notice
    assert "/forgetme" in notice
    assert shown_title(questionnaire, 1, lang) not in eva.text()
    assert eva.buttons() == [t("✅ I understand, continue")]
    assert await service.privacy.acknowledgements(301) == []  # seen is not acknowledged

    await eva.click(t("✅ I understand, continue"))
    assert shown_title(questionnaire, 1, lang) in eva.text()
    [acknowledged] = await service.privacy.acknowledgements(301)
    assert acknowledged.version == CATALOG_VERSION
    assert acknowledged.at == clock.now

    # Never again: not at /continue, not after a restart, not at /start.
    await eva.click(questionnaire.scale[0].label(lang))
    restarted = start_app(settings, service, i18n)
    eva.connect(restarted)
    for command in ("/continue", "/start"):
        await eva.send(command)
        assert shown_title(questionnaire, 2, lang) in eva.text(), command
    assert len(await service.privacy.acknowledgements(301)) == 1


async def test_someone_verified_before_the_notice_sees_it_once_at_their_next_continue(
    engine: AsyncEngine,
    settings: Settings,
    i18n: I18n,
    questionnaire: Questionnaire,
    clock: Clock,
) -> None:
    service = await survey_service(engine, questionnaire, clock)
    code = (await service.secretariat.create_invitation("FR", Actor.cli())).code
    await service.enrolment.redeem(302, code, full_name="Paul Durand")  # before this change
    await service.answering.record_answer(302, 1, "high")
    app = start_app(settings, service, i18n)
    paul = Person(app, 302, "fr", "Paul Durand")
    await paul.send("/continue")
    assert WHO_SEES_IT["fr"] in check_html(paul.text())
    old_notice = paul.last()
    await paul.click("✅ J’ai compris, continuer")
    assert shown_title(questionnaire, 2, "fr") in paul.text()
    # The same button pressed again, from the older message: nothing more recorded.
    await paul.click("✅ J’ai compris, continuer", message=old_notice)
    assert len(await service.privacy.acknowledgements(302)) == 1
    await paul.send("/start")
    assert shown_title(questionnaire, 2, "fr") in paul.text()


async def test_the_notice_pressed_after_erasure_records_nothing(
    app: App, service: SurveyService
) -> None:
    code = (await service.secretariat.create_invitation("EP", Actor.cli())).code
    await service.enrolment.redeem(305, code, full_name="Olga Berg")
    olga = Person(app, 305, "en", "Olga Berg")
    await olga.send("/continue")
    notice = olga.last()
    await olga.send("/forgetme")
    await olga.click("🗑 Yes, erase my data")
    await olga.click("✅ I understand, continue", message=notice)
    assert await service.privacy.acknowledgements(305) == []
    assert "send the invitation code" in olga.text()


async def test_privacy_shows_the_notice_at_any_time_and_ok_returns(
    app: App, service: SurveyService, questionnaire: Questionnaire
) -> None:
    code = (await service.secretariat.create_invitation("ES", Actor.cli())).code
    ana = Person(app, 303, "es", "Ana Ruiz")
    await ana.send("/privacy")  # even before verification
    assert WHO_SEES_IT["es"] in check_html(ana.text())
    await ana.click("Aceptar")
    await ana.send(f"/start {code}")
    await ana.send("/continue")
    await ana.acknowledge_notice()
    await ana.send("/privacy")
    assert WHO_SEES_IT["es"] in check_html(ana.text())
    assert "✅ Entendido, continuar" not in ana.buttons()
    await ana.click("Aceptar")
    assert shown_title(questionnaire, 1, "es") in ana.text()
    await ana.send("/help")
    assert "/privacy: qué se guarda sobre usted" in ana.text()


NOTICE_FILE = """\
en: |
  Our own notice. Write to {contact}. Kept {retention}
fr: |
  Notre propre avis <b>sans balises</b>. Écrivez à {contact}. Conservé {retention}
es: |
  Nuestro propio aviso. Escriba a {contact}.
"""


async def test_the_secretariats_file_replaces_the_text_with_a_link_and_the_retention(
    tmp_path: Path, service: SurveyService, settings: Settings, i18n: I18n
) -> None:
    path = tmp_path / "notice.yaml"
    path.write_text(NOTICE_FILE, encoding="utf-8")
    configured = settings.model_copy(
        update={
            "privacy_notice_path": path,
            "privacy_url": "https://www.wipo.int/privacy",
            "retention_days": 90,
        }
    )
    app = start_app(configured, service, i18n)
    code = (await service.secretariat.create_invitation("EP", Actor.cli())).code
    marie = Person(app, 304, "fr", "Marie Curie")
    await marie.send(f"/start {code}")
    await marie.send("/continue")
    shown = check_html(marie.text())
    assert "Notre propre avis <b>sans balises</b>. Écrivez à cws.surveys@wipo.int." in shown
    assert "au plus tard 90 jours après la clôture de l’enquête" in shown
    markup = marie.last().reply_markup
    assert isinstance(markup, InlineKeyboardMarkup)
    urls = [button.url for row in markup.inline_keyboard for button in row if button.url]
    assert urls == ["https://www.wipo.int/privacy"]
    await marie.click("✅ J’ai compris, continuer")
    [acknowledged] = await service.privacy.acknowledgements(304)
    assert acknowledged.version == load_notice_file(path).version != CATALOG_VERSION

    # A new text is a new version: acknowledged anew, the first one kept.
    path.write_text(NOTICE_FILE.replace("Notre propre", "Notre nouvel"), encoding="utf-8")
    app = start_app(configured, service, i18n)
    marie.connect(app)
    await marie.send("/continue")
    assert "Notre nouvel avis" in check_html(marie.text())
    await marie.click("✅ J’ai compris, continuer")
    assert len(await service.privacy.acknowledgements(304)) == 2


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("en: Hello\nfr: Bonjour\n", "no text for 'es'"),
        ("- a list\n", "must map en, fr and es"),
        ("en: Hi {name}\nfr: Salut\nes: Hola\n", "may use only {contact} and {retention}"),
        ("en: 'x'\nfr: 'y'\nes: '" + "z" * 4000 + "'\n", "longer than 3500 characters"),
    ],
)
def test_a_bad_notice_file_stops_the_start_with_one_line(
    tmp_path: Path, settings: Settings, content: str, problem: str
) -> None:
    path = tmp_path / "notice.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="PRIVACY_NOTICE_PATH") as raised:
        load_notice_file(path)
    assert problem in str(raised.value)
    assert "\n" not in str(raised.value)
