"""The questionnaire as a workbook (XLSX): the template the Secretariat fills in, and its reading.

``questionnaire_template`` writes the questionnaire in force as sheets a person edits in Excel or
LibreOffice: ``Recommendations`` (``number``, then title and statement in each language), ``Scale``
(``code, score, label_en, label_fr, label_es``), ``Survey`` (``key, en, fr, es`` rows: the id,
the wording kind, the survey's title, the source line, the link) and ``Instructions`` in the
three languages. The first row of each sheet holds the keys the reader looks for.

``read_questionnaire_workbook`` maps the cells to the YAML file's data and checks it with the
very rules the YAML goes through (``survey.questionnaire``); what only a workbook can hold
(a formula, an error value, an unknown sheet or column) is its own problem, and every problem
names its cell ("Recommendations!C7"). ``check_questionnaire_file`` is the one entry point for an
uploaded file, YAML or workbook: plain data in, plain data or problems out, for a worker process.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from reports.i18n import N_, translations
from reports.xlsx_limits import check_xlsx_limits
from reports.xml_text import xml_text
from survey.questionnaire import (
    EXPECTED_COUNT,
    LANGUAGES,
    MAX_STATEMENT_LENGTH,
    MAX_TITLE_LENGTH,
    ProblemKind,
    Questionnaire,
    QuestionnaireError,
    QuestionnaireProblem,
    parse_yaml,
    questionnaire_from_data,
    questionnaire_to_data,
)

__all__ = [
    "INSTRUCTIONS_SHEET",
    "RECOMMENDATIONS_SHEET",
    "RECOMMENDATION_COLUMNS",
    "SCALE_COLUMNS",
    "SCALE_SHEET",
    "SURVEY_COLUMNS",
    "SURVEY_KEYS",
    "SURVEY_SHEET",
    "check_questionnaire_file",
    "questionnaire_template",
    "read_questionnaire_workbook",
]

# Sheet names and keys are the file's structure, the same in every language (as YAML keys are).
RECOMMENDATIONS_SHEET = "Recommendations"
SCALE_SHEET = "Scale"
SURVEY_SHEET = "Survey"
INSTRUCTIONS_SHEET = "Instructions"
_SHEETS = (INSTRUCTIONS_SHEET, RECOMMENDATIONS_SHEET, SCALE_SHEET, SURVEY_SHEET)

RECOMMENDATION_COLUMNS: tuple[str, ...] = (
    "number",
    *(f"{part}_{lang}" for lang in LANGUAGES for part in ("title", "statement")),
)
SCALE_COLUMNS: tuple[str, ...] = ("code", "score", *(f"label_{lang}" for lang in LANGUAGES))
SURVEY_COLUMNS: tuple[str, ...] = ("key", *LANGUAGES)
# Rows of the Survey sheet; the single-valued ones are read from their first language's cell.
SURVEY_KEYS = ("id", "wording", "title", "source", "link")
_SINGLE = {"id": "id", "wording": "wording", "link": "source_url"}
_TEXTS = {"title": "title", "source": "source"}

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and any password-protected Office file
_ZIP = b"PK\x03\x04"

_Cell = tuple[str, int | None, str | None]  # sheet, row, column letter
_DataPath = tuple[str | int, ...]


# -- the template ----------------------------------------------------------------------------


def questionnaire_template(questionnaire: Questionnaire) -> bytes:
    """The workbook of ``questionnaire``, to be filled in and read back the same."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wrapped = Alignment(wrap_text=True, vertical="top")
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE6F0")
    workbook = Workbook()
    instructions = workbook.active
    assert instructions is not None
    instructions.title = INSTRUCTIONS_SHEET
    _instructions(instructions, bold, wrapped)

    def table(name: str, columns: tuple[str, ...], widths: Iterable[float]) -> Any:
        ws = workbook.create_sheet(name)
        for index, (key, width) in enumerate(zip(columns, widths, strict=True), start=1):
            cell = ws.cell(1, index, key)
            cell.font, cell.fill, cell.alignment = bold, header_fill, wrapped
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "B2"
        return ws

    def put(ws: Any, row: int, column: int, value: object) -> None:
        cell = ws.cell(row, column)
        cell.value = xml_text(value) if isinstance(value, str) else value
        if isinstance(value, str):
            cell.data_type = "s"  # a text starting with "=" stays a text, not a formula
        cell.alignment = wrapped

    recs = table(RECOMMENDATIONS_SHEET, RECOMMENDATION_COLUMNS, (9, *(28, 60) * len(LANGUAGES)))
    for row, item in enumerate(questionnaire.recommendations, start=2):
        put(recs, row, 1, item.number)
        for offset, lang in enumerate(LANGUAGES):
            put(recs, row, 2 + 2 * offset, item.titles[lang])
            put(recs, row, 3 + 2 * offset, item.statements[lang])
    last = max(len(questionnaire.recommendations) + 1, EXPECTED_COUNT + 1)

    def limit(ws: Any, cells: str, validation: DataValidation, text: str) -> None:
        validation.error, validation.errorTitle = text, text.split("\n")[0][:32]
        validation.prompt, validation.showInputMessage = text, True
        validation.showErrorMessage = True
        validation.add(cells)
        ws.add_data_validation(validation)

    three = _three_languages
    limit(
        recs,
        f"A2:A{last}",
        DataValidation(type="whole", operator="between", formula1="1", formula2="40"),
        three(N_("A whole number from 1 to {highest}."), highest=EXPECTED_COUNT),
    )
    for offset in range(len(LANGUAGES)):
        for column, most in (
            (2 + 2 * offset, MAX_TITLE_LENGTH),
            (3 + 2 * offset, MAX_STATEMENT_LENGTH),
        ):
            letter = get_column_letter(column)
            limit(
                recs,
                f"{letter}2:{letter}{last}",
                DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(most)),
                "\n".join(
                    translations(lang)
                    .ngettext("At most {limit} character.", "At most {limit} characters.", most)
                    .format(limit=most)
                    for lang in LANGUAGES
                ),
            )

    scale = table(SCALE_SHEET, SCALE_COLUMNS, (16, 9, *(22,) * len(LANGUAGES)))
    for row, level in enumerate(questionnaire.scale, start=2):
        put(scale, row, 1, level.code)
        put(scale, row, 2, level.score)
        for offset, lang in enumerate(LANGUAGES):
            put(scale, row, 3 + offset, level.labels[lang])
    limit(
        scale,
        "B2:B30",
        DataValidation(type="whole", operator="between", formula1="-1000", formula2="1000"),
        three(N_("A whole number, or empty: answered but left out of the score.")),
    )

    survey = table(SURVEY_SHEET, SURVEY_COLUMNS, (12, *(50,) * len(LANGUAGES)))
    titles = questionnaire.titles or {}
    rows: list[tuple[str, list[object]]] = [
        ("id", [questionnaire.id]),
        ("wording", [questionnaire.wording]),
        ("title", [titles.get(lang) for lang in LANGUAGES]),
        ("source", [questionnaire.sources[lang] for lang in LANGUAGES]),
        ("link", [questionnaire.source_url]),
    ]
    for row, (key, values) in enumerate(rows, start=2):
        put(survey, row, 1, key)
        for offset, value in enumerate(values):
            if value is not None:
                put(survey, row, 2 + offset, value)
    limit(
        survey,
        "B3",
        DataValidation(type="list", formula1='"official,working-summary"', allow_blank=False),
        three(N_("official, or working-summary.")),
    )
    for ws in workbook.worksheets:
        _fit_rows(ws)
        _print_setup(ws)
    workbook.active = 1  # opens on the Recommendations
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _three_languages(text: str, **values: object) -> str:
    """A text for a cell every reader sees: each language's wording, one a line."""
    return "\n".join(translations(lang).gettext(text).format(**values) for lang in LANGUAGES)


def _instruction_lines(lang: str) -> list[str]:
    _ = translations(lang).gettext
    return [
        _("How to prepare the questionnaire in this workbook"),
        _(
            "Recommendations: one row per Recommendation, numbered 1 to {count}, with its title "
            "(at most {title} characters) and its statement (at most {statement} characters) "
            "in English, French and Spanish."
        ).format(count=EXPECTED_COUNT, title=MAX_TITLE_LENGTH, statement=MAX_STATEMENT_LENGTH),
        _(
            "Scale: the answer levels, in the order shown. The code is short (lowercase "
            "letters, digits and _); a level whose score is empty counts as answered but is "
            "left out of the score."
        ),
        _(
            "Survey: the questionnaire's id, its wording (official or working-summary), the "
            "survey's title and the source line shown on each Recommendation's screen in each "
            "language, and the link (in the en column)."
        ),
        _(
            "Type or paste plain text: formulas are refused, and bold, italics or colours are "
            "not kept. Do not rename the sheets or the keys in their first row."
        ),
        _(
            "Once answers exist, the texts may still change (each Office is told), but not the "
            "numbering, the number of Recommendations or the scale's codes and scores."
        ),
        _(
            "When it is ready, send this workbook to the bot (command /questionnaire): it is "
            "checked and you see a preview before you put it in force."
        ),
    ]


# About what one unit of column width holds of ordinary text, and the height of a line, in points.
_CHARACTERS_PER_WIDTH = 1.1
_LINE_HEIGHT = 15


def _fit_rows(ws: Any) -> None:
    """Row heights that show every wrapped text whole: spreadsheet programs size a row to its
    text only when they edit it, and LibreOffice shows a written row at one line's height."""
    from openpyxl.utils import get_column_letter

    for row in ws.iter_rows(min_row=2 if ws.title != INSTRUCTIONS_SHEET else 1):
        lines = 1
        for cell in row:
            if not isinstance(cell.value, str):
                continue
            width = ws.column_dimensions[get_column_letter(cell.column)].width or 10
            per_line = max(1, int(width * _CHARACTERS_PER_WIDTH))
            lines = max(
                lines,
                sum(max(1, -(-len(part) // per_line)) for part in cell.value.split("\n")),
            )
        if lines > 1:
            ws.row_dimensions[row[0].row].height = lines * _LINE_HEIGHT


def _print_setup(ws: Any) -> None:
    """On paper: landscape, every column on the page's width, the keys repeated on each page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if ws.title != INSTRUCTIONS_SHEET:
        ws.print_title_rows = "1:1"


def _instructions(ws: Any, bold: Any, wrapped: Any) -> None:
    ws.column_dimensions["A"].width = 100
    row = 1
    for lang in LANGUAGES:
        for index, line in enumerate(_instruction_lines(lang)):
            cell = ws.cell(row, 1, line)
            cell.alignment = wrapped
            if index == 0:
                cell.font = bold
            row += 1
        row += 1


# -- reading ---------------------------------------------------------------------------------


def check_questionnaire_file(
    data: bytes, filename: str
) -> dict[str, Any] | tuple[QuestionnaireProblem, ...]:
    """An uploaded questionnaire, YAML or workbook (by its content, then its name): its data
    in ``questionnaire_to_data``'s shape, or every problem. Plain values in and out, so that a
    worker process can run it."""
    try:
        if data.startswith((_ZIP, _OLE2)) or filename.lower().endswith((".xlsx", ".xls", ".ods")):
            questionnaire = read_questionnaire_workbook(data, origin=filename)
        else:
            questionnaire = _read_yaml(data, filename)
    except QuestionnaireError as error:
        return error.problems
    return questionnaire_to_data(questionnaire)


def _read_yaml(data: bytes, filename: str) -> Questionnaire:
    problems: list[QuestionnaireProblem] = []

    def add(kind: ProblemKind, path: _DataPath = (), **details: Any) -> None:
        problems.append(QuestionnaireProblem(kind, path, details))

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        add(ProblemKind.NOT_UTF8, offset=error.start)
        raise QuestionnaireError(filename, problems) from None
    try:
        parsed = parse_yaml(text.removeprefix("\ufeff"), add)
    except Exception:
        raise QuestionnaireError(filename, problems) from None
    return questionnaire_from_data(parsed, origin=filename)


def read_questionnaire_workbook(data: bytes, *, origin: str | Path) -> Questionnaire:
    """The questionnaire in a workbook, checked; ``QuestionnaireError`` with every problem."""
    name = Path(origin).name
    reader = _WorkbookReader()
    content = reader.read(data)
    if content is None or not reader.readable:
        raise QuestionnaireError(name, reader.sorted(reader.problems))
    try:
        questionnaire = questionnaire_from_data(content, origin=origin)
    except QuestionnaireError as error:
        problems = [*reader.problems, *reader.placed(error.problems)]
        raise QuestionnaireError(name, reader.sorted(problems)) from None
    if reader.problems:
        raise QuestionnaireError(name, reader.sorted(reader.problems))
    return questionnaire


class _WorkbookReader:
    """Cells to the YAML's data, remembering which cell each value came from."""

    def __init__(self) -> None:
        self.problems: list[QuestionnaireProblem] = []
        self.cells: dict[_DataPath, _Cell] = {}
        self.reported: set[_DataPath] = set()  # a formula's cell: not also "missing"
        self.letters: dict[tuple[str, str], str] = {}  # (sheet, key) -> its column's letter
        self.readable = True

    def add(self, kind: ProblemKind, where: _Cell, path: _DataPath = (), **details: Any) -> None:
        sheet, row, column = where
        self.problems.append(
            QuestionnaireProblem(kind, path, details, sheet=sheet, row=row, column=column)
        )

    def refuse(self, kind: ProblemKind, **details: Any) -> None:
        self.problems.append(QuestionnaireProblem(kind, (), details))
        self.readable = False

    # -- the file ---------------------------------------------------------------------------

    def read(self, data: bytes) -> dict[str, Any] | None:
        if data.startswith(_OLE2):
            self.refuse(ProblemKind.OLD_WORKBOOK)
            return None
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                if "mimetype" in names and b"opendocument" in archive.read("mimetype")[:100]:
                    self.refuse(ProblemKind.OPENDOCUMENT)
                    return None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
            self.refuse(ProblemKind.NOT_A_WORKBOOK)
            return None
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            self.refuse(ProblemKind.NOT_A_WORKBOOK)
            return None
        excess = check_xlsx_limits(data)
        if excess is not None:
            self.refuse(
                ProblemKind.WORKBOOK_TOO_COMPLEX,
                measure=excess.measure.value,
                limit=excess.limit,
                part=excess.part,
            )
            return None
        from openpyxl import load_workbook

        # openpyxl raises many kinds of errors on a damaged file, some only as rows are read.
        try:
            workbook = load_workbook(
                io.BytesIO(data), read_only=True, data_only=False, keep_links=False
            )
        except Exception:
            self.refuse(ProblemKind.WORKBOOK_UNREADABLE)
            return None
        try:
            return self.read_sheets(workbook)
        except Exception:
            self.problems.clear()
            self.refuse(ProblemKind.WORKBOOK_UNREADABLE)
            return None
        finally:
            workbook.close()

    def read_sheets(self, workbook: Any) -> dict[str, Any]:
        sheets: dict[str, Any] = {}
        for title in workbook.sheetnames:
            if title.strip() in _SHEETS and title.strip() not in sheets:
                sheets[title.strip()] = workbook[title]
            else:
                self.add(
                    ProblemKind.UNKNOWN_SHEET, (title, None, None), sheet=title, expected=[*_SHEETS]
                )
        data: dict[str, Any] = {}
        for name, columns, read in (
            (RECOMMENDATIONS_SHEET, RECOMMENDATION_COLUMNS, self.recommendations),
            (SCALE_SHEET, SCALE_COLUMNS, self.scale),
            (SURVEY_SHEET, SURVEY_COLUMNS, self.survey),
        ):
            if name not in sheets:
                self.add(ProblemKind.MISSING_SHEET, (name, None, None), sheet=name)
                self.readable = False
                continue
            rows = self.rows(name, sheets[name], columns)
            if rows is not None:
                read(rows, data)
        return data

    def rows(
        self, sheet: str, ws: Any, columns: tuple[str, ...]
    ) -> list[tuple[int, dict[str, Any]]] | None:
        """The sheet's rows under its header, as {key: value} with the cells' problems
        recorded; None if the header is not usable."""
        from openpyxl.utils import get_column_letter

        header: dict[int, str] = {}  # column index (1-based) -> key
        rows: list[tuple[int, dict[str, Any]]] = []
        usable = True
        for row_number, row in enumerate(ws.iter_rows(), start=1):
            if row_number == 1:
                seen: set[str] = set()
                for index, cell in enumerate(row, start=1):
                    if cell.value is None:
                        continue
                    key = str(cell.value).strip().lower()
                    where = (sheet, 1, get_column_letter(index))
                    if key not in columns:
                        self.add(
                            ProblemKind.UNKNOWN_COLUMN,
                            where,
                            column=str(cell.value),
                            expected=[*columns],
                        )
                    elif key in seen:
                        self.add(ProblemKind.DUPLICATE_COLUMN, where, column=key)
                        usable = False
                    else:
                        seen.add(key)
                        header[index] = key
                        self.letters[(sheet, key)] = get_column_letter(index)
                for key in columns:
                    if key not in seen:
                        self.add(ProblemKind.MISSING_COLUMN, (sheet, None, None), column=key)
                        if key in ("number", "code", "key"):
                            usable = False
                continue
            values: dict[str, Any] = {}
            for index, cell in enumerate(row, start=1):
                if index not in header or cell.value is None:
                    continue
                where = (sheet, row_number, get_column_letter(index))
                if cell.data_type == "f":
                    self.add(ProblemKind.FORMULA, where, formula=_short(str(cell.value)))
                    values[header[index]] = _Reported(where)
                elif cell.data_type == "e":
                    self.add(ProblemKind.ERROR_VALUE, where, value=str(cell.value))
                    values[header[index]] = _Reported(where)
                else:
                    values[header[index]] = (cell.value, where)
            if values:
                rows.append((row_number, values))
        return rows if usable else None

    def value(self, cell: Any, path: _DataPath) -> Any:
        """A cell's value where the data has it; a reported cell leaves the value out."""
        if isinstance(cell, _Reported):
            self.cells[path] = cell.where
            self.reported.add(path)
            return _MISSING
        value, where = cell
        self.cells[path] = where
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    def texts(
        self, values: Mapping[str, Any], prefix: str, path: _DataPath, at: tuple[str, int]
    ) -> dict[str, Any]:
        texts: dict[str, Any] = {}
        for lang in LANGUAGES:
            key = f"{prefix}_{lang}" if prefix else lang
            if (at[0], key) in self.letters:  # an empty cell is where a text is missing
                self.cells[(*path, lang)] = (*at, self.letters[(at[0], key)])
            else:
                self.reported.add((*path, lang))  # its column is missing: said once
            if key in values:
                value = self.value(values[key], (*path, lang))
                if value is not _MISSING:
                    texts[lang] = value if isinstance(value, str) else _text(value)
        return texts

    def recommendations(self, rows: list[tuple[int, dict[str, Any]]], data: dict[str, Any]) -> None:
        items = []
        for index, (row, values) in enumerate(rows):
            path: _DataPath = ("recommendations", index)
            self.cells[path] = (RECOMMENDATIONS_SHEET, row, None)
            item: dict[str, Any] = {}
            if "number" in values:
                number = _whole(self.value(values["number"], (*path, "number")))
                if number is not _MISSING:
                    item["number"] = number
            at = (RECOMMENDATIONS_SHEET, row)
            item["title"] = self.texts(values, "title", (*path, "title"), at)
            item["statement"] = self.texts(values, "statement", (*path, "statement"), at)
            items.append(item)
        self.cells[("recommendations",)] = (RECOMMENDATIONS_SHEET, None, None)
        data["recommendations"] = items

    def scale(self, rows: list[tuple[int, dict[str, Any]]], data: dict[str, Any]) -> None:
        levels = []
        for index, (row, values) in enumerate(rows):
            path: _DataPath = ("scale", index)
            self.cells[path] = (SCALE_SHEET, row, None)
            level: dict[str, Any] = {"score": None}  # an empty score: left out of the score
            if "code" in values:
                code = self.value(values["code"], (*path, "code"))
                if code is not _MISSING:
                    level["code"] = code.strip() if isinstance(code, str) else code
            if "score" in values:
                score = _whole(self.value(values["score"], (*path, "score")))
                level["score"] = None if score is _MISSING else score
            level["label"] = self.texts(values, "label", (*path, "label"), (SCALE_SHEET, row))
            levels.append(level)
        self.cells[("scale",)] = (SCALE_SHEET, None, None)
        data["scale"] = levels

    def survey(self, rows: list[tuple[int, dict[str, Any]]], data: dict[str, Any]) -> None:
        first_row: dict[str, int] = {}
        for row, values in rows:
            raw = values.get("key")
            key = raw[0] if isinstance(raw, tuple) else None
            key = str(key).strip().lower() if key is not None else None
            where = (SURVEY_SHEET, row, "A")
            if key not in SURVEY_KEYS:
                self.add(
                    ProblemKind.UNKNOWN_KEY,
                    where,
                    key=str(raw[0] if isinstance(raw, tuple) else ""),
                    expected=[*SURVEY_KEYS],
                )
                continue
            if key in first_row:
                self.add(ProblemKind.DUPLICATE_ROW, where, key=key, first_row=first_row[key])
                continue
            first_row[key] = row
            if key in _TEXTS:
                self.cells[(_TEXTS[key],)] = (SURVEY_SHEET, row, None)
                data[_TEXTS[key]] = self.texts(values, "", (_TEXTS[key],), (SURVEY_SHEET, row))
                continue
            field = _SINGLE[key]
            self.cells[(field,)] = (SURVEY_SHEET, row, "B")
            for lang in LANGUAGES[1:]:
                if lang in values and not isinstance(values[lang], _Reported):
                    self.add(ProblemKind.UNUSED_CELL, values[lang][1], key=key)
            if LANGUAGES[0] in values:
                value = self.value(values[LANGUAGES[0]], (field,))
                if value is not _MISSING:
                    data[field] = value.strip() if isinstance(value, str) else value
            elif field == "source_url":
                data[field] = None
        self.cells[()] = (SURVEY_SHEET, None, None)

    # -- the rules' problems, placed ----------------------------------------------------------

    def placed(self, problems: Iterable[QuestionnaireProblem]) -> list[QuestionnaireProblem]:
        placed = []
        for problem in problems:
            if problem.path in self.reported:
                continue
            where = self.where(problem)
            details = dict(problem.details)
            if "first_item" in details and len(problem.path) >= 2:
                # A person finds the other one by its row, not by its place in the list.
                first = self.cells.get((problem.path[0], int(details["first_item"]) - 1))
                if first is not None:
                    details["first_row"] = first[1]
            placed.append(
                replace(problem, details=details, sheet=where[0], row=where[1], column=where[2])
            )
        return placed

    def where(self, problem: QuestionnaireProblem) -> _Cell:
        path = problem.path
        if problem.kind is ProblemKind.MISSING_KEY and path == ():
            key = problem.details.get("key")
            if key in ("scale", "recommendations"):
                return (SCALE_SHEET if key == "scale" else RECOMMENDATIONS_SHEET, None, None)
        for end in range(len(path), -1, -1):
            if path[:end] in self.cells:
                return self.cells[path[:end]]
        return (SURVEY_SHEET, None, None)

    def sorted(self, problems: list[QuestionnaireProblem]) -> list[QuestionnaireProblem]:
        """In the order a person reads the workbook: sheet by sheet, row by row."""
        order = {name: index for index, name in enumerate(_SHEETS)}

        def key(problem: QuestionnaireProblem) -> tuple[int, int, int, str]:
            column = problem.column or ""
            return (
                order.get(problem.sheet or "", len(order)),
                problem.row or 0,
                len(column),
                column,
            )

        return sorted(problems, key=key)


class _Reported:
    """A cell whose problem is already recorded (a formula, an error value)."""

    __slots__ = ("where",)

    def __init__(self, where: _Cell) -> None:
        self.where = where


_MISSING: Any = object()


def _whole(value: Any) -> Any:
    """A number typed as text ("7") is the number; anything else as it is, for the rules."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _text(value: object) -> object:
    """A number in a text cell (a title "2030") is its text; a date or other value is left for
    the rules to refuse."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return str(value)
    return value


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"
