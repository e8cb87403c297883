"""The survey's refusals (survey.errors.Refused) as API errors: the HTTP status and machine
code the page acts on, and the same translated words the chat says (dialogs/messages.py's
`refusal_text`), as plain text. Call within an i18n locale."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from dialogs.markup import plain
from dialogs.messages import refusal_text
from survey.errors import Reason, Refused
from webapp.errors import ApiError

_CODES: dict[Reason, tuple[int, str]] = {
    Reason.NOT_VERIFIED: (403, "not_representative"),
    Reason.REPRESENTATIVE_REMOVED: (403, "removed"),
    Reason.NOT_SECRETARIAT: (403, "forbidden"),
    Reason.DEADLINE_PASSED: (409, "closed"),
    Reason.ALREADY_SUBMITTED: (409, "submitted"),
    Reason.INCOMPLETE: (409, "incomplete"),
    Reason.ANSWERS_CHANGED: (409, "changed"),
    Reason.UNKNOWN_RECOMMENDATION: (400, "unknown_recommendation"),
    Reason.UNKNOWN_LEVEL: (400, "unknown_level"),
    Reason.COMMENT_TOO_LONG: (400, "comment_too_long"),
    Reason.DEADLINE_NOT_FUTURE: (400, "deadline_not_future"),
    Reason.DEADLINE_TOO_FAR: (400, "deadline_too_far"),
}


def refusal_error(refusal: Refused) -> ApiError:
    status, code = _CODES.get(refusal.reason, (400, "bad_request"))
    if refusal.reason is Reason.ANSWERS_CHANGED:
        # The chat's words are about a workbook; the page's case is one answer on screen.
        message = _(
            "This answer was changed meanwhile, in the chat or on another page. The newer "
            "answer is shown now: choose again if you want to change it."
        )
    else:
        message = plain(str(refusal_text(refusal)))
    return ApiError(status, code, message)


def bad_request() -> ApiError:
    return ApiError(400, "bad_request", _("The page sent something the survey cannot read."))


def notice_required() -> ApiError:
    return ApiError(
        409,
        "notice_required",
        _("Please read the notice about your personal data before your first answer."),
    )


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", _("This page is for the Secretariat only."))
