"""The PDF of an Office's answers, to file or to sign: the Office, its status (a draft, or
submitted with the receipt: when, by whom, the reference), the count of each level, then the 40
Recommendations with level, comment, who last changed each and when, and a sign-off block
(name and function, date, signature). A4, in the reader's language; answers, comments and
names as typed.

Made with fpdf2 in the DejaVu Sans typeface, which covers the Latin, Greek and Cyrillic
alphabets (French and Spanish accents included). Its files come with matplotlib, a dependency of
the bot already (``matplotlib/mpl-data/fonts/ttf``, with their licence, ``LICENSE_DEJAVU``),
so nothing is downloaded and no system font is needed. A character the typeface does not have
(Chinese or Japanese in a name, say) is printed as ``□`` and a note says so; the bot keeps the
text as typed.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from reports.i18n import report_language, translations
from reports.labels import iso_utc, level_label, long_date, recommendation_label
from reports.numbers import format_number
from survey.model import AnswerRecord, Office, Receipt
from survey.questionnaire import Questionnaire

__all__ = ["FONT_DIR", "answers_pdf", "pdf_file_name"]


def _font_dir() -> Path:
    spec = importlib.util.find_spec("matplotlib")  # found, not imported: no matplotlib start-up
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib is not installed: the PDF's font comes with it")
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"


FONT_DIR = _font_dir()
_FONT = "dejavu"
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
_MISSING = "□"  # in the font; stands for a character that is not
_MARGIN = 15  # mm
_WIDTHS = (11, 52, 25, 60, 32)  # No. | Recommendation | Level | Comment | Last changed: 180 mm
_TEXT = (34, 34, 34)
_MUTED = (89, 89, 89)
_HEADER_FILL = (231, 238, 247)
_BOX_FILL = (245, 247, 250)


def pdf_file_name(office: Office, moment: datetime, lang: str) -> str:
    """``cws-ict-survey-EP-answers-2026-06-01-fr.pdf``."""
    return f"cws-ict-survey-{office.code}-answers-{moment:%Y-%m-%d}-{report_language(lang)}.pdf"


def answers_pdf(
    office: Office,
    answers: Mapping[int, AnswerRecord],
    questionnaire: Questionnaire,
    lang: str = "en",
    *,
    receipt: Receipt | None = None,
    generated_at: datetime,
) -> bytes:
    """The PDF of ``answers`` (the Office's answers by Recommendation number) in ``lang``;
    ``receipt`` for a submitted response (None: a draft); ``generated_at`` is printed in the
    footer and is the document's creation time."""
    lang = report_language(lang)
    document = _Document(office, questionnaire, lang, receipt, generated_at)
    document.compose(answers)
    return bytes(document.output())


class _Document(FPDF):
    def __init__(
        self,
        office: Office,
        questionnaire: Questionnaire,
        lang: str,
        receipt: Receipt | None,
        generated_at: datetime,
    ) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.office = office
        self.questionnaire = questionnaire
        self.lang = lang
        self.receipt = receipt
        self.generated_at = generated_at
        self.tr = translations(lang)
        self.replaced = False  # a character was printed as _MISSING
        for style, name in _FONT_FILES.items():
            self.add_font(_FONT, style, str(FONT_DIR / name))
        self.set_margins(_MARGIN, _MARGIN + 4, _MARGIN)
        self.set_auto_page_break(True, margin=_MARGIN + 5)
        _ = self.tr.gettext
        self.office_line = _office_line(office, lang)
        self.set_title(_("Answers of {office}").format(office=self.office_line))
        self.set_author(receipt.submitted_by if receipt else "CWS ICT survey bot")
        self.set_creator("CWS ICT survey bot")
        self.set_lang(lang)
        self.set_creation_date(generated_at)
        self.alias_nb_pages()

    # -- page furniture --------------------------------------------------------------------------

    def header(self) -> None:
        _ = self.tr.gettext
        self.set_font(_FONT, "", 7.5)
        self.set_text_color(*_MUTED)
        status = (
            _("Submitted, reference {reference}").format(reference=self.receipt.reference)
            if self.receipt
            else self.tr.pgettext("response", "draft")
        )
        self.set_y(8)
        self.cell(
            0, 4, self.safe(f"{self.office_line} · {status}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.set_draw_color(200, 200, 200)
        self.line(_MARGIN, 13, self.w - _MARGIN, 13)
        self.set_y(self.t_margin)
        self.set_text_color(*_TEXT)

    def footer(self) -> None:
        _ = self.tr.gettext
        self.set_y(-(_MARGIN - 2))
        self.set_font(_FONT, "", 7.5)
        self.set_text_color(*_MUTED)
        self.cell(
            0,
            4,
            _("Printed {time} · page {page} of {pages}").format(
                time=_when(self.generated_at, self.lang), page=self.page_no(), pages="{nb}"
            ),
            align="C",
        )

    # -- content ---------------------------------------------------------------------------------

    def compose(self, answers: Mapping[int, AnswerRecord]) -> None:
        _ = self.tr.gettext
        self.add_page()
        self.set_font(_FONT, "B", 15)
        self.block(7, self.safe(_("Answers of {office}").format(office=self.office_line)))
        self.set_font(_FONT, "", 9.5)
        self.set_text_color(*_MUTED)
        self.block(
            5,
            self.tr.ngettext(
                "Survey of the Committee on WIPO Standards on the priority of the {count} "
                "Recommendation for ICT Strategies (questionnaire {id}).",
                "Survey of the Committee on WIPO Standards on the priority of the {count} "
                "Recommendations for ICT Strategies (questionnaire {id}).",
                len(self.questionnaire),
            ).format(
                count=format_number(len(self.questionnaire), self.lang), id=self.questionnaire.id
            ),
        )
        self.set_text_color(*_TEXT)
        self.ln(2)
        self.status_box(answers)
        if self.questionnaire.is_working_summary:
            self.set_font(_FONT, "I", 8)
            self.set_text_color(*_MUTED)
            self.block(
                4,
                _(
                    "The text of the Recommendations is the survey team's working summary, not "
                    "their official text."
                ),
            )
            self.set_text_color(*_TEXT)
        self.ln(3)
        self.answers_table(answers)
        if self.receipt is not None:
            self.receipt_block(self.receipt)
        self.sign_off()
        if self.replaced:
            self.ln(3)
            self.set_font(_FONT, "I", 8)
            self.set_text_color(*_MUTED)
            self.block(
                4,
                _(
                    "{mark} stands for a character this PDF cannot show; the answers keep it as "
                    "typed."
                ).format(mark=_MISSING),
            )

    def status_box(self, answers: Mapping[int, AnswerRecord]) -> None:
        _ = self.tr.gettext
        numbers = self.questionnaire.numbers
        answered = [answers[n] for n in numbers if n in answers and answers[n].level]
        if self.receipt is not None:
            status = _("Submitted on {time} by {name}. Reference: {reference}.").format(
                time=_when(self.receipt.submitted_at, self.lang),
                name=self.receipt.submitted_by,
                reference=self.receipt.reference,
            )
        else:
            status = self.tr.ngettext(
                "Draft, not submitted: {answered} of {total} answered, as of {time}.",
                "Draft, not submitted: {answered} of {total} answered, as of {time}.",
                len(answered),
            ).format(
                answered=format_number(len(answered), self.lang),
                total=format_number(len(numbers), self.lang),
                time=_when(self.generated_at, self.lang),
            )
        counts = Counter(answer.level for answer in answered)
        parts = [
            _("{label}: {count}").format(
                label=level.label(self.lang), count=format_number(counts[level.code], self.lang)
            )
            for level in self.questionnaire.scale
        ]
        if len(answered) < len(numbers):
            unanswered = len(numbers) - len(answered)
            parts.append(
                _("{label}: {count}").format(
                    label=_("no answer"), count=format_number(unanswered, self.lang)
                )
            )
        commented = sum(1 for n in numbers if n in answers and answers[n].comment)
        parts.append(_("with a comment: {count}").format(count=format_number(commented, self.lang)))
        self.set_fill_color(*_BOX_FILL)
        self.set_font(_FONT, "B", 10)
        self.block(6, self.safe(status), fill=True, padding=(2, 3, 0, 3))
        self.set_font(_FONT, "", 9)
        self.block(5, " · ".join(parts), fill=True, padding=(1, 3, 2, 3))

    def answers_table(self, answers: Mapping[int, AnswerRecord]) -> None:
        _ = self.tr.gettext
        self.set_font(_FONT, "", 8.5)
        self.set_draw_color(190, 190, 190)
        muted = FontFace(color=_MUTED, emphasis="ITALICS")
        with self.table(
            col_widths=_WIDTHS,
            width=sum(_WIDTHS),
            headings_style=FontFace(emphasis="BOLD", fill_color=_HEADER_FILL),
            line_height=4,
            text_align=("LEFT", "LEFT", "LEFT", "LEFT", "LEFT"),
            v_align="TOP",
            padding=1.2,
            repeat_headings=1,
        ) as table:
            heading = table.row()
            for text in (_("No."), _("Recommendation"), _("Level"), _("Comment")):
                heading.cell(text)
            heading.cell(_("Last changed"))
            for item in self.questionnaire.recommendations:
                answer = answers.get(item.number)
                row = table.row()
                row.cell(recommendation_label(item.number))
                row.cell(self.safe(item.title(self.lang)))
                level = level_label(self.questionnaire, answer.level if answer else None, self.lang)
                if level:
                    row.cell(level, style=FontFace(emphasis="BOLD"))
                else:
                    row.cell(_("no answer"), style=muted)
                row.cell(self.safe(answer.comment or "") if answer else "")
                if answer is not None:
                    who = answer.changed_by_name or "–"
                    row.cell(self.safe(f"{who}\n{_short_when(answer.changed_at)}"))
                else:
                    row.cell("")

    def receipt_block(self, receipt: Receipt) -> None:
        _ = self.tr.gettext
        self.ln(5)
        self.keep_together(40)
        self.set_font(_FONT, "B", 11)
        self.cell(0, 6, _("Receipt"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        counts = ", ".join(
            f"{level.label(self.lang)} {receipt.level_counts.get(level.code, 0)}"
            for level in self.questionnaire.scale
        )
        rows = [
            (_("Submitted on"), _when(receipt.submitted_at, self.lang)),
            (_("Submitted by"), receipt.submitted_by),
            (_("Reference"), receipt.reference),
            (_("Answers"), counts),
            (_("Comments"), str(receipt.commented)),
        ]
        for label, value in rows:
            self.set_font(_FONT, "B", 9)
            self.cell(38, 5, label)
            self.set_font(_FONT, "", 9)
            self.block(5, self.safe(value))
        self.set_font(_FONT, "I", 8)
        self.set_text_color(*_MUTED)
        self.block(
            4,
            _(
                "The reference is a fingerprint of the submitted answers: the Secretariat can "
                "check that this copy matches what it received."
            ),
        )
        self.set_text_color(*_TEXT)

    def sign_off(self) -> None:
        _ = self.tr.gettext
        self.ln(6)
        self.keep_together(45)
        self.set_font(_FONT, "B", 11)
        self.block(6, self.safe(_("Approved for {office}").format(office=self.office_line)))
        self.ln(4)
        self.set_font(_FONT, "", 9.5)
        for label in (_("Name and function"), _("Date"), _("Signature")):
            self.cell(42, 9, label)
            x, y = self.get_x(), self.get_y() + 7
            self.line(x, y, self.w - _MARGIN, y)
            self.ln(11)

    # -- helpers ---------------------------------------------------------------------------------

    def block(self, height: float, text: str, **options: Any) -> None:
        """A paragraph across the page; the next one starts at the left margin below it."""
        options.setdefault("align", "L")
        self.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, **options)

    def keep_together(self, height: float) -> None:
        """Start a new page unless ``height`` mm are left on this one."""
        if self.get_y() + height > self.h - self.b_margin:
            self.add_page()

    def safe(self, text: str) -> str:
        """``text`` with the characters the font lacks (and control characters) replaced."""
        covered = _covered()
        out = []
        for char in text:
            if char == "\n" or ord(char) in covered:
                out.append(char)
            elif char == "\t":
                out.append(" ")
            elif char.isprintable() and not char.isspace():
                out.append(_MISSING)
                self.replaced = True
        return "".join(out)


@lru_cache(maxsize=1)
def _covered() -> frozenset[int]:
    """The characters every style of the font has."""
    sets = []
    for name in _FONT_FILES.values():
        with TTFont(str(FONT_DIR / name), lazy=True) as font:
            sets.append(frozenset(font.getBestCmap()))
    return frozenset.intersection(*sets)


def _office_line(office: Office, lang: str) -> str:
    name = office.name(lang)
    return f"{office.code} – {name}" if name and name != office.code else office.code


def _when(moment: datetime, lang: str) -> str:
    return f"{long_date(moment, lang)}, {iso_utc(moment)[11:16]} UTC"


def _short_when(moment: datetime) -> str:
    return iso_utc(moment)[:16].replace("T", " ")
