"""The collated results document (DOCX), read back with python-docx as the Secretariat would
open it: title and front matter, one section per Recommendation with the question and a table
of the responding Offices' answers, the ranking and the chart; in the reader's language."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from docx import Document
from docx.document import Document as DocumentObject
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from reports.collated import collated_docx, responding_offices
from survey.model import ExportRow, Funnel, ResponseStatus
from survey.questionnaire import Questionnaire
from survey.results import Digest, build_digest

from .helpers import COUNTS, GENERATED, INJECTION, TRICKY, row

TITLE_EN = "Survey on ICT Strategy Recommendations: collated results"
HOSTILE = '<w:t>x</w:t> & <b>bold?</b> {braces} =cmd|"/C calc"!A0 \x00\x07 done'


def tiny_png() -> bytes:
    """A valid one-pixel PNG, so that most tests need not draw the real chart."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)


@dataclass
class Read:
    document: DocumentObject
    title: str
    front: list[str]  # the paragraphs before the first Recommendation
    sections: list[Section]  # one per "Heading 1", in order

    def section(self, heading_start: str) -> Section:
        return next(s for s in self.sections if s.heading.startswith(heading_start))


def cells(table: Table) -> list[list[str]]:
    return [[cell.text for cell in line.cells] for line in table.rows]


def read(data: bytes) -> Read:
    document = Document(io.BytesIO(data))
    title = ""
    front: list[str] = []
    sections: list[Section] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            style = block.style.name if block.style is not None else ""
            if style == "Title":
                title = block.text
            elif style == "Heading 1":
                sections.append(Section(block.text))
            elif block.text.strip():
                (sections[-1].paragraphs if sections else front).append(block.text)
        else:
            sections[-1].tables.append(cells(block))
    return Read(document, title, front, sections)


def document_for(
    digest: Digest, rows: list[ExportRow], questionnaire: Questionnaire, lang: str = "en"
) -> Read:
    return read(collated_docx(digest, rows, questionnaire, lang, chart=tiny_png()))


def test_title_purpose_period_and_responding_offices(
    digest: Digest, rows: list[ExportRow], questionnaire: Questionnaire
) -> None:
    doc = document_for(digest, rows, questionnaire)

    assert doc.title == TITLE_EN
    assert doc.document.core_properties.title == TITLE_EN
    assert any("rank the priority of each of the 40 Recommendations" in p for p in doc.front)
    assert "Period: from 19 May 2026 to 20 May 2026 (the first and the last answer counted)" in (
        doc.front
    )
    assert "Results as of: 1 June 2026" in doc.front
    assert (
        "Counted: submitted answers only (drafts not included); 10 responses submitted."
        in doc.front
    )
    assert any(p.startswith("Wording: ") for p in doc.front)  # the shipped working summary
    assert "2 Offices, by their WIPO Standard ST.3 code:" in doc.front
    assert "EP, FR" in doc.front  # JP's response is a draft, not counted


def test_the_survey_period_when_given(
    digest: Digest, rows: list[ExportRow], questionnaire: Questionnaire
) -> None:
    period = (datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 7, 28, 23, 59, tzinfo=UTC))
    data = collated_docx(digest, rows, questionnaire, chart=tiny_png(), period=period)

    assert "Period: from 1 May 2026 to 28 July 2026" in read(data).front


def test_one_section_per_recommendation_in_order_then_ranking_and_chart(
    digest: Digest, rows: list[ExportRow], questionnaire: Questionnaire
) -> None:
    doc = document_for(digest, rows, questionnaire)
    headings = [section.heading for section in doc.sections]

    assert len(headings) == 42
    for number, section in enumerate(doc.sections[:40], 1):
        recommendation = questionnaire.recommendation(number)
        assert section.heading == f"R{number:02d} – {recommendation.title('en')}"
        assert section.paragraphs[0] == recommendation.statement("en")
        assert section.paragraphs[1] == (
            f"How would you rank the priority of the R{number:02d} recommendation?"
        )
        assert len(section.tables) == 1
        assert section.tables[0][0] == ["ST.3 code", "Response", "Comments"]
    assert headings[40:] == ["Ranking", "Chart"]


def test_answer_tables_have_one_row_per_responding_office(
    digest: Digest, rows: list[ExportRow], questionnaire: Questionnaire
) -> None:
    doc = document_for(digest, rows, questionnaire)

    assert doc.section("R01").tables[0][1:] == [
        ["EP", "High", TRICKY],  # the line break in the comment is kept
        ["FR", "Low", INJECTION],  # a formula-like comment is plain text in a document
    ]
    assert doc.section("R05").tables[0][1:] == [["EP", "Medium", ""], ["FR", "no answer", ""]]
    assert doc.section("R40").tables[0][1:] == [["EP", "no answer", ""], ["FR", "No opinion", ""]]
    assert all(len(section.tables[0]) == 3 for section in doc.sections[:40])
    assert "High 3, Medium 0, Low 1, No opinion 0. Score 2.50, rank 1 of 40." in (
        doc.section("R05").paragraphs
    )
    assert "High 0, Medium 0, Low 0, No opinion 2. Not scored." in doc.section("R07").paragraphs


def test_hostile_text_is_kept_as_text(digest: Digest, questionnaire: Questionnaire) -> None:
    rows = [
        row("EP", 1, "high", HOSTILE),
        row("EP", 2, "low", "- first point\n- second point\ttabbed"),
    ]
    doc = document_for(digest, rows, questionnaire)

    assert doc.section("R01").tables[0][1] == ["EP", "High", HOSTILE.replace("\x00\x07", "")]
    assert doc.section("R02").tables[0][1][2] == "- first point\n- second point\ttabbed"


def test_drafts_counted_when_the_digest_counts_them(
    rows: list[ExportRow], questionnaire: Questionnaire
) -> None:
    digest = build_digest(
        questionnaire,
        COUNTS,
        Funnel(offices=193, invited=20, verified=15, started=3, submitted=2),
        generated_at=GENERATED,
        include_drafts=True,
    )
    doc = document_for(digest, rows, questionnaire)

    assert "EP, FR, JP (draft)" in doc.front
    assert "Counted: submitted answers and drafts; 3 responses, drafts included." in doc.front
    assert doc.section("R02").tables[0][1:] == [
        ["EP", "no answer", ""],
        ["FR", "no answer", ""],
        ["JP (draft)", "High", ""],
    ]
    assert doc.section("R03").tables[0][3] == ["JP (draft)", "no answer", "Still discussing"]


def test_ranking_table_at_the_end(
    digest: Digest, rows: list[ExportRow], questionnaire: Questionnaire
) -> None:
    ranking = document_for(digest, rows, questionnaire).section("Ranking")

    assert ranking.paragraphs[0].startswith("Score: the mean of High = 3, Medium = 2 and Low = 1")
    (table,) = ranking.tables
    assert table[0] == [
        "Rank",
        "No.",
        "Title",
        "High",
        "Medium",
        "Low",
        "No opinion",
        "Answered",
        "Score",
    ]
    assert len(table) == 41
    r05 = questionnaire.recommendation(5).title("en")
    assert table[1] == ["1", "R05", r05, "3", "0", "1", "0", "4", "2.50"]
    assert [line[:2] for line in table[2:5]] == [["2", "R01"], ["3", "R02"], ["3", "R03"]]
    assert table[5][:2] == ["–", "R04"]  # the unscored after the ranked, by number
    assert table[5][-1] == "–"


def test_the_chart_is_embedded_at_the_end(
    digest: Digest, rows: list[ExportRow], questionnaire: Questionnaire
) -> None:
    png = tiny_png()
    document = Document(io.BytesIO(collated_docx(digest, rows, questionnaire, chart=png)))

    assert len(document.inline_shapes) == 1
    images = [part.blob for part in document.part.package.parts if "image" in part.content_type]
    assert images == [png]  # and no other picture (no thumbnail of a blank page)
    last = list(document.iter_inner_content())[-1]
    assert isinstance(last, Paragraph)
    assert last._p.xpath(".//pic:pic")  # the last block of the document is the picture


def test_the_real_chart_is_drawn_when_none_is_given(
    digest: Digest, rows: list[ExportRow], questionnaire: Questionnaire
) -> None:
    document = Document(io.BytesIO(collated_docx(digest, rows, questionnaire, "fr")))
    (image,) = [part.blob for part in document.part.package.parts if "image" in part.content_type]

    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", image[16:24])
    assert height > width > 500


def test_in_french(digest: Digest, rows: list[ExportRow], questionnaire: Questionnaire) -> None:
    doc = document_for(digest, rows, questionnaire, lang="fr")
    first = questionnaire.recommendation(1)

    assert doc.title == (
        "Enquête sur les recommandations relatives aux stratégies en matière de TIC\u00a0: "
        "résultats compilés"
    )
    assert "Résultats au\u00a0: 1 juin 2026" in doc.front
    assert "2 offices, désignés par leur code de la norme ST.3 de l’OMPI\u00a0:" in doc.front
    r01 = doc.section("R01")
    assert r01.heading == f"R01 – {first.title('fr')}"
    assert r01.paragraphs[0] == first.statement("fr")
    assert r01.paragraphs[1] == (
        "Quel niveau de priorité attribuez-vous à la recommandation R01\u00a0?"
    )
    assert r01.tables[0] == [
        ["Code ST.3", "Réponse", "Commentaires"],
        ["EP", "Élevée", TRICKY],
        ["FR", "Faible", INJECTION],
    ]
    assert doc.section("R05").tables[0][2] == ["FR", "pas de réponse", ""]
    assert [section.heading for section in doc.sections[40:]] == ["Classement", "Graphique"]
    ranking = doc.section("Classement").tables[0]
    assert ranking[0][:4] == ["Rang", "N°", "Titre", "Élevée"]
    assert ranking[1][-1] == "2,50"  # French decimal comma
    assert doc.document.core_properties.language == "fr"


def test_in_spanish(digest: Digest, rows: list[ExportRow], questionnaire: Questionnaire) -> None:
    doc = document_for(digest, rows, questionnaire, lang="es")

    assert doc.title.startswith("Encuesta sobre las recomendaciones")
    r01 = doc.section("R01")
    assert r01.paragraphs[1] == "¿Qué nivel de prioridad asigna a la recomendación R01?"
    assert r01.tables[0][:2] == [
        ["Código ST.3", "Respuesta", "Comentarios"],
        ["EP", "Alta", TRICKY],
    ]


def test_no_responding_office_yet(questionnaire: Questionnaire) -> None:
    digest = build_digest(
        questionnaire, [], Funnel(193, 0, 0, 0, 0), generated_at=GENERATED, include_drafts=False
    )
    drafts_only = [row("JP", 1, "high", status=ResponseStatus.DRAFT)]
    doc = document_for(digest, drafts_only, questionnaire)

    assert "No Office has responded yet." in doc.front
    assert not any(p.startswith("Period:") for p in doc.front)
    header_only = [["ST.3 code", "Response", "Comments"]]
    assert all(section.tables[0] == header_only for section in doc.sections[:40])


@pytest.mark.parametrize(
    ("include_drafts", "expected"),
    [(False, {"EP": False, "FR": False}), (True, {"EP": False, "FR": False, "JP": True})],
)
def test_responding_offices(
    rows: list[ExportRow], include_drafts: bool, expected: dict[str, bool]
) -> None:
    comment_only = row("KR", 4, None, "thinking", status=ResponseStatus.DRAFT)
    found = responding_offices([*reversed(rows), comment_only], include_drafts=include_drafts)

    assert found == expected
    assert list(found) == sorted(expected)  # by ST.3 code


def python_docx_answers_table(
    rows: list[ExportRow], offices: dict[str, bool], questionnaire: Questionnaire, lang: str
) -> Table:
    """R01's answer table made cell by cell with python-docx's API, as the document was made
    before its rows were written as text: what they must stay equal to."""
    from reports.collated import _ANSWER_COLUMNS, _muted, _table
    from reports.i18n import translations
    from reports.labels import level_label
    from reports.xml_text import xml_text

    _ = translations(lang).gettext
    draft = translations(lang).pgettext("response", "draft")
    answers = {row.office_code: row for row in rows if row.recommendation == 1}
    header = [_("ST.3 code"), _("Response"), _("Comments")]
    table = _table(Document(), header, len(offices), _ANSWER_COLUMNS)
    for line, (code, is_draft) in zip(table.rows[1:], offices.items(), strict=True):
        code_cell, level_cell, comment_cell = line.cells
        answer = answers.get(code)
        code_cell.text = code
        if is_draft:
            _muted(code_cell.paragraphs[0], f" ({draft})")
        if answer is not None and answer.level:
            level_cell.text = level_label(questionnaire, answer.level, lang)
        else:
            _muted(level_cell.paragraphs[0], _("no answer"))
        comment = (answer.comment or "").strip() if answer is not None else ""
        if comment:
            comment_cell.text = xml_text(comment)
    return table


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_answer_rows_are_the_xml_python_docx_writes(
    questionnaire: Questionnaire, lang: str
) -> None:
    draft = ResponseStatus.DRAFT
    rows = [
        row("EP", 1, "high", HOSTILE),
        row("FR", 1, "low", " a < b & c > d; \"quoted\" 'single' ]]>\r\nnext\rline\n"),
        row("JP", 1, "medium", "\ttabbed\t\u00a0nbsp\u00a0 emoji 🎉👍🏽 日本語", status=draft),
        row("K&", 1, "unknown_level", "lone \ud800 surrogate"),
        row("KR", 1, None, "\x00", status=draft),  # no level: "no answer", an empty run
        row("KR", 2, "low", status=draft),
        row("<Q", 1, "no_opinion", "  "),
        row("US", 2, "high", "another Recommendation"),
    ]
    digest = build_digest(
        questionnaire,
        COUNTS,
        Funnel(offices=193, invited=20, verified=15, started=6, submitted=4),
        generated_at=GENERATED,
        include_drafts=True,
    )
    document = Document(
        io.BytesIO(collated_docx(digest, rows, questionnaire, lang, chart=tiny_png()))
    )
    written = document.tables[0]._tbl
    offices = responding_offices(rows, include_drafts=True)
    expected = python_docx_answers_table(rows, offices, questionnaire, lang)._tbl

    assert list(offices) == ["<Q", "EP", "FR", "JP", "K&", "KR", "US"]
    assert etree.tostring(written, method="c14n", exclusive=True) == etree.tostring(
        expected, method="c14n", exclusive=True
    )
