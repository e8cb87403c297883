"""Counts and numbers as a French or Spanish reader writes them: "1 invité" but "2 invités",
"0 %", "1 000 caractères" (Babel's locale data, not Python's notation)."""

from __future__ import annotations

from aiogram.utils.i18n import I18n
from babel.numbers import format_decimal

from survey.model import Actor
from survey.questionnaire import Questionnaire
from survey.rules import MAX_COMMENT_LENGTH
from survey.service import SurveyService
from tests.support import ADMIN_ID

from .harness import App, Person, check_html, verified

NARROW_NBSP = "\u202f"  # French groups thousands with it
NBSP = "\u00a0"  # and puts it before "%"


async def test_a_french_representative_reads_singular_counts_and_grouped_limits(
    app: App, service: SurveyService, questionnaire: Questionnaire, i18n: I18n
) -> None:
    person = await verified(app, service, lang="fr")
    assert f"Réponses{NBSP}: 0 sur 40" not in check_html(person.text())  # 0 is singular in French
    assert f"Réponse{NBSP}: 0 sur 40" in check_html(person.text())
    await person.click(questionnaire.scale[0].label("fr"))
    window = check_html(person.text())
    assert f"Réponse{NBSP}: 1 sur 40" in window
    await person.click(questionnaire.scale[0].label("fr"))
    assert f"Réponses{NBSP}: 2 sur 40" in check_html(person.text())

    await person.click(i18n.gettext("💬 Add a comment", locale="fr"))
    assert f"(1{NARROW_NBSP}000 caractères au maximum)" in check_html(person.text())
    await person.send("x" * (MAX_COMMENT_LENGTH + 1))
    refusal = app.bot.sent()[-1]
    assert f"compte 1{NARROW_NBSP}001 caractères" in refusal
    assert f"la limite est de 1{NARROW_NBSP}000." in refusal


async def test_a_spanish_representative_reads_the_limit_as_babel_writes_it(
    app: App, service: SurveyService, i18n: I18n
) -> None:
    person = await verified(app, service, lang="es")
    await person.click(i18n.gettext("💬 Add a comment", locale="es"))
    limit = format_decimal(MAX_COMMENT_LENGTH, locale="es")
    assert limit in ("1000", "1.000")
    assert f"(como máximo {limit} caracteres)" in check_html(person.text())


async def test_the_french_digest_counts_offices_in_the_right_form_with_a_french_percentage(
    app: App, service: SurveyService
) -> None:
    await service.secretariat.create_invitation("EP", Actor.cli())
    admin = Person(app, ADMIN_ID, "fr")
    await admin.send("/results")
    text = check_html(admin.text())
    assert "1 invité ·" in text
    assert "1 invités" not in text
    assert "0 ayant soumis" in text
    assert f"Taux de réponse : 0{NBSP}% des offices" in text

    await service.secretariat.create_invitation("JP", Actor.cli())
    await admin.send("/results")
    assert "2 invités ·" in check_html(admin.text())


async def test_the_spanish_digest_counts_offices_in_the_right_form(
    app: App, service: SurveyService
) -> None:
    await service.secretariat.create_invitation("EP", Actor.cli())
    admin = Person(app, ADMIN_ID, "es")
    await admin.send("/results")
    text = check_html(admin.text())
    assert "1 invitada ·" in text
    assert "0 que han enviado" in text
    assert f"el 0{NBSP}% de las oficinas" in text
