"""The files the Secretariat takes away (``/export`` in the chat, ``python -m bot results
--format csv|xlsx|docx``): one place that names them and makes each from the same data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from survey.model import ExportRow, OfficeStatus
from survey.questionnaire import Questionnaire
from survey.results import Digest
from survey.setup import InForce

__all__ = ["FORMATS", "ResultsData", "ResultsFile", "results_file"]

FORMATS: tuple[str, ...] = ("csv", "xlsx", "docx")
_STEMS = {"csv": "answers", "xlsx": "results", "docx": "collated-results"}


@dataclass(frozen=True, slots=True)
class ResultsData:
    """What every results file is made from, read once."""

    digest: Digest
    rows: Sequence[ExportRow]
    offices: Sequence[OfficeStatus]
    questionnaire: Questionnaire
    # The version in force the data was read under (None: not said, e.g. a sample).
    in_force: InForce | None = None


@dataclass(frozen=True, slots=True)
class ResultsFile:
    name: str
    data: bytes


def file_name(kind: str, moment: datetime, lang: str) -> str:
    """``cws-ict-survey-answers-2026-11-25-fr.csv``: sortable, and says the language."""
    return f"cws-ict-survey-{_STEMS[kind]}-{moment:%Y-%m-%d}-{lang}.{kind}"


def results_file(kind: str, data: ResultsData, lang: str) -> ResultsFile:
    """One file; slow for the larger ones (seconds for an XLSX or a DOCX of 10,000 Offices):
    call it off the event loop. Heavy libraries are imported only here, when first needed."""
    questionnaire = data.questionnaire
    if kind == "csv":
        from reports.csv_export import answers_csv_file

        payload = answers_csv_file(data.rows, questionnaire, lang, in_force=data.in_force)
    elif kind == "xlsx":
        from reports.xlsx import results_xlsx

        payload = results_xlsx(
            data.digest,
            data.rows,
            questionnaire,
            lang,
            offices=data.offices,
            in_force=data.in_force,
        )
    elif kind == "docx":
        from reports.collated import collated_docx

        payload = collated_docx(data.digest, data.rows, questionnaire, lang, in_force=data.in_force)
    else:
        raise ValueError(f"unknown results format {kind!r}")
    return ResultsFile(file_name(kind, data.digest.generated_at, lang), payload)
