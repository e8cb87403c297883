"""The collated results document (DOCX) in the shape the Secretariat publishes for the
Committee: a title, the purpose, the period and the responding Offices by ST.3 code; then, for
each Recommendation, its text, the question asked and a table "ST.3 code | response | comments"
with one row per responding Office; the ranking and the chart at the end. Every fixed text is
in the reader's language (``lang``); answers and comments are written as the Offices typed them.

A responding Office is one whose response is submitted or, when the digest counts the drafts,
one that has given at least one level (as the digest's "started"); the others are left out.

The 40 answer tables have one row per Office: 400,000 rows at 10,000 Offices. python-docx makes
every cell an lxml element (minutes and gigabytes at that size), so it builds everything but
those rows: each answer table gets its header row and a placeholder, and the rows are written
as WordprocessingML text into ``word/document.xml`` while the saved package is copied into the
final one, a chunk at a time. The text is what python-docx writes for the same cells, byte for
byte (``tests/reports/test_collated.py`` builds a table both ways and compares them).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import IO

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Row
from docx.shared import Emu, Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree  # type: ignore[import-untyped]  # python-docx's XML library

from reports.i18n import report_language, translations
from reports.labels import (
    counted_text,
    format_score,
    level_label,
    long_date,
    recommendation_label,
    responses_text,
    score_rule,
    title,
)
from reports.numbers import format_number
from reports.wording import changed_after_answers_lines, version_text
from reports.xml_text import xml_text
from survey.model import ExportRow, ResponseStatus
from survey.questionnaire import Questionnaire
from survey.results import Digest, RecommendationResult
from survey.setup import InForce

__all__ = ["collated_docx", "responding_offices"]

_PAGE_WIDTH, _PAGE_HEIGHT, _MARGIN = Mm(210), Mm(297), Mm(20)  # A4
_TEXT_WIDTH = _PAGE_WIDTH - 2 * _MARGIN
_ANSWER_COLUMNS = (Mm(26), Mm(30), _TEXT_WIDTH - Mm(56))  # ST.3 code | response | comments
_CHART_HEIGHT = Mm(225)
_MUTED = RGBColor(0x59, 0x59, 0x59)
_HEADER_FILL = "E7EEF7"
_TABLE_FONT = Pt(9.5)
_DOCUMENT_PART = "word/document.xml"
# Where an answer table's rows go: a comment, which no typed text can make (its "<" is
# escaped), after the table's header row; the number is the table's, from 0, in order.
_PLACEHOLDER = "collated-answers-{index}"
_PLACEHOLDERS = re.compile(rb"<!--collated-answers-(\d+)-->")
_CHUNK_ROWS = 2_000  # answer rows encoded and compressed at a time
# An upper bound on an answer row's XML: its fixed markup and labels, and per character of a
# code or a comment (a line break between spaces ends a preserved <w:t> and adds a <w:br/>).
# Beyond 2 GiB the part needs ZIP64, which must be chosen before writing it.
_ROW_BYTES, _CHAR_BYTES = 1_024, 24


def collated_docx(
    digest: Digest,
    rows: Sequence[ExportRow],
    questionnaire: Questionnaire,
    lang: str = "en",
    *,
    chart: bytes | None = None,
    period: tuple[datetime, datetime] | None = None,
    in_force: InForce | None = None,
) -> bytes:
    """The collated results document as DOCX bytes.

    ``chart`` is the results chart as PNG (drawn with ``reports.chart.results_chart`` when not
    given). ``period`` is the survey's opening and closing; without it the period is the days
    of the first and the last answer counted.
    """
    if chart is None:
        from reports.chart import results_chart

        chart = results_chart(digest, questionnaire, lang)
    lang = report_language(lang)
    _ = translations(lang).gettext
    offices = responding_offices(rows, include_drafts=digest.include_drafts)
    answers, comments = _answers_by_recommendation(rows, offices)

    document = Document()
    _set_up(document, lang, _("Survey on ICT Strategy Recommendations: collated results"))
    document.add_paragraph(_("Survey on ICT Strategy Recommendations: collated results"), "Title")
    _front_matter(document, digest, rows, questionnaire, lang, offices, period, in_force)

    results = {item.number: item for item in digest.items}
    tables: list[int] = []  # the Recommendation of each answer table, in order
    for recommendation in questionnaire.recommendations:
        number = recommendation.number
        label = recommendation_label(number)
        document.add_heading(f"{label} – {recommendation.title(lang)}", level=1)
        document.add_paragraph(recommendation.statement(lang))
        question = document.add_paragraph()
        question.add_run(
            _("How would you rank the priority of the {number} recommendation?").format(
                number=label
            )
        ).bold = True
        if number in results:
            _muted(document.add_paragraph(), _result_line(results[number], questionnaire, lang))
        _answers_table(document, len(tables), lang)
        tables.append(number)

    _new_section(document, landscape=True)  # the ranking's columns need the width
    document.add_heading(_("Ranking"), level=1)
    document.add_paragraph(score_rule(questionnaire, lang))
    _ranking_table(document, digest, questionnaire, lang)

    _new_section(document, landscape=False)
    document.add_heading(_("Chart"), level=1)
    document.add_picture(io.BytesIO(chart), height=_CHART_HEIGHT)
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER

    buffer = io.BytesIO()
    document.save(buffer)
    del document  # only the package's bytes are needed from here on
    writer = _AnswerRows(questionnaire, offices, lang)
    codes = sum(map(len, offices))
    size = len(tables) * (len(offices) * _ROW_BYTES + codes * _CHAR_BYTES)
    size += comments * _CHAR_BYTES
    return _with_answer_rows(
        buffer.getvalue(),
        lambda index: writer.chunks(answers.get(tables[index], {})),
        zip64=size > zipfile.ZIP64_LIMIT,
    )


def responding_offices(rows: Iterable[ExportRow], *, include_drafts: bool) -> dict[str, bool]:
    """The responding Offices' ST.3 codes in alphabetical order, each with whether its response
    is still a draft: the submitted ones, and with ``include_drafts`` those with at least one
    level given."""
    drafts: dict[str, bool] = {}
    for row in rows:
        if row.status is ResponseStatus.SUBMITTED:
            drafts[row.office_code] = False
        elif include_drafts and row.level:
            drafts.setdefault(row.office_code, True)
    return {code: drafts[code] for code in sorted(drafts)}


def _set_up(document: DocumentObject, lang: str, heading: str) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = _PAGE_WIDTH, _PAGE_HEIGHT
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, _MARGIN)
    properties = document.core_properties
    properties.title = heading
    properties.language = lang
    properties.author = "CWS ICT survey bot"
    package = document.part.package
    for key, relationship in list(package.rels.items()):
        if relationship.reltype == RT.THUMBNAIL:  # the template's preview: a blank page
            del package.rels[key]
    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)
    document.styles["Table Grid"].font.size = _TABLE_FONT
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), lang)  # spelling and hyphenation in the reader's language
    normal.element.get_or_add_rPr().append(language)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_number(footer)


def _front_matter(
    document: DocumentObject,
    digest: Digest,
    rows: Sequence[ExportRow],
    questionnaire: Questionnaire,
    lang: str,
    offices: dict[str, bool],
    period: tuple[datetime, datetime] | None,
    in_force: InForce | None = None,
) -> None:
    _ = translations(lang).gettext
    document.add_paragraph(
        translations(lang)
        .ngettext(
            "The Committee on WIPO Standards (CWS) asked the Intellectual Property Offices to "
            "rank the priority of the {count} Recommendation for ICT Strategies. This "
            "document collates the answers of the responding Offices, followed by the "
            "ranking and a chart of the results.",
            "The Committee on WIPO Standards (CWS) asked the Intellectual Property Offices to "
            "rank the priority of each of the {count} Recommendations for ICT Strategies. This "
            "document collates the answers of the responding Offices, Recommendation by "
            "Recommendation, followed by the ranking and a chart of the results.",
            len(questionnaire),
        )
        .format(count=format_number(len(questionnaire), lang))
    )
    if period is not None:
        when = _("from {start} to {end}").format(
            start=long_date(period[0], lang), end=long_date(period[1], lang)
        )
    else:
        when = _answer_period(rows, offices, digest.include_drafts, lang)
    if when:
        _labelled(document, _("Period:"), when)
    _labelled(document, _("Results as of:"), long_date(digest.generated_at, lang))
    _labelled(
        document, _("Counted:"), f"{counted_text(digest, lang)}; {responses_text(digest, lang)}."
    )
    if questionnaire.is_working_summary:
        _labelled(
            document,
            _("Wording:"),
            _(
                "the text of the Recommendations below is the survey team's working summary, "
                "not their official text."
            ),
        )
    if in_force is not None:
        _labelled(document, _("Questionnaire:"), version_text(in_force, lang) + ".")
        changed = changed_after_answers_lines(in_force, rows, lang)
        if changed:
            _labelled(document, _("Changed after answers began:"), "; ".join(changed) + ".")
    document.add_heading(_("Responding Offices"), level=2)
    if not offices:
        document.add_paragraph(_("No Office has responded yet."))
        return
    document.add_paragraph(
        translations(lang)
        .ngettext(
            "{count} Office, by its WIPO Standard ST.3 code:",
            "{count} Offices, by their WIPO Standard ST.3 code:",
            len(offices),
        )
        .format(count=format_number(len(offices), lang))
    )
    draft = translations(lang).pgettext("response", "draft")
    document.add_paragraph(
        ", ".join(f"{code} ({draft})" if is_draft else code for code, is_draft in offices.items())
    )


def _answer_period(
    rows: Sequence[ExportRow], offices: dict[str, bool], include_drafts: bool, lang: str
) -> str:
    _ = translations(lang).gettext
    counted = [
        row
        for row in rows
        if row.office_code in offices
        and row.level
        and (include_drafts or row.status is ResponseStatus.SUBMITTED)
    ]
    if not counted:
        return ""
    first = min(row.changed_at for row in counted)
    last = max(row.submitted_at or row.changed_at for row in counted)
    return _("from {start} to {end} (the first and the last answer counted)").format(
        start=long_date(first, lang), end=long_date(last, lang)
    )


def _result_line(item: RecommendationResult, questionnaire: Questionnaire, lang: str) -> str:
    _ = translations(lang).gettext
    counts = ", ".join(
        f"{level.label(lang)} {format_number(item.counts.get(level.code, 0), lang)}"
        for level in questionnaire.scale
    )
    if item.rank is None:
        return f"{counts}. " + _("Not scored.")
    return f"{counts}. " + _("Score {score}, rank {rank} of {count}.").format(
        score=format_score(item.score, lang),
        rank=format_number(item.rank, lang),
        count=format_number(len(questionnaire), lang),
    )


def _answers_by_recommendation(
    rows: Iterable[ExportRow], offices: Mapping[str, bool]
) -> tuple[dict[int, dict[str, ExportRow]], int]:
    """The responding Offices' answers by Recommendation and ST.3 code, and how many characters
    their comments have (for the size of the document). Keyed by the rows' own strings, so that
    the index adds no key objects of its own for 400,000 rows."""
    answers: dict[int, dict[str, ExportRow]] = {}
    characters = 0
    for row in rows:
        if row.office_code in offices:
            answers.setdefault(row.recommendation, {})[row.office_code] = row
            characters += len(row.comment or "")
    return answers, characters


def _answers_table(document: DocumentObject, index: int, lang: str) -> None:
    """The header of the ``index``-th answer table, and the placeholder of its rows."""
    _ = translations(lang).gettext
    table = _table(document, [_("ST.3 code"), _("Response"), _("Comments")], 0, _ANSWER_COLUMNS)
    table._tbl.append(etree.Comment(_PLACEHOLDER.format(index=index)))


class _AnswerRows:
    """The answer tables' rows as the WordprocessingML python-docx writes for them: a row that
    cannot split across pages; the ST.3 code, with " (draft)" muted for a draft; the level's
    label, or "no answer" muted; the comment as typed (tabs and line breaks as Word's), or an
    empty paragraph. Each cell has the width of its column. The Offices' code cells and the
    level cells are the same in every table, so they are made once."""

    def __init__(self, questionnaire: Questionnaire, offices: Mapping[str, bool], lang: str):
        _ = translations(lang).gettext
        draft = translations(lang).pgettext("response", "draft")
        self._questionnaire, self._lang = questionnaire, lang
        self._cells = [
            f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{Emu(width).twips}"/></w:tcPr>'
            for width in _ANSWER_COLUMNS
        ]
        self._codes = {
            code: self._cells[0]
            + _paragraph(_run(code), _run(f" ({draft})", muted=True) if is_draft else "")
            + "</w:tc>"
            for code, is_draft in offices.items()
        }
        self._no_answer = self._cells[1] + _paragraph(_run(_("no answer"), muted=True)) + "</w:tc>"
        self._levels: dict[str, str] = {}
        self._no_comment = self._cells[2] + "<w:p/></w:tc>"

    def chunks(self, answers: Mapping[str, ExportRow]) -> Iterator[bytes]:
        """One table's rows, a row per responding Office by its code, in UTF-8 chunks."""
        parts: list[str] = []
        for code, cell in self._codes.items():
            answer = answers.get(code)
            level = answer.level if answer is not None else None
            comment = (answer.comment or "").strip() if answer is not None else ""
            parts += (
                '<w:tr><w:trPr><w:cantSplit w:val="true"/></w:trPr>',
                cell,
                self._level(level) if level else self._no_answer,
                self._cells[2] + _paragraph(_run(comment)) + "</w:tc>"
                if comment
                else self._no_comment,
                "</w:tr>",
            )
            if len(parts) >= 5 * _CHUNK_ROWS:
                yield "".join(parts).encode()
                parts.clear()
        if parts:
            yield "".join(parts).encode()

    def _level(self, code: str) -> str:
        cell = self._levels.get(code)
        if cell is None:
            label = level_label(self._questionnaire, code, self._lang)
            cell = self._levels[code] = self._cells[1] + _paragraph(_run(label)) + "</w:tc>"
        return cell


def _paragraph(*runs: str) -> str:
    content = "".join(runs)
    return f"<w:p>{content}</w:p>" if content else "<w:p/>"


_BREAKS = re.compile("([\t\r\n])")
_MUTED_PROPERTIES = f'<w:rPr><w:i/><w:color w:val="{_MUTED}"/></w:rPr>'


def _run(text: str, *, muted: bool = False) -> str:
    """A run of ``text`` as python-docx's ``Run.text`` writes it: a tab is a <w:tab/>, a line
    feed or a carriage return a <w:br/>, the text between them a <w:t>, which keeps its spaces
    when it starts or ends with one."""
    content = [_MUTED_PROPERTIES] if muted else []
    for piece in _BREAKS.split(xml_text(text)):
        if piece == "\t":
            content.append("<w:tab/>")
        elif piece in ("\r", "\n"):
            content.append("<w:br/>")
        elif piece:
            space = ' xml:space="preserve"' if piece.strip() != piece else ""
            escaped = piece.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            content.append(f"<w:t{space}>{escaped}</w:t>")
    return f"<w:r>{''.join(content)}</w:r>" if content else "<w:r/>"


def _with_answer_rows(
    package: bytes, rows: Callable[[int], Iterable[bytes]], *, zip64: bool
) -> bytes:
    """The saved package with each answer table's placeholder replaced by ``rows(index)``: the
    parts copied in their order, ``word/document.xml`` streamed into the new zip so that its
    rows are never all in memory, neither as text nor compressed twice."""
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(package)) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, info.date_time)
            entry.compress_type = info.compress_type
            if info.filename != _DOCUMENT_PART:
                target.writestr(entry, source.read(info))
                continue
            xml = source.read(info)
            with target.open(entry, "w", force_zip64=zip64) as stream:
                _write_document(stream, xml, rows)
    return output.getvalue()


def _write_document(stream: IO[bytes], xml: bytes, rows: Callable[[int], Iterable[bytes]]) -> None:
    start = 0
    for placeholder in _PLACEHOLDERS.finditer(xml):
        stream.write(xml[start : placeholder.start()])
        for chunk in rows(int(placeholder[1])):
            stream.write(chunk)
        start = placeholder.end()
    stream.write(xml[start:])


def _ranking_table(
    document: DocumentObject, digest: Digest, questionnaire: Questionnaire, lang: str
) -> None:
    """Rank | No. | Title | one column per level | Answered | Score, on a landscape page."""
    _ = translations(lang).gettext
    levels = list(questionnaire.scale)
    header = [_("Rank"), _("No."), _("Title"), *(level.label(lang) for level in levels)]
    header += [_("Answered"), _("Score")]
    widths = [0 if index == 2 else _column_width(text) for index, text in enumerate(header)]
    widths[2] = max(Mm(60), _PAGE_HEIGHT - 2 * _MARGIN - sum(widths))  # the rest: the titles
    items = [*digest.ranking, *(item for item in digest.items if item.rank is None)]
    table = _table(document, header, len(items), widths)
    for row, item in zip(table.rows[1:], items, strict=True):
        values = [
            format_number(item.rank, lang) if item.rank is not None else "–",
            recommendation_label(item.number),
            title(questionnaire, item.number, lang),
            *(format_number(item.counts.get(level.code, 0), lang) for level in levels),
            format_number(item.answered, lang),
            format_score(item.score, lang),
        ]
        for index, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            cell.text = value
            if index != 2:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _column_width(header: str) -> int:
    """Room for the longest word of a header in bold table type, and the cell's margins."""
    longest = max((len(word) for word in header.split()), default=1)
    return max(Mm(13), Mm(2.5) * longest + Mm(4.5))


def _table(
    document: DocumentObject, header: Sequence[str], rows: int, widths: Sequence[int]
) -> Table:
    """A bordered table with fixed widths and a shaded header row repeated on every page; no
    row is split across two pages."""
    table: Table = document.add_table(rows=rows + 1, cols=len(header))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Emu(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Emu(width)
        _row_property(row._tr, "w:cantSplit")
    heading = table.rows[0]
    _row_property(heading._tr, "w:tblHeader")
    for cell, text in zip(heading.cells, header, strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:color"), "auto")
        shading.set(qn("w:fill"), _HEADER_FILL)
        cell._tc.get_or_add_tcPr().append(shading)
    return table


def _row_property(tr: CT_Row, name: str) -> None:
    element = OxmlElement(name)
    element.set(qn("w:val"), "true")
    tr.get_or_add_trPr().append(element)


def _labelled(document: DocumentObject, label: str, text: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.add_run(label).bold = True
    paragraph.add_run(" " + text)


def _muted(paragraph: Paragraph, text: str) -> None:
    run = paragraph.add_run(text)
    run.italic = True
    run.font.color.rgb = _MUTED


def _new_section(document: DocumentObject, *, landscape: bool) -> None:
    """Go on on a new page, in landscape or portrait (A4, same margins and footer)."""
    section = document.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    long_side, short_side = _PAGE_HEIGHT, _PAGE_WIDTH
    section.page_width = long_side if landscape else short_side
    section.page_height = short_side if landscape else long_side


def _page_number(paragraph: Paragraph) -> None:
    """A PAGE field: Word and LibreOffice put the page's number there."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind is not None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
