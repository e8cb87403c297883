"""The page's words, from the same gettext catalogs as the chat: the JavaScript gets them as
one JSON object per language, so that no text lives in the static files."""

from __future__ import annotations

from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _


def _representative_texts() -> dict[str, str]:
    return {
        "page_title": _("Your Office's answers"),
        "office": _("Office"),
        "deadline": _("Deadline"),
        "no_deadline": _("No deadline set"),
        "closed": _("The survey is closed."),
        "progress": _("Progress"),
        "language": _("Language"),
        "notice_title": _("Your personal data"),
        "notice_ok": _("I understand, continue"),
        "notice_more": _("Read the full notice"),
        "filter_unanswered": _("Unanswered only"),
        "recommendation": _("Recommendation {number}"),
        "statement": _("Read the statement"),
        "level": _("Priority"),
        "comment": _("Comment (optional)"),
        "save_comment": _("Save the comment"),
        "characters": _("Characters: {count}/{limit}"),
        "saving": _("Saving…"),
        "saved": _("Saved"),
        "saved_number": _("Recommendation {number}: saved."),
        "not_saved": _("Not saved: {message}"),
        "changed": _(
            "This answer was changed elsewhere (in the chat or another page): the newer "
            "answer is shown. Check it and change it again if you wish."
        ),
        "changed_by": _("Last changed by {name}"),
        "wording_updated": _("The wording was updated on {date}."),
        "wording_confirm": _("My answer stands"),
        "wording_confirmed": _("Recommendation {number}: your answer is confirmed."),
        "unanswered": _("Not answered yet"),
        "answered": _("Answer given"),
        "all_answered": _("Every Recommendation is answered."),
        "review_title": _("Review and submit"),
        "review_missing": _("Still to answer: {numbers}"),
        "submit": _("Submit the Office's answers"),
        "submit_confirm": _(
            "Submit the answers of {office}? After this they are locked for everyone in "
            "your Office."
        ),
        "submitting": _("Submitting…"),
        "receipt_title": _("Receipt"),
        "read_only": _("The answers are read-only."),
        "error": _("Something went wrong: {message}"),
        "network_error": _("The server could not be reached. Please try again."),
        "none": _("none"),
    }


def _secretariat_texts() -> dict[str, str]:
    return {
        "dashboard_title": _("Secretariat's dashboard"),
        "funnel": _("Where the Offices are"),
        "stage": _("Stage"),
        "count": _("Offices"),
        "offices_caption": _("Every Office"),
        "office_code": _("Code"),
        "office_name": _("Office"),
        "answered_count": _("Answered"),
        "last_activity": _("Last activity"),
        "representatives": _("Representatives"),
        "filter_text": _("Find an Office"),
        "filter_stage": _("Stage"),
        "all_stages": _("All stages"),
        "shown": _("Offices shown: {shown}/{total}"),
        "sort_by": _("Sorted by {column}"),
        "ranking_caption": _("The Recommendations ranked"),
        "rank": _("Rank"),
        "number": _("Number"),
        "title": _("Recommendation"),
        "score": _("Score"),
        "chart": _("Chart of the scores"),
        "chart_desc": _(
            "A bar per Recommendation, its length the score; the table above has the figures."
        ),
        "exports": _("Exports"),
        "export_sent": _("Export requested: {text}"),
        "actions": _("Actions"),
        "remind": _("Send reminders"),
        "remind_confirm": _("Send the reminders now?"),
        "extend": _("Extend the deadline"),
        "new_deadline": _("New deadline (your local time)"),
        "extend_confirm": _("Set the deadline to {date}?"),
        "done": _("Done: {text}"),
        "cancelled": _("Cancelled."),
    }


def _texts() -> dict[str, str]:
    # Keys are the JavaScript's names; values are read in the active locale.
    return {"loading": _("Loading…"), **_representative_texts(), **_secretariat_texts()}


def page_texts(i18n: I18n, lang: str) -> dict[str, str]:
    """Every text the pages show, in `lang`."""
    with i18n.context(), i18n.use_locale(lang):
        return _texts()
