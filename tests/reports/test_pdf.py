"""The PDF of an Office's answers, read back as text: every answer and comment, who changed it
and when, the receipt of a submitted response, the sign-off; accents in French and Spanish."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from reports.labels import recommendation_label
from reports.pdf import answers_pdf, pdf_file_name
from survey.model import AnswerRecord, Office, Receipt
from survey.questionnaire import Questionnaire

PRINTED = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
SUBMITTED = datetime(2026, 5, 20, 14, 0, tzinfo=UTC)
RECEIPT = Receipt(
    submitted_at=SUBMITTED,
    submitted_by="Zoë Müller",
    reference="3F9A0C51B2D7",
    level_counts={"high": 10, "medium": 10, "low": 10, "no_opinion": 10},
    commented=11,
)


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def squeezed(text: str) -> str:
    """Without any white space: lines wrap anywhere in a table cell."""
    return re.sub(r"\s+", "", text)


def sections(text: str, questionnaire: Questionnaire) -> dict[int, str]:
    """Each Recommendation's row of the table: from its label to the next one's."""
    starts: list[int] = []
    position = text.index(recommendation_label(1) + " ")
    for number in questionnaire.numbers:
        position = text.index(recommendation_label(number) + " ", position)
        starts.append(position)
    ends = [*starts[1:], len(text)]
    return {
        number: squeezed(text[start:end])
        for number, start, end in zip(questionnaire.numbers, starts, ends, strict=True)
    }


def complete(
    answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> dict[int, AnswerRecord]:
    """All 40 answered, as for a submitted response."""
    levels = ("high", "medium", "low", "no_opinion")
    result = dict(answers)
    for number in questionnaire.numbers:
        if number not in result or not result[number].level:
            comment = result[number].comment if number in result else None
            result[number] = AnswerRecord(
                number, levels[number % 4], comment, SUBMITTED, 2, "Ana Pérez"
            )
    return result


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_every_answer_comment_and_author(
    ep_office: Office,
    draft_answers: dict[int, AnswerRecord],
    questionnaire: Questionnaire,
    lang: str,
) -> None:
    answers = complete(draft_answers, questionnaire)
    data = answers_pdf(
        ep_office, answers, questionnaire, lang, receipt=RECEIPT, generated_at=PRINTED
    )
    assert data.startswith(b"%PDF-")
    text = text_of(data)
    rows = sections(text, questionnaire)
    for number in questionnaire.numbers:
        answer = answers[number]
        level = questionnaire.level(answer.level or "")
        assert level is not None
        row = rows[number]
        assert squeezed(questionnaire.recommendation(number).title(lang))[:20] in row, number
        assert squeezed(level.label(lang)) in row, number
        if answer.comment:
            assert squeezed(answer.comment) in row, number
        assert squeezed(answer.changed_by_name or "") in row, number
        assert squeezed(answer.changed_at.strftime("%Y-%m-%d %H:%M")) in row, number
    assert RECEIPT.reference in text
    assert "Zoë Müller" in text


def test_submitted_in_english(
    ep_office: Office, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> None:
    answers = complete(draft_answers, questionnaire)
    text = text_of(
        answers_pdf(ep_office, answers, questionnaire, receipt=RECEIPT, generated_at=PRINTED)
    )
    flat = " ".join(text.split())
    assert "Answers of EP – European Patent Office" in flat
    assert "Submitted on 20 May 2026, 14:00 UTC by Zoë Müller. Reference: 3F9A0C51B2D7." in flat
    counts = Counter(answer.level for answer in answers.values())
    assert (
        f"High: {counts['high']} · Medium: {counts['medium']} · Low: {counts['low']} · "
        f"No opinion: {counts['no_opinion']} · with a comment: 11"
    ) in flat
    # The receipt, then the sign-off at the end.
    receipt = flat.index("Receipt Submitted on")
    assert "Submitted by Zoë Müller" in flat[receipt:]
    assert "Reference 3F9A0C51B2D7" in flat[receipt:]
    assert "Answers High 10, Medium 10, Low 10, No opinion 10" in flat[receipt:]
    sign_off = flat.index("Approved for EP – European Patent Office")
    assert sign_off > receipt
    assert flat.index("Name and function") > sign_off
    assert flat.index("Signature") > sign_off
    assert "Submitted, reference 3F9A0C51B2D7" in flat  # on every page's header
    assert "page 1 of" in flat
    # Text typed by users is printed as typed.
    assert squeezed('=HYPERLINK("http://evil.example","click")') in squeezed(flat)


def test_submitted_in_french_keeps_the_accents(
    ep_office: Office, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> None:
    answers = complete(draft_answers, questionnaire)
    text = text_of(
        answers_pdf(ep_office, answers, questionnaire, "fr", receipt=RECEIPT, generated_at=PRINTED)
    )
    flat = " ".join(text.split())
    assert "Réponses de EP – Office européen des brevets" in flat
    assert "Soumis le 20 mai 2026, 14:00 UTC par Zoë Müller. Référence : 3F9A0C51B2D7." in flat
    assert "Élevée" in flat
    assert "Sans opinion" in flat
    assert "Priorité n°3 : élevée, año 3; “phase 2”" in flat
    assert "Accusé de réception" in flat
    assert "José Núñez" in flat
    assert "Approuvé au nom de EP – Office européen des brevets" in flat
    assert "Nom et fonction" in flat


def test_a_draft(
    ep_office: Office, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> None:
    data = answers_pdf(ep_office, draft_answers, questionnaire, "es", generated_at=PRINTED)
    text = text_of(data)
    flat = " ".join(text.split())
    assert "Borrador, no enviado: 30 de 40 respondidas, al 1 de junio de 2026, 09:30 UTC." in flat
    assert "sin respuesta: 10" in flat
    assert "Acuse de recibo" not in flat
    rows = sections(text, questionnaire)
    assert squeezed("sin respuesta") in rows[31]
    assert squeezed("Still discussing") in rows[35]
    assert squeezed("sin respuesta") in rows[35]
    assert "Firma" in flat


def test_characters_the_font_lacks(fr_office: Office, questionnaire: Questionnaire) -> None:
    answers = {
        1: AnswerRecord(1, "high", "Accord 日本 ok\tfin", PRINTED, 1, "山田 Taro"),
        2: AnswerRecord(2, "low", "Ελληνικά, кириллица, ß, œ, €", PRINTED, 1, "Ὀδυσσεύς"),
    }
    text = " ".join(
        text_of(answers_pdf(fr_office, answers, questionnaire, generated_at=PRINTED)).split()
    )
    assert "Accord □□ ok fin" in text
    assert "□□ Taro" in text
    assert "Ελληνικά, кириллица, ß, œ, €" in text
    assert "□ stands for a character this PDF cannot show" in text
    assert "FR – France" in text


def test_document_properties(
    ep_office: Office, draft_answers: dict[int, AnswerRecord], questionnaire: Questionnaire
) -> None:
    reader = PdfReader(
        io.BytesIO(answers_pdf(ep_office, draft_answers, questionnaire, "fr", generated_at=PRINTED))
    )
    assert reader.metadata is not None
    assert reader.metadata.title == "Réponses de EP – Office européen des brevets"
    assert reader.metadata.creation_date == PRINTED
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    assert 2 <= len(reader.pages) <= 6


def test_file_name(ep_office: Office) -> None:
    assert pdf_file_name(ep_office, PRINTED, "es") == "cws-ict-survey-EP-answers-2026-06-01-es.pdf"
