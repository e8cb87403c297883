"""Translated sentences the bot says outside window layouts: refusals, hints, notices."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.i18n.context import get_i18n
from babel.dates import format_date, format_time

from dialogs.markup import Markup, render
from reports.numbers import format_number
from survey.errors import Reason, Refused


def language() -> str:
    """The language of this update (or of the `use_locale` block around the call)."""
    return get_i18n().current_locale


def when(moment: datetime | None) -> str:
    """A date and time in the current language, always in UTC so nobody has to guess."""
    if moment is None:
        return ""
    moment = moment.astimezone(UTC)
    lang = language()
    day = format_date(moment, "long", locale=lang)
    return f"{day}, {format_time(moment, 'HH:mm', tzinfo=UTC, locale=lang)} UTC"


def refusal_text(refusal: Refused) -> str:
    details = refusal.details
    reason = refusal.reason
    if reason is Reason.UNKNOWN_CODE:
        return _(
            "This code is not valid. Check that you copied it completely, or ask the "
            "Secretariat for a new one."
        )
    if reason is Reason.CODE_EXPIRED:
        return _("This code has expired. Please ask the Secretariat for a new one.")
    if reason is Reason.CODE_REVOKED:
        return _("This code has been withdrawn. Please ask the Secretariat for a new one.")
    if reason is Reason.CODE_USED_UP:
        return _(
            "This code has already been used as many times as allowed. Please ask the "
            "Secretariat for a new one."
        )
    if reason is Reason.TOO_MANY_ATTEMPTS:
        return render(
            _("Too many wrong codes. Please wait until {time} and try again."),
            time=when(details.get("retry_at")),
        )
    if reason is Reason.OTHER_OFFICE:
        office = details.get("office")
        name = office.name(language()) if office is not None else ""
        return render(
            _(
                "You already answer for {office}. To represent another Office, please contact "
                "the Secretariat."
            ),
            office=name,
        )
    if reason is Reason.NOT_VERIFIED:
        return _("Please send the invitation code you received from the Secretariat first.")
    if reason is Reason.DEADLINE_PASSED:
        return render(
            _("The survey closed on {deadline}. Answers can no longer be changed."),
            deadline=when(details.get("deadline")),
        )
    if reason is Reason.ALREADY_SUBMITTED:
        return render(
            _(
                "Your Office's answers were already submitted by {name} on {time}; they can no "
                "longer be changed."
            ),
            name=details.get("submitted_by") or "?",
            time=when(details.get("submitted_at")),
        )
    if reason is Reason.COMMENT_TOO_LONG:
        length = int(details.get("length") or 0)
        return render(
            ngettext(
                "Your comment has {length} character; the limit is {limit}. Please shorten it "
                "and send it again. Nothing has been lost.",
                "Your comment has {length} characters; the limit is {limit}. Please shorten it "
                "and send it again. Nothing has been lost.",
                length,
            ),
            length=format_number(length, language()),
            limit=format_number(int(details.get("limit") or 0), language()),
        )
    if reason is Reason.INCOMPLETE:
        missing = ", ".join(f"R{number:02d}" for number in details.get("missing", ()))
        return render(_("Some Recommendations are not answered yet: {missing}."), missing=missing)
    if reason is Reason.ANSWERS_CHANGED:
        changed = ", ".join(f"R{number:02d}" for number in details.get("numbers", ()))
        return render(
            _(
                "Nothing was applied: the answers changed since the workbook's changes were "
                "shown ({numbers}). Please send the workbook again to see what it changes now."
            ),
            numbers=changed,
        )
    if reason is Reason.REPRESENTATIVE_REMOVED:
        office = details.get("office")
        return render(
            _(
                "The Secretariat has withdrawn your access to the survey for {office}. If you "
                "think this is a mistake, please contact the Secretariat."
            ),
            office=office.name(language()) if office is not None else "",
        )
    if reason is Reason.NOT_SECRETARIAT:
        return _("This command is reserved for the Secretariat.")
    return secretariat_refusal_text(refusal)


def secretariat_refusal_text(refusal: Refused) -> str:
    """The refusals only the Secretariat meets."""
    details = refusal.details
    reason = refusal.reason
    office = details.get("office")
    office_name = office.name(language()) if office is not None else ""
    if reason is Reason.UNKNOWN_OFFICE:
        return render(
            _("There is no Office with the code {code}. Use its ST.3 code, for example EP."),
            code=details.get("code") or "",
        )
    if reason is Reason.NOT_SUBMITTED:
        return render(
            _("The answers of {office} are not submitted: there is nothing to reopen."),
            office=office_name,
        )
    if reason is Reason.BAD_INVITATION_TERMS:
        return _("An invitation needs at least one use, and an expiry in the future.")
    if reason is Reason.UNKNOWN_REPRESENTATIVE:
        return render(_("This person is not a representative of {office}."), office=office_name)
    if reason is Reason.ALREADY_REMOVED:
        return render(
            _("This person was already removed on {time}."), time=when(details.get("removed_at"))
        )
    if reason is Reason.UNKNOWN_INVITATION:
        return _("This invitation does not exist.")
    if reason is Reason.DEADLINE_NOT_FUTURE:
        return _("The closing time must be in the future.")
    if reason is Reason.DEADLINE_TOO_FAR:
        return render(
            _("That is too far ahead: the closing time must be before {time}."),
            time=when(details.get("latest")),
        )
    if reason is Reason.PURGE_BEFORE_DEADLINE:
        # The deadline was moved while the confirmation was on screen.
        return _(
            "Nothing was purged: the survey is open again. Send /purge to see where it stands."
        )
    if reason in _QUESTIONNAIRE_REASONS:
        # Worded beside the Secretariat's questionnaire windows, which show these changes.
        from dialogs.secretariat.questionnaire_preview import refused_text

        text = refused_text(refusal)
        if text is not None:
            return text
    return _("This action is not possible right now.")


_QUESTIONNAIRE_REASONS = frozenset(
    {
        Reason.QUESTIONNAIRE_CHANGED_SINCE,
        Reason.QUESTIONNAIRE_IDENTICAL,
        Reason.QUESTIONNAIRE_STRUCTURE_LOCKED,
    }
)


def help_text(contact: str) -> Markup:
    template = _(
        "<b>How the survey works</b>\n"
        "1. Open the invitation link from the Secretariat, or send /start and then your code.\n"
        "2. Rate the 40 Recommendations one at a time. Each answer is saved at once; you can "
        "add a comment to any of them.\n"
        "3. Stop whenever you like: /continue takes you back to the first unanswered one.\n"
        "4. /review lists all 40; change any answer from there.\n"
        "5. Submit once for your whole Office. After that, the answers are locked and every "
        "representative of your Office sees the receipt.\n\n"
        "/language changes the language. Questions: {contact}"
    )
    return render(template, contact=contact)


def reminder_text(office: str, deadline: datetime | None) -> str:
    """The reminder a representative of an Office that has not submitted gets, in the current
    language (the caller sets the person's)."""
    text = render(
        _(
            "⏰ A reminder from the CWS Secretariat: the answers of {office} to the survey on "
            "the ICT Strategy Recommendations are not submitted yet."
        ),
        office=office,
    )
    if deadline is not None:
        text += " " + render(_("The survey closes on {deadline}."), deadline=when(deadline))
    return text + " " + _("Send /continue to go on where you left off.")


def button_hint() -> str:
    return _("Please use the buttons under the message. Send /help if you are stuck.")


def group_refusal() -> str:
    return _("This survey is answered in a private chat with the bot only.")


def not_a_code() -> str:
    return _(
        "This does not look like an invitation code. The code is one word of about 24 "
        "letters, digits, dashes and underscores; please paste it exactly as you received it, "
        "or open the invitation link."
    )


def unavailable() -> str:
    return _(
        "The survey is temporarily unavailable. Everything you saved is safe; please try "
        "again in a few minutes."
    )


def update_held() -> str:
    return _(
        "The survey is briefly unavailable. What you just did is kept and will be applied "
        "as soon as it is back; you need not repeat it."
    )


def update_not_taken() -> str:
    return _(
        "The survey is still unavailable, so what you did last was not taken. Everything "
        "saved before is safe: please repeat it in a few minutes (or send /continue)."
    )


def update_not_processed(contact: str) -> str:
    return render(
        _(
            "Sorry, your last message could not be processed. Please try again differently, "
            "or write to {contact}."
        ),
        contact=contact,
    )


def place_restored() -> str:
    return _("Your place in the survey was restored. Here is where you are now.")


def stale_button() -> str:
    return _("This button belongs to an older message. Here is where you are now.")


def unexpected_error() -> str:
    return _(
        "Sorry, something went wrong on our side. Everything you saved is safe; please try "
        "again, or send /continue."
    )
