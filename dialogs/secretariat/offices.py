"""/offices: every Office with where it stands, filtered by stage, paged; one Office in
detail (representatives, progress, invitations, submission), from which the Secretariat
revokes an invitation, removes a representative (each after a confirmation), creates an
invitation or reopens the answers."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from aiogram import Bot
from aiogram.types import CallbackQuery, User
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import Dialog, DialogManager, StartMode
from aiogram_dialog.widgets.kbd import (
    Button,
    Group,
    ManagedRadio,
    NextPage,
    PrevPage,
    Radio,
    Row,
    ScrollingGroup,
    Select,
    SwitchTo,
)
from aiogram_dialog.widgets.text import Format

from dialogs.deps import Notifier
from dialogs.markup import Markup, render
from dialogs.messages import refusal_text, when
from dialogs.navigation import start_data
from dialogs.presses import answer_press
from dialogs.screen import screen
from dialogs.secretariat.common import acting, actor
from dialogs.secretariat.invitations import invitation_message
from dialogs.states import Offices, Reopen
from dialogs.widgets import Html, Plural, T
from reports.labels import office_state
from reports.numbers import format_number
from survey.broadcasts import BroadcastKind
from survey.errors import Reason, Refused
from survey.model import OfficeStage
from survey.secretariat import OfficeDetail, Secretariat

# Widget ids: they travel in callback data, so they are short and never reused.
STAGE = "st"
OFFICES = "of"
OFFICE_PAGES = "ofp"
PREVIOUS_PAGE = "opp"
NEXT_PAGE = "onp"
REVOKE = "rvk"
REMOVE = "rmv"
INVITE = "inv"
REOPEN = "reo"
BACK = "bk"
CONFIRM_REVOKE = "yrv"
CONFIRM_REMOVE = "yrm"
CANCEL = "no"

ALL = "all"
OFFICE = "office"  # dialog data: the Office shown in detail (its code)
INVITATION = "invitation"  # dialog data: the invitation to revoke (its id)
PERSON = "person"  # dialog data: the representative to remove (Telegram user id)
REMOVAL_REASON = "removed by the Secretariat in the chat"


def stage_labels() -> list[tuple[str, str]]:
    return [
        (ALL, _("All")),
        (OfficeStage.NOT_INVITED.value, _("Not invited")),
        (OfficeStage.INVITED.value, _("Invited")),
        (OfficeStage.VERIFIED.value, _("Verified")),
        (OfficeStage.IN_PROGRESS.value, _("In progress")),
        (OfficeStage.SUBMITTED.value, _("Submitted")),
    ]


def _stage(manager: DialogManager) -> str:
    radio = manager.find(STAGE)
    checked = radio.get_checked() if isinstance(radio, ManagedRadio) else None
    return checked or ALL


async def list_getter(
    dialog_manager: DialogManager,
    secretariat: Secretariat,
    event_from_user: User,
    i18n: I18n,
    **_: Any,
) -> dict[str, Any]:
    lang = i18n.current_locale
    stage = _stage(dialog_manager)
    everyone = await secretariat.office_statuses(actor(event_from_user))
    shown = [s for s in everyone if stage == ALL or s.stage.value == stage]
    total = len(secretariat.questionnaire)
    return {
        "stages": stage_labels(),
        "offices": [
            (s.office.code, f"{s.office.code} · {office_state(s, total, lang)}") for s in shown
        ],
        "shown": len(shown),
        "total": format_number(len(everyone), lang),
        "none": not shown,
    }


async def on_office(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, code: str
) -> None:
    manager.dialog_data[OFFICE] = code
    await manager.switch_to(Offices.detail)


def detail_text(detail: OfficeDetail, lang: str) -> Markup:
    office = detail.office
    lines = [
        render("<b>{code} · {name}</b>", code=office.code, name=office.name(lang)),
        render(
            ngettext(
                "Progress: {answered} of {total} answered.",
                "Progress: {answered} of {total} answered.",
                detail.answered,
            ),
            answered=format_number(detail.answered, lang),
            total=format_number(detail.total, lang),
        ),
    ]
    if detail.last_activity is not None:
        lines.append(render(_("Last activity: {time}."), time=when(detail.last_activity)))
    if detail.submitted:
        lines.append(
            render(
                _("✅ Submitted on {time} by {name}. Reference: {reference}."),
                time=when(detail.submitted_at),
                name=detail.submitted_by or "",
                reference=detail.reference or "",
            )
        )
    lines.append(render("\n<b>{title}</b>", title=_("Representatives")))
    if not detail.representatives:
        lines.append(render("{none}", none=_("Nobody is verified yet.")))
    for summary in detail.representatives:
        person = summary.representative
        if person.active:
            state = render(_("verified on {time}"), time=when(person.verified_at))
        else:
            state = render(_("removed on {time}"), time=when(person.revoked_at))
        lines.append(
            render(
                "• {name} (id {id}, {language}) · {state}",
                name=person.full_name or "?",
                id=person.telegram_user_id,
                language=person.language or "–",
                state=state,
            )
        )
    lines.append(render("\n<b>{title}</b>", title=_("Invitations")))
    if not detail.invitations:
        lines.append(render("{none}", none=_("No invitation yet.")))
    for invited in detail.invitations:
        invitation = invited.invitation
        if invitation.revoked_at is not None:
            state = render(_("revoked on {time}"), time=when(invitation.revoked_at))
        elif invited.usable:
            left = invited.uses_left
            state = (
                render(_("uses left: {left}"), left=format_number(left, lang))
                if left is not None
                else Markup(render("{text}", text=_("any number of uses")))
            )
            if invitation.expires_at is not None:
                state += render(_(", expires on {time}"), time=when(invitation.expires_at))
        else:
            state = render("{text}", text=_("no longer usable (expired or used up)"))
        lines.append(
            render(
                "• #{id} · {created} · {state}",
                id=invitation.id,
                created=when(invitation.created_at),
                state=state,
            )
        )
    return Markup("\n".join(lines))


def _office_code(manager: DialogManager) -> str:
    """The Office in detail: chosen in the list, or named by `/offices EP` (start data)."""
    if OFFICE not in manager.dialog_data:
        manager.dialog_data[OFFICE] = start_data(manager).get(OFFICE, "")
    return str(manager.dialog_data[OFFICE])


async def _detail(manager: DialogManager) -> OfficeDetail:
    secretariat, who, _lang = acting(manager)
    return await secretariat.office_detail(_office_code(manager), who)


async def detail_getter(
    dialog_manager: DialogManager, i18n: I18n, **_kwargs: Any
) -> dict[str, Any]:
    detail = await _detail(dialog_manager)
    return {
        "detail": detail_text(detail, i18n.current_locale),
        "revocable": [
            (s.invitation.id, _("🚫 Revoke invitation #{id}").format(id=s.invitation.id))
            for s in detail.invitations
            if s.usable
        ],
        "removable": [
            (
                p.telegram_user_id,
                _("➖ Remove {name}").format(name=p.full_name or p.telegram_user_id),
            )
            for p in detail.active_representatives
        ],
        "submitted": detail.submitted,
    }


async def on_revoke(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, invitation_id: int
) -> None:
    manager.dialog_data[INVITATION] = invitation_id
    await manager.switch_to(Offices.revoke)


async def on_remove(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, person: int
) -> None:
    manager.dialog_data[PERSON] = person
    await manager.switch_to(Offices.remove)


async def on_invite(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    """A new code, shown once in a message of its own (never kept in the dialog's state)."""
    secretariat, who, _lang = acting(manager)
    issued = await secretariat.create_invitation(_office_code(manager), who)
    bot: Bot = manager.middleware_data["bot"]
    await answer_press(callback)
    await bot.send_message(callback.from_user.id, await invitation_message(bot, issued))


async def on_reopen(_callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    await manager.start(Reopen.confirm, {OFFICE: manager.dialog_data[OFFICE]})


async def revoke_getter(dialog_manager: DialogManager, i18n: I18n, **_: Any) -> dict[str, Any]:
    detail = await _detail(dialog_manager)
    return {
        "id": dialog_manager.dialog_data.get(INVITATION),
        "office": f"{detail.office.code} · {detail.office.name(i18n.current_locale)}",
    }


async def on_confirm_revoke(
    callback: CallbackQuery, _button: Button, manager: DialogManager
) -> None:
    secretariat, who, _lang = acting(manager)
    invitation_id = int(manager.dialog_data[INVITATION])
    await secretariat.revoke_invitation(invitation_id, who)
    await answer_press(callback, _("Invitation #{id} revoked.").format(id=invitation_id))
    await manager.switch_to(Offices.detail)


async def remove_getter(dialog_manager: DialogManager, i18n: I18n, **_: Any) -> dict[str, Any]:
    detail = await _detail(dialog_manager)
    person = int(dialog_manager.dialog_data.get(PERSON, 0))
    names = {p.telegram_user_id: p.full_name for p in detail.active_representatives}
    return {
        "name": names.get(person) or str(person),
        "office": f"{detail.office.code} · {detail.office.name(i18n.current_locale)}",
    }


async def on_confirm_remove(
    callback: CallbackQuery, _button: Button, manager: DialogManager
) -> None:
    secretariat, who, _lang = acting(manager)
    code = str(manager.dialog_data[OFFICE])
    removed = await secretariat.remove_representative(
        code, int(manager.dialog_data[PERSON]), who, reason=REMOVAL_REASON
    )
    office = await secretariat.office(code)
    i18n: I18n = manager.middleware_data["i18n"]
    with i18n.use_locale(removed.language or "en"):  # told in their own language
        text = refusal_text(Refused(Reason.REPRESENTATIVE_REMOVED, office=office))
    notifier: Notifier = manager.middleware_data["notifier"]
    await notifier.post(
        manager.middleware_data["bot"],
        BroadcastKind.REMOVAL,
        [(removed.telegram_user_id, text)],
        actor=who,
    )
    await answer_press(callback, _("Removed. They have been told."))
    await manager.switch_to(Offices.detail)


def _not_first(data: dict[str, Any], _widget: Any, _manager: DialogManager) -> bool:
    return bool(data["current_page"] > 0)


def _not_last(data: dict[str, Any], _widget: Any, _manager: DialogManager) -> bool:
    return bool(data["current_page"] < data["pages"] - 1)


def build_dialog() -> Dialog:
    return Dialog(
        screen(
            Plural(
                "<b>Offices</b>: {shown} of {total} shown.",
                "<b>Offices</b>: {shown} of {total} shown.",
                count="shown",
            ),
            T("No Office at this stage.", when="none"),
            Group(
                Radio(
                    Format("🔘 {item[1]}"),
                    Format("⚪ {item[1]}"),
                    id=STAGE,
                    item_id_getter=itemgetter(0),
                    items="stages",
                ),
                width=3,
            ),
            ScrollingGroup(
                Select(
                    Format("{item[1]}"),
                    id=OFFICES,
                    item_id_getter=itemgetter(0),
                    items="offices",
                    on_click=on_office,
                ),
                id=OFFICE_PAGES,
                width=1,
                height=8,
                hide_pager=True,
            ),
            # In words: aiogram-dialog's own pager reads "less than, 1, 26, greater than".
            Row(
                PrevPage(
                    scroll=OFFICE_PAGES,
                    id=PREVIOUS_PAGE,
                    text=T("◀ Previous page"),
                    when=_not_first,
                ),
                NextPage(scroll=OFFICE_PAGES, id=NEXT_PAGE, text=T("Next page ▶"), when=_not_last),
            ),
            getter=list_getter,
            state=Offices.list,
        ),
        screen(
            Html("{detail}"),
            Group(
                Select(
                    Format("{item[1]}"),
                    id=REVOKE,
                    item_id_getter=itemgetter(0),
                    items="revocable",
                    type_factory=int,
                    on_click=on_revoke,
                ),
                Select(
                    Format("{item[1]}"),
                    id=REMOVE,
                    item_id_getter=itemgetter(0),
                    items="removable",
                    type_factory=int,
                    on_click=on_remove,
                ),
                width=1,
            ),
            Row(
                Button(T("✉ New invitation"), id=INVITE, on_click=on_invite),
                Button(T("↩ Reopen"), id=REOPEN, on_click=on_reopen, when="submitted"),
            ),
            SwitchTo(T("◀ All Offices"), id=BACK, state=Offices.list),
            getter=detail_getter,
            state=Offices.detail,
        ),
        screen(
            T(
                "Revoke invitation #{id} of {office}? Nobody can be verified with it "
                "afterwards; people already verified keep their access."
            ),
            Row(
                Button(T("🚫 Yes, revoke"), id=CONFIRM_REVOKE, on_click=on_confirm_revoke),
                SwitchTo(T("◀ Cancel"), id=CANCEL, state=Offices.detail),
            ),
            getter=revoke_getter,
            state=Offices.revoke,
        ),
        screen(
            T(
                "Remove {name} from {office}? They are told now, and whatever they try next "
                "in the bot is refused. The Office's answers stay."
            ),
            Row(
                Button(T("➖ Yes, remove"), id=CONFIRM_REMOVE, on_click=on_confirm_remove),
                SwitchTo(T("◀ Cancel"), id=CANCEL, state=Offices.detail),
            ),
            getter=remove_getter,
            state=Offices.remove,
        ),
    )


async def open_offices(manager: DialogManager, code: str | None = None) -> None:
    """The list, or straight to one Office's detail (`/offices EP`)."""
    if code:
        secretariat, _who, _lang = acting(manager)
        office = await secretariat.office(code)  # refused (unknown Office) before opening
        await manager.start(Offices.detail, {OFFICE: office.code}, mode=StartMode.NORMAL)
        return
    await manager.start(Offices.list, mode=StartMode.NORMAL)
