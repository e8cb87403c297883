"""The Secretariat's API (ADMIN_IDS only), under /app/api/secretariat/, through the same use
cases and deliveries as the chat's commands:

- GET  overview   {"lang", "languages", "texts", "deadline", "funnel", "response_rate",
                  "offices", "ranking", "scale", "counted", "score_rule", "chart": null,
                  "exports", "reminder"}; `?drafts=1` counts drafts in the ranking, `?lang=`
                  for display. The chart is the ranking's counts, for the page to draw as
                  text and bars (an image says nothing to a screen reader); its PNG is the
                  "chart" export.
- POST remind     {"confirm": true} → {"sent", "text"}: /remind's reminders, each in the
                  person's language, at Telegram's pace, the report in the member's chat.
- POST deadline   {"at": "2026-12-31T18:00+01:00" or "2026-12-31"} → {"deadline", "text"}:
                  /deadline's change, audited, in force at once.
- POST export     {"kind": "files"|"csv"|"xlsx"|"docx"|"chart", "drafts": bool} → 202
                  {"text"}: /export's job (the CSV, workbook and collated document together)
                  or the chart's; the files arrive in the member's chat.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiohttp import web

from dialogs.jobs import WINDOW
from dialogs.markup import plain, render
from dialogs.messages import when
from dialogs.secretariat.deadline import parse_closing_time
from dialogs.secretariat.offices import stage_labels
from dialogs.secretariat.reminders import reminders
from dialogs.secretariat.results import INCLUDE_DRAFTS, NAME
from reports.labels import counted_text, format_score, funnel_labels, score_rule
from reports.numbers import format_number, format_percentage
from survey import rules
from survey.broadcasts import BroadcastKind
from survey.jobs import JobKind
from survey.model import Actor
from survey.results import Digest
from survey.secretariat import OfficeOverview
from webapp.context import WebAppContext
from webapp.endpoint import body_of, endpoint
from webapp.errors import ApiError
from webapp.people import Person, secretariat_member
from webapp.refusals import bad_request
from webapp.serialise import deadline_json, iso, languages, scale_json
from webapp.texts import page_texts

FUNNEL_STAGES = ("listed", "invited", "verified", "started", "submitted")
EXPORT_KINDS = {
    "files": JobKind.EXPORT,
    "csv": JobKind.EXPORT,
    "xlsx": JobKind.EXPORT,
    "docx": JobKind.EXPORT,
    "chart": JobKind.CHART,
}


def _actor(person: Person) -> Actor:
    return Actor.telegram(person.user_id, person.launcher.full_name)


def _funnel(digest: Digest, lang: str) -> list[dict[str, Any]]:
    labels = funnel_labels(digest.funnel, lang)
    return [
        {"stage": stage, "label": label, "count": count}
        for stage, (label, count) in zip(FUNNEL_STAGES, labels, strict=True)
    ]


def _response_rate(digest: Digest, lang: str) -> dict[str, Any]:
    funnel = digest.funnel
    value = funnel.submitted / funnel.invited if funnel.invited else None
    rate = format_percentage(value, lang) if value is not None else "–"
    text = render(_("Response rate: {rate} of the invited Offices have submitted."), rate=rate)
    return {"value": value, "text": plain(str(text))}


def _office(
    overview: OfficeOverview, total: int, lang: str, stages: dict[str, str]
) -> dict[str, Any]:
    status = overview.status
    office = status.office
    return {
        "code": office.code,
        "name": office.name(lang),
        "stage": status.stage.value,
        "stage_label": stages[status.stage.value],
        "answered": status.answered,
        "total": total,
        "submitted_at": iso(status.submitted_at),
        "last_activity": iso(overview.last_activity),
        "last_activity_text": when(overview.last_activity),
        "representatives": [person.full_name for person in overview.representatives],
    }


def _ranking(digest: Digest, context: WebAppContext, lang: str) -> list[dict[str, Any]]:
    questionnaire = context.secretariat.questionnaire
    ranked = digest.ranking
    unranked = [item for item in digest.items if item.rank is None]
    return [
        {
            "rank": item.rank,
            "number": item.number,
            "title": questionnaire.recommendation(item.number).title(lang),
            "counts": dict(item.counts),
            "answered": item.answered,
            "score": item.score,
            "score_text": format_score(item.score, lang),
        }
        for item in [*ranked, *unranked]
    ]


@endpoint
async def overview(request: web.Request, context: WebAppContext) -> dict[str, Any]:
    person = await secretariat_member(request, context, display=True)
    lang = person.lang
    who = _actor(person)
    secretariat = context.secretariat
    drafts = request.query.get("drafts") in {"1", "true"}
    digest = await secretariat.digest(who, include_drafts=drafts)
    offices = await secretariat.office_overview(who)
    deadline = await secretariat.deadline(who)
    audience = await secretariat.reminder_audience(who)
    questionnaire = secretariat.questionnaire
    stages = dict(stage_labels())
    people = len(audience.recipients)
    reminder = render(
        _(
            "A reminder to send. Representatives: <b>{people}</b>; Offices that have not "
            "submitted: <b>{offices}</b>. Each gets it in their own language."
        ),
        people=format_number(people, lang),
        offices=format_number(audience.offices, lang),
    )
    return {
        "lang": lang,
        "languages": languages(),
        "texts": page_texts(context.i18n, lang),
        "deadline": deadline_json(deadline, secretariat.now()),
        "funnel": _funnel(digest, lang),
        "response_rate": _response_rate(digest, lang),
        "offices": [_office(o, len(questionnaire), lang, stages) for o in offices],
        "ranking": _ranking(digest, context, lang),
        "scale": scale_json(questionnaire, lang),
        "include_drafts": drafts,
        "counted": counted_text(digest, lang),
        "score_rule": score_rule(questionnaire, lang),
        "chart": None,
        "exports": [
            {"kind": "files", "label": _("CSV, workbook and collated document")},
            {"kind": "chart", "label": _("Chart (image)")},
        ],
        "reminder": {
            "people": people,
            "offices": audience.offices,
            "unverified": [office.code for office in audience.unverified],
            "text": plain(str(reminder))
            if people
            else _("Nobody to remind: every verified Office has submitted."),
        },
    }


@endpoint
async def remind(request: web.Request, context: WebAppContext) -> dict[str, Any]:
    if (await body_of(request)).get("confirm") is not True:
        raise bad_request()
    person = await secretariat_member(request, context)
    who = _actor(person)
    # /remind's sending, as dialogs/secretariat/reminders.py's on_send does it: recorded
    # before the answer says they are going out, the report to the member's chat.
    audience = await context.secretariat.reminder_audience(who)
    messages = reminders(audience, context.i18n)
    if not messages:
        return {"sent": 0, "text": _("Nobody to remind: every verified Office has submitted.")}
    await context.notifier.post(
        context.bot,
        BroadcastKind.REMIND,
        messages,
        actor=who,
        report_chat=person.user_id,
        report_language=person.lang,
    )
    count = len(messages)
    text = ngettext(
        "Sending {count} reminder at Telegram's pace. The report comes to your chat with the "
        "bot when it is out.",
        "Sending {count} reminders at Telegram's pace. The report comes to your chat with the "
        "bot when they are all out.",
        count,
    ).format(count=format_number(count, person.lang))
    return {"sent": count, "text": text}


@endpoint
async def deadline(request: web.Request, context: WebAppContext) -> dict[str, Any]:
    at = (await body_of(request)).get("at")
    person = await secretariat_member(request, context)
    moment = parse_closing_time(at) if isinstance(at, str) else None
    if moment is None:
        raise ApiError(
            400,
            "bad_deadline",
            _(
                "Please give a date such as 2026-12-31 (the end of that day) or "
                "2026-12-31 18:00, in UTC."
            ),
        )
    secretariat = context.secretariat
    # As /deadline: refused before anything is stored if it is not ahead (or past the calendar).
    rules.check_new_deadline(moment, secretariat.now())
    stored = await secretariat.set_deadline(moment.astimezone(UTC), _actor(person))
    return {
        "deadline": deadline_json(stored, secretariat.now()),
        "text": _("The closing time is now {time}.").format(time=when(stored)),
    }


@endpoint
async def export(request: web.Request, context: WebAppContext) -> web.StreamResponse:
    body = await body_of(request)
    named = body.get("kind")
    kind = EXPORT_KINDS.get(named) if isinstance(named, str) else None
    drafts = body.get("drafts", False)
    if kind is None or not isinstance(drafts, bool):
        raise bad_request()
    person = await secretariat_member(request, context)
    # The chat's /export (or its chart), as dialogs/secretariat/results.py posts it: a job
    # the job runner makes and sends to the member's chat; no window to show again after.
    await context.jobs.post(
        kind,
        user_id=person.user_id,
        chat_id=person.user_id,
        language=person.lang,
        parameters={INCLUDE_DRAFTS: drafts, NAME: person.launcher.full_name, WINDOW: None},
    )
    text = (
        _("The chart is on its way to your chat with the bot.")
        if kind is JobKind.CHART
        else _("The files are on their way to your chat with the bot.")
    )
    return web.json_response({"text": text}, status=202)


def add_routes(api: web.UrlDispatcher) -> None:
    api.add_get("/api/secretariat/overview", overview)
    api.add_post("/api/secretariat/remind", remind)
    api.add_post("/api/secretariat/deadline", deadline)
    api.add_post("/api/secretariat/export", export)
