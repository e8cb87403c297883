"""/mydata: what is held about the person, as a JSON file and a summary; /forgetme: after a
confirmation, their erasure (survey/privacy.py), the Secretariat told."""

from __future__ import annotations

import json
from typing import Any

from aiogram.types import BufferedInputFile, CallbackQuery, Message, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import Dialog, DialogManager, StartMode
from aiogram_dialog.widgets.kbd import Button

from dialogs.deps import LocaleMemory, Notifier
from dialogs.markup import render
from dialogs.messages import when
from dialogs.navigation import open_journey
from dialogs.screen import screen
from dialogs.states import ForgetMe
from dialogs.widgets import T
from reports.numbers import format_number
from survey.broadcasts import BroadcastKind
from survey.model import Actor
from survey.privacy import Forgotten, PersonalData, Privacy

# Widget ids: they travel in callback data, so they are short and never reused.
FORGET = "fg"
KEEP = "kp"

MY_DATA_FILE = "my-data.json"


def my_data_summary(data: PersonalData, i18n: I18n) -> str:
    """The readable part of /mydata, in the current language."""
    person = data.representative
    if person is None:
        text = _("No representative's data is held about you.")
        if data.language:
            text += "\n" + _("Only the language you chose is kept: {language}.")
        return str(render(text, language=data.language or ""))
    lang = i18n.current_locale
    lines = [
        render(_("<b>What is held about you</b>")),
        render(_("Name: {name}"), name=person.full_name),
        render(_("Telegram id: {id}"), id=str(data.telegram_user_id)),
        render(
            _("Office: {office}"),
            office=f"{data.office.code} · {data.office.name(lang)}" if data.office else "",
        ),
        render(_("Verified on {time}"), time=when(person.verified_at)),
        render(_("Language: {language}"), language=person.language or data.language or "—"),
        render(
            _("Answers you changed last: {count}"),
            count=format_number(len(data.answers), lang),
        ),
        render(
            _("Privacy notices acknowledged: {count}"),
            count=format_number(len(data.acknowledgements), lang),
        ),
        render(_("Audit entries naming you: {count}"), count=format_number(len(data.audit), lang)),
        render(_("Everything is in the attached file. /forgetme erases it.")),
    ]
    return "\n".join(str(line) for line in lines)


async def my_data(message: Message, privacy: Privacy, event_from_user: User, i18n: I18n) -> None:
    data = await privacy.my_data(event_from_user.id)
    await message.answer(my_data_summary(data, i18n))
    if data.empty:
        return
    document = json.dumps(data.to_data(), ensure_ascii=False, indent=2).encode()
    await message.answer_document(BufferedInputFile(document, filename=MY_DATA_FILE))


async def forget_me(
    message: Message, dialog_manager: DialogManager, privacy: Privacy, event_from_user: User
) -> None:
    if (await privacy.my_data(event_from_user.id)).representative is None:
        await message.answer(_("You are not registered as a representative: nothing to erase."))
        return
    await dialog_manager.start(ForgetMe.confirm, mode=StartMode.RESET_STACK)


def erasure_messages(forgotten: Forgotten, i18n: I18n) -> list[tuple[int, str]]:
    """(chat, text) for each Secretariat member, in their own language."""
    messages = []
    office = forgotten.office
    with i18n.context():
        for member in forgotten.secretariat:
            with i18n.use_locale(member.language or "en"):
                text = render(
                    _(
                        "🗑 A representative of {office} asked to be forgotten: their name, "
                        "Telegram id and language are erased. Their Office's answers stay, "
                        "attributed to “{pseudonym}”."
                    ),
                    office=f"{office.code} · {office.name(i18n.current_locale)}",
                    pseudonym=forgotten.pseudonym,
                )
            messages.append((member.telegram_user_id, str(text)))
    return messages


async def on_forget(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    privacy: Privacy = manager.middleware_data["privacy"]
    user = callback.from_user
    forgotten = await privacy.forget_person(user.id, actor=Actor.telegram(user.id))
    locales: LocaleMemory = manager.middleware_data["i18n_middleware"]
    locales.forget(user.id)
    i18n: I18n = manager.middleware_data["i18n"]
    messages = erasure_messages(forgotten, i18n)
    if messages:
        notifier: Notifier = manager.middleware_data["notifier"]
        await notifier.post(
            manager.middleware_data["bot"],
            BroadcastKind.ERASURE,
            messages,
            actor=forgotten.actor,
        )
    text = _(
        "🗑 Done: your name, Telegram id and language are erased from the survey's records. "
        "Your Office's answers stay, attributed to “{pseudonym}”. To answer again you would "
        "need a new invitation code."
    )
    await callback.answer()
    await manager.reset_stack()  # no window of theirs is kept
    if isinstance(callback.message, Message):
        await callback.message.answer(render(text, pseudonym=forgotten.pseudonym))


async def on_keep(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    await callback.answer(_("Nothing was erased."))
    await open_journey(manager)


async def confirm_getter(
    dialog_manager: DialogManager, privacy: Privacy, event_from_user: User, **_: Any
) -> dict[str, Any]:
    data = await privacy.my_data(event_from_user.id)
    return {"office": data.office.code if data.office else ""}


def build_dialog() -> Dialog:
    return Dialog(
        screen(
            T(
                "<b>Erase your data?</b>\nYou will no longer be a representative of {office}. "
                "Your name, Telegram id and language are replaced everywhere by a pseudonym "
                "(such as “Representative 2 of {office}”). Your Office's answers, comments and "
                "any submission stay, attributed to the pseudonym. The Secretariat is told. "
                "This cannot be undone."
            ),
            Button(T("🗑 Yes, erase my data"), id=FORGET, on_click=on_forget),
            Button(T("◀ No, keep it"), id=KEEP, on_click=on_keep),
            getter=confirm_getter,
            state=ForgetMe.confirm,
        )
    )
