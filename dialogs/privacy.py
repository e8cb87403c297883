"""The privacy notice: shown once before a person's first answer ("I understand, continue"
records that they saw it, and which version), and again with /privacy at any time."""

from __future__ import annotations

import html
from typing import Any

from aiogram.types import CallbackQuery, User
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import Dialog, DialogManager
from aiogram_dialog.widgets.kbd import Button, Cancel, Url
from aiogram_dialog.widgets.text import Format

from bot.config import Settings
from bot.privacy_notice import NoticeText, catalog_version
from dialogs.markup import Markup, render
from dialogs.screen import screen
from dialogs.states import Notice
from dialogs.widgets import Html, T
from reports.i18n import N_
from survey.enrolment import Enrolment
from survey.errors import Refused
from survey.privacy import Privacy

# What bot/bootstrap.py puts in the dispatcher's data: the Secretariat's file, or None.
PRIVACY_NOTICE = "privacy_notice"
ACKNOWLEDGEMENTS = "acknowledgements"

# Widget ids: they travel in callback data, so they are short and never reused.
UNDERSTOOD = "pn_ok"

# The catalogs' notice; its English source text is its version (bot/privacy_notice.py).
CATALOG_NOTICE = N_(
    "<b>Your personal data in this survey</b>\n\n"
    "<b>What is stored:</b> your Telegram user id, the name your Telegram account shows, your "
    "language, your Office, when you were verified, and which answers you changed and when.\n"
    "<b>Why:</b> so that only your Office's representatives answer for it, and everyone can "
    "see who changed what.\n"
    "<b>Who sees it:</b> the other representatives of your Office see who changed each answer; "
    "the CWS Secretariat sees everything. Nothing is published with names: the results are "
    "reported by Office.\n"
    "<b>How long:</b> {retention}\n"
    "<b>Your data:</b> /mydata sends you everything held about you, /forgetme erases your "
    "identity, /privacy shows this notice again. Questions: {contact}"
)
CATALOG_VERSION = catalog_version(CATALOG_NOTICE)


def notice_version(notice: NoticeText | None) -> str:
    return notice.version if notice is not None else CATALOG_VERSION


def retention_sentence(days: int | None) -> str:
    if days is None:
        return _("until the Secretariat purges it, once the results are reported.")
    return render(
        ngettext(
            "until the Secretariat purges it, once the results are reported, and at the latest "
            "{days} day after the survey closes.",
            "until the Secretariat purges it, once the results are reported, and at the latest "
            "{days} days after the survey closes.",
            days,
        ),
        days=days,
    )


def notice_markup(notice: NoticeText | None, settings: Settings, language: str) -> Markup:
    """The notice in `language` (the current one for the catalogs' text)."""
    retention = retention_sentence(settings.retention_days)
    own = notice.text(language) if notice is not None else None
    if own is not None:
        # The Secretariat's file is plain text: shown as typed, with the blanks filled.
        own = html.escape(own, quote=False)
        return render(own, contact=settings.contact_email, retention=retention)
    return render(_(CATALOG_NOTICE), contact=settings.contact_email, retention=retention)


async def notice_getter(
    dialog_manager: DialogManager, settings: Settings, i18n: I18n, **_: Any
) -> dict[str, Any]:
    notice: NoticeText | None = dialog_manager.middleware_data.get(PRIVACY_NOTICE)
    return {
        "notice": notice_markup(notice, settings, i18n.current_locale),
        "privacy_url": settings.privacy_url or "",
        "has_url": settings.privacy_url is not None,
    }


def _privacy(manager: DialogManager) -> Privacy:
    found: Privacy = manager.middleware_data[ACKNOWLEDGEMENTS]
    return found


async def notice_due(manager: DialogManager, user_id: int) -> bool:
    """True until the person has acknowledged the notice in force (a new text, a new
    version: acknowledged anew)."""
    notice: NoticeText | None = manager.middleware_data.get(PRIVACY_NOTICE)
    version = notice_version(notice)
    held = await _privacy(manager).acknowledgements(user_id)
    return all(one.version != version for one in held)


async def on_understood(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    from dialogs.navigation import open_journey  # navigation opens this window

    user: User = manager.middleware_data["event_from_user"]
    notice: NoticeText | None = manager.middleware_data.get(PRIVACY_NOTICE)
    # A second press (the same button in an older message) records nothing more, and a press
    # by someone no longer verified (erased, removed) records nothing: no id kept after them.
    if await _verified(manager, user.id) and await notice_due(manager, user.id):
        await _privacy(manager).acknowledge(user.id, notice_version(notice))
    await open_journey(manager)


async def _verified(manager: DialogManager, user_id: int) -> bool:
    enrolment: Enrolment = manager.middleware_data["enrolment"]
    try:
        return await enrolment.whereabouts(user_id) is not None
    except Refused:  # removed by the Secretariat
        return False


def build_dialog() -> Dialog:
    policy = Url(T("🔗 Full privacy policy"), Format("{privacy_url}"), when="has_url")
    return Dialog(
        screen(
            Html("{notice}"),
            Button(T("✅ I understand, continue"), id=UNDERSTOOD, on_click=on_understood),
            policy,
            getter=notice_getter,
            state=Notice.notice,
        ),
        screen(
            Html("{notice}"),
            policy,
            Cancel(T("OK")),
            getter=notice_getter,
            state=Notice.show,
        ),
    )
