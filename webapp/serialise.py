"""The survey's views as the API's JSON (the shapes the pages read; see webapp/server.py).
Texts are rendered in the active i18n locale: call within one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from dialogs.language import NATIVE_NAMES
from dialogs.markup import plain, render
from dialogs.messages import when
from dialogs.review import receipt_fields
from reports.labels import long_date
from reports.numbers import format_number
from survey import rules
from survey.answering import answer_stamp
from survey.model import AnswerRecord, Receipt
from survey.questionnaire import LANGUAGES, Questionnaire
from survey.views import Progress


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def languages() -> list[dict[str, str]]:
    return [{"code": code, "name": NATIVE_NAMES[code]} for code in LANGUAGES]


def deadline_json(at: datetime | None, now: datetime) -> dict[str, Any]:
    return {"at": iso(at), "text": when(at), "closed": not rules.is_open(at, now)}


def progress_json(progress: Progress, lang: str) -> dict[str, Any]:
    text = ngettext(
        "{answered} of {total} Recommendation answered",
        "{answered} of {total} Recommendations answered",
        progress.total,
    ).format(
        answered=format_number(progress.answered, lang), total=format_number(progress.total, lang)
    )
    return {"answered": progress.answered, "total": progress.total, "text": text}


def answer_json(
    number: int,
    answer: AnswerRecord | None,
    wording_updated: Mapping[int, datetime],
    lang: str,
) -> dict[str, Any]:
    updated = wording_updated.get(number)
    return {
        "number": number,
        "level": answer.level if answer is not None else None,
        "comment": answer.comment if answer is not None else None,
        "changed_by": answer.changed_by_name if answer is not None else None,
        "changed_at": iso(answer.changed_at) if answer is not None else None,
        "stamp": answer_stamp(answer),
        "wording_updated": long_date(updated, lang) if updated is not None else None,
    }


def scale_json(questionnaire: Questionnaire, lang: str) -> list[dict[str, Any]]:
    return [{"code": level.code, "label": level.label(lang)} for level in questionnaire.scale]


def questionnaire_json(
    questionnaire: Questionnaire, version: int, wording_updated: Mapping[int, datetime], lang: str
) -> dict[str, Any]:
    return {
        "version": version,
        "title": questionnaire.title(lang) or _("CWS ICT Strategy survey"),
        "scale": scale_json(questionnaire, lang),
        "recommendations": [
            {
                "number": item.number,
                "title": item.title(lang),
                "statement": item.statement(lang),
                "wording_updated": (
                    long_date(wording_updated[item.number], lang)
                    if item.number in wording_updated
                    else None
                ),
            }
            for item in questionnaire.recommendations
        ],
    }


def receipt_json(
    receipt: Receipt | None,
    questionnaire: Questionnaire,
    i18n: I18n,
    office: str,
    contact: str,
) -> dict[str, Any] | None:
    if receipt is None:
        return None
    fields = receipt_fields(receipt, questionnaire, i18n)
    # The chat's receipt, word for word (the same catalog entries), as plain text.
    # Through the one escaping path, so that a name or an Office with "<" or "&" is shown
    # as it is once the markup is taken off.
    heading = render(_("🧾 <b>Receipt: {office}</b>"), office=office)
    body = render(
        _(
            "Submitted on {time} by {name}.\nReference: <code>{reference}</code>\n"
            "{counts}\nComments: {comments}\n\n"
            "The answers are locked. To change them, please contact the Secretariat: {contact}"
        ),
        fields,
        contact=contact,
    )
    return {
        "reference": receipt.reference,
        "submitted_at": iso(receipt.submitted_at),
        "submitted_at_text": when(receipt.submitted_at),
        "submitted_by": receipt.submitted_by,
        "text": plain(f"{heading}\n{body}"),
    }
