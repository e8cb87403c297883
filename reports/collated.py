"""The collated results document (DOCX) in the shape the Secretariat publishes for the
Committee: a title, the purpose, the period and the responding Offices by ST.3 code; then, for
each Recommendation, its text, the question asked and a table "ST.3 code | response | comments"
with one row per responding Office; the ranking and the chart at the end. Every fixed text is
in the reader's language (``lang``); answers and comments are written as the Offices typed them.

A responding Office is one whose response is submitted or, when the digest counts the drafts,
one that has given at least one level (as the digest's "started"); the others are left out.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt, RGBColor
from docx.table import Table, _Row
from docx.text.paragraph import Paragraph

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
from survey.model import ExportRow, ResponseStatus
from survey.questionnaire import Questionnaire
from survey.results import Digest, RecommendationResult

__all__ = ["collated_docx", "responding_offices"]

_PAGE_WIDTH, _PAGE_HEIGHT, _MARGIN = Mm(210), Mm(297), Mm(20)  # A4
_TEXT_WIDTH = _PAGE_WIDTH - 2 * _MARGIN
_ANSWER_COLUMNS = (Mm(26), Mm(30), _TEXT_WIDTH - Mm(56))  # ST.3 code | response | comments
_CHART_HEIGHT = Mm(225)
_MUTED = RGBColor(0x59, 0x59, 0x59)
_HEADER_FILL = "E7EEF7"
_TABLE_FONT = Pt(9.5)
# Characters an XML document cannot hold (control characters other than tab, line feed and
# carriage return); python-docx refuses them, so they are dropped from typed text.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def collated_docx(
    digest: Digest,
    rows: Sequence[ExportRow],
    questionnaire: Questionnaire,
    lang: str = "en",
    *,
    chart: bytes | None = None,
    period: tuple[datetime, datetime] | None = None,
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
    answers = {
        (row.office_code, row.recommendation): row for row in rows if row.office_code in offices
    }

    document = Document()
    _set_up(document, lang, _("Survey on ICT Strategy Recommendations: collated results"))
    document.add_paragraph(_("Survey on ICT Strategy Recommendations: collated results"), "Title")
    _front_matter(document, digest, rows, questionnaire, lang, offices, period)

    results = {item.number: item for item in digest.items}
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
        _answers_table(
            document,
            [answers.get((code, number)) for code in offices],
            offices,
            questionnaire,
            lang,
        )

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
    return buffer.getvalue()


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
) -> None:
    _ = translations(lang).gettext
    document.add_paragraph(
        _(
            "The Committee on WIPO Standards (CWS) asked the Intellectual Property Offices to "
            "rank the priority of each of the {count} Recommendations for ICT Strategies. This "
            "document collates the answers of the responding Offices, Recommendation by "
            "Recommendation, followed by the ranking and a chart of the results."
        ).format(count=len(questionnaire))
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
        .format(count=len(offices))
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
        f"{level.label(lang)} {item.counts.get(level.code, 0)}" for level in questionnaire.scale
    )
    if item.rank is None:
        return f"{counts}. " + _("Not scored.")
    return f"{counts}. " + _("Score {score}, rank {rank} of {count}.").format(
        score=format_score(item.score, lang), rank=item.rank, count=len(questionnaire)
    )


def _answers_table(
    document: DocumentObject,
    answers: Sequence[ExportRow | None],
    offices: dict[str, bool],
    questionnaire: Questionnaire,
    lang: str,
) -> None:
    _ = translations(lang).gettext
    draft = translations(lang).pgettext("response", "draft")
    table = _table(
        document, [_("ST.3 code"), _("Response"), _("Comments")], len(offices), _ANSWER_COLUMNS
    )
    for row, (code, is_draft), answer in zip(table.rows[1:], offices.items(), answers, strict=True):
        code_cell, level_cell, comment_cell = row.cells
        code_cell.text = code
        if is_draft:
            _muted(code_cell.paragraphs[0], f" ({draft})")
        level = answer.level if answer is not None else None
        if level:
            level_cell.text = level_label(questionnaire, level, lang)
        else:
            _muted(level_cell.paragraphs[0], _("no answer"))
        comment = (answer.comment or "").strip() if answer is not None else ""
        if comment:
            comment_cell.text = _xml_text(comment)


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
            str(item.rank) if item.rank is not None else "–",
            recommendation_label(item.number),
            title(questionnaire, item.number, lang),
            *(str(item.counts.get(level.code, 0)) for level in levels),
            str(item.answered),
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
        _row_property(row, "w:cantSplit")
    heading = table.rows[0]
    _row_property(heading, "w:tblHeader")
    for cell, text in zip(heading.cells, header, strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:color"), "auto")
        shading.set(qn("w:fill"), _HEADER_FILL)
        cell._tc.get_or_add_tcPr().append(shading)
    return table


def _row_property(row: _Row, name: str) -> None:
    element = OxmlElement(name)
    element.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(element)


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


def _xml_text(text: str) -> str:
    return _ILLEGAL.sub("", text)
