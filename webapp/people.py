"""Who calls the API and in which language: the signed launcher (webapp/auth.py), then a
verified, active representative (for their Office's page) or a Secretariat member (for the
dashboard). Sets the request's i18n locale, so that everything after speaks it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.exc import DBAPIError

from bot.i18n import supported_language
from survey.errors import Reason, Refused
from survey.questionnaire import DEFAULT_LANGUAGE, LANGUAGES
from survey.views import Whereabouts
from webapp.auth import INIT_DATA_HEADER, Launcher, authenticate
from webapp.context import WebAppContext
from webapp.refusals import forbidden

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Person:
    launcher: Launcher
    lang: str

    @property
    def user_id(self) -> int:
        return self.launcher.user_id


@dataclass(frozen=True, slots=True)
class Representative(Person):
    whereabouts: Whereabouts


def _requested(request: web.Request) -> str | None:
    lang = request.query.get("lang")
    return lang if lang in LANGUAGES else None


def _accepted(request: web.Request) -> str:
    """Before anyone is known (a refused launch): the browser's language, else English."""
    for part in request.headers.get("Accept-Language", "").split(","):
        found = supported_language(part.split(";", 1)[0].strip())
        if found is not None:
            return found
    return DEFAULT_LANGUAGE


async def launcher(request: web.Request, context: WebAppContext, *, display: bool) -> Person:
    """The signed launcher and their language: `?lang=` (for display only, when `display`),
    else their chosen one, else their Telegram client's, else English."""
    i18n = context.i18n
    i18n.current_locale = _requested(request) or _accepted(request)
    who = authenticate(context.token, request.headers.get(INIT_DATA_HEADER), context.clock)
    await _refresh_questionnaire(context)  # once signed: nobody else makes us read
    lang = (_requested(request) if display else None) or (
        await context.enrolment.language(who.user_id)
        or supported_language(who.language_code)
        or DEFAULT_LANGUAGE
    )
    i18n.current_locale = lang
    return Person(who, lang)


async def _refresh_questionnaire(context: WebAppContext) -> None:
    """As bot/questionnaire_refresh.py before each update: a version put in force on any
    replica shows at the next request."""
    if context.questionnaires is None:
        return
    try:
        await context.questionnaires.refresh()
    except (DBAPIError, OSError):
        # The request meets the outage where it needs the database, and says so.
        log.debug("The questionnaire in force could not be read again", exc_info=True)


async def representative(
    request: web.Request, context: WebAppContext, *, display: bool = False
) -> Representative:
    """A verified, active representative, or refused (403 not_representative / removed)."""
    person = await launcher(request, context, display=display)
    found = await context.enrolment.whereabouts(person.user_id)  # Refused when removed
    if found is None:
        raise Refused(Reason.NOT_VERIFIED)
    return Representative(person.launcher, person.lang, found)


async def secretariat_member(
    request: web.Request, context: WebAppContext, *, display: bool = False
) -> Person:
    """A Secretariat member (ADMIN_IDS), or refused (403 forbidden)."""
    person = await launcher(request, context, display=display)
    if not context.secretariat.is_member(person.user_id):
        raise forbidden()
    return person
