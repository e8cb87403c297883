"""/questionnaire in the chat: the version in force, the template, a new version sent back,
checked, previewed as representatives will see it, and put in force for everyone."""

from __future__ import annotations

import html
import io
from pathlib import Path

import yaml
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.upload_checker import UploadChecker
from reports.questionnaire_problems import describe_problems
from reports.questionnaire_workbook import check_questionnaire_file
from storage.db import create_engine
from survey.model import Actor
from survey.questionnaire import (
    MAX_STATEMENT_LENGTH,
    MAX_TITLE_LENGTH,
    Questionnaire,
    questionnaire_from_data,
    questionnaire_to_data,
)
from survey.service import SurveyService
from tests.support import ADMIN_ID, Clock, survey_service

from .harness import App, Person, start_app, verified

COLUMNS = ("title_en", "statement_en", "title_fr", "statement_fr", "title_es", "statement_es")

# What an official text may hold: accents, quotes, markup-looking text, emoji; at the limits.
NEW_TITLES = {
    "en": 'Use "ST.96" <b>XML</b> & WIPO’s tools 📄',
    "fr": "Utiliser la norme « ST.96 » <b>XML</b> et les outils de l’OMPI 📄",
    "es": "Utilizar la norma «ST.96» <b>XML</b> y las herramientas de la OMPI 📄 ñ",
}


def longest(text: str, limit: int) -> str:
    return (text + " " + "é" * limit)[:limit]


def template_of(app: App) -> bytes:
    [(name, data)] = [(n, d) for n, d in app.bot.files(ADMIN_ID) if n.endswith(".xlsx")]
    assert name.startswith("questionnaire-")
    return data


def filled(template: bytes) -> bytes:
    """The template as the Secretariat fills it in: new texts for Recommendation 1, the longest
    allowed statement in Spanish for Recommendation 2."""
    book = load_workbook(io.BytesIO(template))
    sheet = book["Recommendations"]
    header = [cell.value for cell in sheet[1]]
    column = {key: header.index(key) + 1 for key in COLUMNS}
    for lang, title in NEW_TITLES.items():
        sheet.cell(row=2, column=column[f"title_{lang}"], value=longest(title, MAX_TITLE_LENGTH))
    sheet.cell(
        row=3,
        column=column["statement_es"],
        value=longest("Declaración «oficial» con acentos: áéíóú 🌍", MAX_STATEMENT_LENGTH),
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sent_to(app: App, chat_id: int) -> list[SendMessage]:
    return [c for c in app.bot.calls if isinstance(c, SendMessage) and c.chat_id == chat_id]


async def put_in_force(admin: Person) -> None:
    assert "✅ Put in force" in admin.buttons()
    await admin.click("✅ Put in force")
    assert "version 2" in admin.text()
    await admin.click("✅ Yes, put it in force")


async def test_the_version_in_force_and_its_template(app: App) -> None:
    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/questionnaire")
    text = html.unescape(admin.text())
    assert "<b>The questionnaire in force</b>" in text
    assert "version <b>1</b>" in text
    assert "40 Recommendations, a scale of" in text
    assert "working summary" in text
    assert "the bot's configuration" in text
    assert "send the file back to me here" in text
    await admin.click("📥 Template (Excel)")
    book = load_workbook(io.BytesIO(template_of(app)))
    header = [cell.value for cell in book["Recommendations"][1]]
    assert header == ["number", *COLUMNS]
    assert html.unescape(admin.text()) == text  # the window again, under the file


async def test_others_do_not_have_the_command(app: App) -> None:
    person = Person(app, 77, "en")
    await person.send("/questionnaire")
    assert "I do not know this command" in app.bot.sent(77)[-1]


async def test_the_help_lists_the_secretariat_commands_for_members_only(app: App) -> None:
    admin = Person(app, ADMIN_ID, "fr")
    await admin.send("/help")
    assert "/questionnaire" in admin.text()
    person = Person(app, 77, "fr")
    await person.send("/help")
    assert "/questionnaire" not in person.text()


async def test_a_filled_template_is_previewed_put_in_force_and_seen_by_another_process(
    app: App,
    service: SurveyService,
    settings: Settings,
    i18n: I18n,
    upload_checker: UploadChecker,
    tmp_path: Path,
    questionnaire: Questionnaire,
    clock: Clock,
) -> None:
    admin = Person(app, ADMIN_ID, "en")
    await admin.send("/questionnaire")
    await admin.click("📥 Template (Excel)")
    before = len(sent_to(app, ADMIN_ID))
    await admin.send_document("questionnaire.xlsx", filled(template_of(app)))

    previews = sent_to(app, ADMIN_ID)[before + 1 :][:3]  # after "checking…"
    bodies = {}
    languages = {"en": "English", "fr": "French", "es": "Spanish"}
    for call, (lang, label) in zip(previews, languages.items(), strict=True):
        title, _, bodies[lang] = call.text.partition("\n\n")
        assert f"Preview, {label}" in title
        # The title as a representative's window shows it: escaped, so "<b>" reads as typed.
        assert longest(NEW_TITLES[lang], MAX_TITLE_LENGTH) in html.unescape(bodies[lang])
        assert "<b>XML</b>" not in bodies[lang]
        assert isinstance(call.reply_markup, InlineKeyboardMarkup)
        labels = [b.text for row in call.reply_markup.inline_keyboard for b in row]
        assert [level.label(lang) for level in questionnaire.scale] == labels[: len(labels) - 4]
    window = admin.text()
    assert "<b>The questionnaire you sent</b>" in window
    assert "Recommendation 1: title (English, French, Spanish)" in window
    assert "Recommendation 2: statement (Spanish)" in window
    # Nothing changed yet.
    assert (await service.questionnaires.in_force()).number == 1

    await put_in_force(admin)
    assert "✅ Version 2 of the questionnaire is in force" in app.bot.sent(ADMIN_ID)[-1]
    version = await service.questionnaires.in_force()
    assert version.number == 2
    assert version.by == f"telegram:{ADMIN_ID}"
    await admin.send("/questionnaire")
    assert "version <b>2</b>" in admin.text()
    assert "Put in force by you on" in admin.text()

    # Another process on the same database: its representatives see the new texts at once.
    other_engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'survey.db'}")
    try:
        other = await survey_service(other_engine, questionnaire, clock)
        other_app = start_app(settings, other, i18n, upload_checker=upload_checker)
        for user, lang in ((501, "en"), (502, "fr"), (503, "es")):
            person = await verified(other_app, other, user, office="EP", lang=lang)
            # Exactly what the preview showed.
            assert person.text() == bodies[lang]
    finally:
        await other_engine.dispose()


async def test_a_yaml_file_is_put_in_force_the_same_way(
    app: App, service: SurveyService, questionnaire: Questionnaire
) -> None:
    data = questionnaire_to_data(questionnaire)
    data["recommendations"][0]["title"]["fr"] = "Titre corrigé « officiel » 🎯"
    admin = Person(app, ADMIN_ID, "fr")
    await admin.send_document(
        "questionnaire.yaml", yaml.safe_dump(data, allow_unicode=True).encode()
    )
    assert "Recommandation 1" in admin.text()
    await admin.click("✅ Mettre en vigueur")
    await admin.click("✅ Oui, la mettre en vigueur")
    assert "version 2" in app.bot.sent(ADMIN_ID)[-1]
    person = await verified(app, service, 601, office="FR", lang="fr")
    assert "Titre corrigé « officiel » 🎯" in person.text()


async def test_every_problem_is_listed_in_french(app: App, questionnaire: Questionnaire) -> None:
    admin = Person(app, ADMIN_ID, "fr")
    await admin.send("/questionnaire")
    await admin.click("📥 Modèle (Excel)")
    book = load_workbook(io.BytesIO(template_of(app)))
    sheet = book["Recommendations"]
    sheet["D2"] = None  # a missing French title
    sheet["B3"] = "x" * (MAX_TITLE_LENGTH + 1)  # a title over its limit
    sheet["C4"] = "=A1&A2"  # a formula
    sheet["F5"] = "   "  # only spaces
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    problems = check_questionnaire_file(data, "q.xlsx")
    assert isinstance(problems, tuple)
    assert len(problems) >= 4
    await admin.send_document("q.xlsx", data)
    said = "\n".join(app.bot.sent(ADMIN_ID)[-3:])
    assert f"{len(problems)} problèmes" in said
    for line in describe_problems(problems, "fr"):
        assert html.escape(line, quote=False) in said
    assert "Recommendations!D2" in said


async def test_a_scale_change_is_refused_once_answers_exist(
    app: App, service: SurveyService, questionnaire: Questionnaire
) -> None:
    await verified(app, service, 701, office="EP")
    delegate = Person(app, 701, "en")
    await delegate.click(questionnaire.scale[0].label("en"))
    data = questionnaire_to_data(questionnaire)
    # The scores of the scale (the ranking is computed from them).
    level = next(level for level in data["scale"] if level["score"] is not None)
    level["score"] += 10
    admin = Person(app, ADMIN_ID, "en")
    await admin.send_document("q.yaml", yaml.safe_dump(data, allow_unicode=True).encode())
    said = app.bot.sent(ADMIN_ID)[-1]
    assert "Refused: 1 answer exists" in said
    assert "the scale&#39;s scores:" in said
    assert f"{level['code']}={level['score']}" in said
    assert (await service.questionnaires.in_force()).number == 1


async def test_a_version_put_in_force_since_the_preview_is_not_overwritten(
    app: App, service: SurveyService, questionnaire: Questionnaire
) -> None:
    data = questionnaire_to_data(questionnaire)
    data["recommendations"][0]["title"]["en"] = "Mine"
    admin = Person(app, ADMIN_ID, "en")
    await admin.send_document("q.yaml", yaml.safe_dump(data).encode())
    data["recommendations"][0]["title"]["en"] = "A colleague's"
    theirs = questionnaire_from_data(data, origin="colleague.yaml")
    await service.questionnaires.put_in_force(theirs, actor=Actor.cli(), expected_number=1)
    await put_in_force(admin)
    said = app.bot.sent(ADMIN_ID)[-1]
    assert "Version 2 was put in force since your preview" in said
    version = await service.questionnaires.in_force()
    assert version.number == 2
    assert version.questionnaire.recommendation(1).title("en") == "A colleague's"


async def test_the_same_content_changes_nothing(app: App, questionnaire: Questionnaire) -> None:
    admin = Person(app, ADMIN_ID, "en")
    data = yaml.safe_dump(questionnaire_to_data(questionnaire)).encode()
    await admin.send_document("q.yaml", data)
    assert "the same as version 1" in app.bot.sent(ADMIN_ID)[-1]


async def test_a_preview_button_records_nothing(app: App, questionnaire: Questionnaire) -> None:
    data = questionnaire_to_data(questionnaire)
    data["recommendations"][0]["title"]["en"] = "New"
    admin = Person(app, ADMIN_ID, "en")
    before = len(sent_to(app, ADMIN_ID))
    await admin.send_document("q.yaml", yaml.safe_dump(data).encode())
    preview = sent_to(app, ADMIN_ID)[before + 1]
    assert isinstance(preview.reply_markup, InlineKeyboardMarkup)
    data_of = preview.reply_markup.inline_keyboard[0][0].callback_data
    assert data_of is not None
    await admin.press_raw(admin.last(), data_of)
    assert app.bot.alerts()[-1] == "This is a preview: nothing is recorded."


async def test_a_member_who_answers_for_an_office_sends_a_questionnaire_from_the_window(
    app: App, service: SurveyService, questionnaire: Questionnaire
) -> None:
    await verified(app, service, ADMIN_ID, office="EP")
    admin = Person(app, ADMIN_ID, "en")
    data = questionnaire_to_data(questionnaire)
    data["recommendations"][0]["title"]["en"] = "New"
    text = yaml.safe_dump(data).encode()
    # Outside the window: their Office's workbook (this is none).
    await admin.send_document("q.yaml", text)
    assert "The questionnaire you sent" not in admin.text()
    await admin.send("/questionnaire")
    await admin.send_document("q.yaml", text)
    assert "<b>The questionnaire you sent</b>" in admin.text()


async def test_a_preview_of_every_text_changed_fits_in_its_window(
    app: App, questionnaire: Questionnaire
) -> None:
    data = questionnaire_to_data(questionnaire)
    for item in data["recommendations"]:
        for part in ("title", "statement"):
            for lang in ("en", "fr", "es"):
                item[part][lang] = item[part][lang] + " (rev.)"
    admin = Person(app, ADMIN_ID, "es")
    await admin.send_document("q.yaml", yaml.safe_dump(data, allow_unicode=True).encode())
    text = admin.text()  # the harness refuses a window over Telegram's limit
    assert "Recomendación 1: título (inglés, francés, español)" in text
    assert "cambios más." in text


async def test_a_text_corrected_in_the_chat_mid_survey_on_each_backend(
    engine: AsyncEngine,
    database_url: str,
    settings: Settings,
    i18n: I18n,
    upload_checker: UploadChecker,
    questionnaire: Questionnaire,
    clock: Clock,
) -> None:
    service = await survey_service(engine, questionnaire, clock)
    app = start_app(settings, service, i18n, upload_checker=upload_checker)
    delegate = await verified(app, service, 901, office="EP", lang="es")
    await delegate.click(questionnaire.scale[0].label("es"))
    data = questionnaire_to_data(questionnaire)
    data["recommendations"][0]["title"]["es"] = "Título corregido (R1)"
    admin = Person(app, ADMIN_ID, "es")
    await admin.send_document("q.yaml", yaml.safe_dump(data, allow_unicode=True).encode())
    assert "Hasta ahora se ha dado 1 respuesta: se conserva." in admin.text()
    await admin.click("✅ Poner en vigor")
    await admin.click("✅ Sí, ponerlo en vigor")
    assert "✅ La versión 2 del cuestionario está en vigor" in app.bot.sent(ADMIN_ID)[-1]

    other_engine = create_engine(database_url)  # another process on the same database
    try:
        other = await survey_service(other_engine, questionnaire, clock)
        other_app = start_app(settings, other, i18n, upload_checker=upload_checker)
        newcomer = await verified(other_app, other, 902, office="FR", lang="es")
        assert "Título corregido (R1)" in newcomer.text()
        review = await other.answering.review(901)
        assert [item.number for item in review.items if item.level] == [1]  # the answer stays
    finally:
        await other_engine.dispose()
