"""The representative's API, under /app/api/ (every request signed, webapp/auth.py; every
answer about the caller's own Office only, through the same use cases as the chat):

- GET  me        the page's whole state: Office, deadline, progress, notice, questionnaire,
                 answers (each with its `stamp`), receipt; `?lang=xx` for display only.
- POST answer    {"number", "level" | "comment", "expected": stamp or null} → {"answer",
                 "progress"}; 409 `changed` with "current" when the stored answer is no
                 longer the one the page showed (nothing written).
- POST confirm   {"number"} → {"answer", "progress"}: "my answer stands" after a wording update.
- POST notice    {"version"} → {"notice"}: the personal-data notice acknowledged.
- POST language  {"lang"} → {"lang"}: stored as the person's language, for the chat too
                 (a representative's, or a Secretariat member's for the dashboard).
- POST submit    {} → {"receipt", "progress"}: the chat's exactly-once submission, with the
                 same notices to the colleagues and the Secretariat.
"""

from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import gettext as _
from aiohttp import web

from dialogs.markup import plain
from dialogs.privacy import notice_markup, notice_version
from dialogs.review import submission_notices
from dialogs.web_app import show_page_in_menu
from survey.errors import Reason, Refused
from survey.questionnaire import LANGUAGES
from survey.rules import MAX_COMMENT_LENGTH
from webapp.context import WebAppContext
from webapp.endpoint import body_of, endpoint, whole_number
from webapp.errors import ApiError
from webapp.people import Person, Representative, launcher, representative
from webapp.refusals import bad_request, notice_required, refusal_error
from webapp.serialise import (
    answer_json,
    deadline_json,
    languages,
    progress_json,
    questionnaire_json,
    receipt_json,
)
from webapp.texts import page_texts


async def _notice_due(context: WebAppContext, user_id: int) -> bool:
    """The chat's rule (dialogs/privacy.py): due until the notice in force is acknowledged."""
    version = notice_version(context.privacy_notice)
    held = await context.privacy.acknowledgements(user_id)
    return all(one.version != version for one in held)


def _notice_json(context: WebAppContext, lang: str, *, required: bool) -> dict[str, Any]:
    text = plain(str(notice_markup(context.privacy_notice, context.settings, lang)))
    return {
        "required": required,
        "version": notice_version(context.privacy_notice),
        "paragraphs": [line.strip() for line in text.split("\n") if line.strip()],
        "url": context.settings.privacy_url,
    }


async def _writer(request: web.Request, context: WebAppContext) -> Representative:
    """A representative about to write: the notice comes before the first answer."""
    person = await representative(request, context)
    if await _notice_due(context, person.user_id):
        raise notice_required()
    return person


@endpoint
async def me(request: web.Request, context: WebAppContext) -> dict[str, Any]:
    person = await representative(request, context, display=True)
    lang = person.lang
    membership = person.whereabouts.membership
    office = membership.office
    progress = person.whereabouts.progress
    stored = await context.answering.office_answers(person.user_id)
    questionnaire = context.answering.questionnaire
    now = context.secretariat.now()
    return {
        "lang": lang,
        "languages": languages(),
        "texts": page_texts(context.i18n, lang),
        "office": {"code": office.code, "name": office.name(lang)},
        "person": {"name": membership.representative.full_name},
        "deadline": deadline_json(progress.deadline, now),
        "progress": progress_json(progress, lang),
        "read_only": progress.read_only,
        "submitted": progress.submitted,
        "receipt": receipt_json(
            stored.receipt,
            questionnaire,
            context.i18n,
            office.name(lang),
            context.settings.contact_email,
        ),
        "notice": _notice_json(context, lang, required=await _notice_due(context, person.user_id)),
        "questionnaire": questionnaire_json(
            questionnaire, context.answering.version, progress.wording_updated, lang
        ),
        "answers": {
            str(number): answer_json(
                number, stored.answers.get(number), progress.wording_updated, lang
            )
            for number in questionnaire.numbers
        },
        "comment_limit": MAX_COMMENT_LENGTH,
    }


@endpoint
async def answer(request: web.Request, context: WebAppContext) -> dict[str, Any]:
    body = await body_of(request)
    number = whole_number(body.get("number"))
    level, comment, expected = body.get("level"), body.get("comment"), body.get("expected")
    if (
        number is None
        or (level is None and comment is None)
        or not isinstance(level, str | None)
        or not isinstance(comment, str | None)
        or not isinstance(expected, str | None)
    ):
        raise bad_request()
    person = await _writer(request, context)
    try:
        changed = await context.answering.change_answer(
            person.user_id, number, expected=expected, level=level, comment=comment
        )
    except Refused as refusal:
        if refusal.reason is not Reason.ANSWERS_CHANGED:
            raise
        error = refusal_error(refusal)
        current = refusal.details.get("current")
        marks = person.whereabouts.progress.wording_updated
        error.extra["current"] = answer_json(number, current, marks, person.lang)
        raise error from None
    if level is not None:
        context.events.answer_stored("level")
    if comment is not None:
        context.events.answer_stored("comment")
    progress = changed.progress
    return {
        "answer": answer_json(number, changed.answer, progress.wording_updated, person.lang),
        "progress": progress_json(progress, person.lang),
    }


@endpoint
async def confirm(request: web.Request, context: WebAppContext) -> dict[str, Any]:
    number = whole_number((await body_of(request)).get("number"))
    if number is None:
        raise bad_request()
    person = await _writer(request, context)
    progress = await context.answering.confirm_answer(person.user_id, number)
    stored = await context.answering.office_answers(person.user_id)
    return {
        "answer": answer_json(
            number, stored.answers.get(number), progress.wording_updated, person.lang
        ),
        "progress": progress_json(progress, person.lang),
    }


@endpoint
async def notice(request: web.Request, context: WebAppContext) -> dict[str, Any]:
    version = (await body_of(request)).get("version")
    if not isinstance(version, str):
        raise bad_request()
    person = await representative(request, context)
    if version != notice_version(context.privacy_notice):
        # The page showed an older text than the one in force: it is to be read first.
        raise ApiError(
            409,
            "notice_changed",
            _("The notice about your personal data has changed: please read it again."),
            {"notice": _notice_json(context, person.lang, required=True)},
        )
    # As in the chat: a second acknowledgement of the same version records nothing more.
    if await _notice_due(context, person.user_id):
        await context.privacy.acknowledge(person.user_id, version)
    return {"notice": _notice_json(context, person.lang, required=False)}


@endpoint
async def language(request: web.Request, context: WebAppContext) -> dict[str, Any]:
    lang = (await body_of(request)).get("lang")
    if lang not in LANGUAGES:
        raise bad_request()
    # The Secretariat's dashboard switches its language too, for members who answer for no
    # Office.
    person: Person = await launcher(request, context, display=False)
    if not context.secretariat.is_member(person.user_id):
        person = await representative(request, context)
    await context.enrolment.set_language(person.user_id, lang)
    if context.locales is not None:  # the chat's next message speaks it too
        context.locales.remember(person.user_id, lang)
    if isinstance(person, Representative):  # and the chat's menu button, as in the chat
        show_page_in_menu(context.bot, person.user_id, context.settings, context.i18n, lang)
    return {"lang": lang}


@endpoint
async def submit(request: web.Request, context: WebAppContext) -> dict[str, Any]:
    await body_of(request)
    person = await _writer(request, context)
    i18n = context.i18n
    # The chat's submission, word for word (dialogs/review.py): the notices are recorded with
    # it, in one unit of work, and sent in the background.
    submission = await context.answering.submit(
        person.user_id, lambda submitted: submission_notices(submitted, i18n)
    )
    context.events.submitted()
    if submission.broadcast is not None:
        context.notifier.start(context.bot, submission.broadcast)
    progress = await context.answering.progress(person.user_id)
    office = submission.office
    return {
        "receipt": receipt_json(
            submission.response.receipt,
            context.answering.questionnaire,
            i18n,
            office.name(person.lang),
            context.settings.contact_email,
        ),
        "progress": progress_json(progress, person.lang),
        "read_only": True,
        "submitted": True,
    }


def add_routes(api: web.UrlDispatcher) -> None:
    api.add_get("/api/me", me)
    api.add_post("/api/answer", answer)
    api.add_post("/api/confirm", confirm)
    api.add_post("/api/notice", notice)
    api.add_post("/api/language", language)
    api.add_post("/api/submit", submit)
