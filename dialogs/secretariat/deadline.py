"""/deadline: the closing time in force, and extending (or setting) it without a restart:
stored in the database, audited, in force at once for everyone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import Dialog, DialogManager
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Row, SwitchTo

from dialogs.messages import when
from dialogs.presses import answer_press
from dialogs.screen import screen
from dialogs.secretariat.common import acting, actor
from dialogs.states import Deadline
from dialogs.widgets import T
from survey import rules
from survey.secretariat import Secretariat

# Widget ids: they travel in callback data, so they are short and never reused.
PLUS_DAY = "d1"
PLUS_WEEK = "d7"
PLUS_MONTH = "d30"
CONFIRM = "yes"
BACK = "bk"
CLOSE = "cl"

PROPOSED = "proposed"  # dialog data: the closing time to confirm (ISO 8601)
END_OF_DAY = time(23, 59, tzinfo=UTC)


def parse_closing_time(text: str) -> datetime | None:
    """A date ("2026-12-31" or "20261231": the end of that day) or a date and time
    ("2026-12-31 18:00", "2026-12-31T18:00"), in UTC unless it names an offset ("+01:00");
    a trailing "UTC" or "Z" changes nothing. Not converted to UTC here: a moment at the
    calendar's end cannot be (see `rules.check_within_calendar`)."""
    text = " ".join(text.split())
    if text[-3:].upper() == "UTC":  # before anything else: "UTC" holds a T
        text = text[:-3].rstrip()
    text = text.removesuffix("Z").removesuffix("z")
    try:
        return datetime.combine(date.fromisoformat(text), END_OF_DAY)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


async def show_getter(
    dialog_manager: DialogManager, secretariat: Secretariat, event_from_user: User, **_: Any
) -> dict[str, Any]:
    deadline = await secretariat.deadline(actor(event_from_user))
    now = secretariat.now()
    return {
        "deadline": when(deadline),
        "open": deadline is not None and deadline > now,
        "closed": deadline is not None and deadline <= now,
        "none": deadline is None,
    }


async def _propose(manager: DialogManager, moment: datetime) -> None:
    manager.dialog_data[PROPOSED] = moment.isoformat()
    await manager.switch_to(Deadline.confirm)


async def _extend(manager: DialogManager, days: int) -> None:
    secretariat, who, _lang = acting(manager)
    current = await secretariat.deadline(who)
    start = max(current, secretariat.now()) if current is not None else secretariat.now()
    await _propose(manager, rules.extended(start, timedelta(days=days)))


async def on_day(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    await _extend(manager, 1)


async def on_week(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    await _extend(manager, 7)


async def on_month(_c: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    await _extend(manager, 30)


async def on_typed(message: Message, _widget: MessageInput, manager: DialogManager) -> None:
    moment = parse_closing_time(message.text or "")
    if moment is None:
        await message.answer(
            _(
                "Please send a date such as 2026-12-31 (the end of that day) or "
                "2026-12-31 18:00, in UTC."
            )
        )
        return
    secretariat, _who, _lang = acting(manager)
    # Refused here, before the confirmation shows it: a moment past the calendar's end could
    # not even be shown in UTC.
    rules.check_new_deadline(moment, secretariat.now())
    await _propose(manager, moment.astimezone(UTC))


async def confirm_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    proposed = datetime.fromisoformat(str(dialog_manager.dialog_data[PROPOSED]))
    return {"proposed": when(proposed)}


async def on_confirm(callback: CallbackQuery, _b: Button, manager: DialogManager) -> None:
    secretariat, who, _lang = acting(manager)
    proposed = datetime.fromisoformat(str(manager.dialog_data[PROPOSED]))
    await secretariat.set_deadline(proposed, who)
    await answer_press(callback, _("The closing time is now {time}.").format(time=when(proposed)))
    await manager.switch_to(Deadline.show)


def build_dialog() -> Dialog:
    return Dialog(
        screen(
            T("⏳ The survey closes on <b>{deadline}</b>.", when="open"),
            T("⏳ The survey closed on <b>{deadline}</b>; answering is closed.", when="closed"),
            T("⏳ The survey has no closing time.", when="none"),
            T(
                "\nTo change it, extend it with a button or send a new closing time, such as "
                "2026-12-31 (the end of that day) or 2026-12-31 18:00, in UTC. Representatives "
                "see the new date at once, in /help and in reminders."
            ),
            MessageInput(on_typed, content_types=[ContentType.TEXT]),
            Row(
                Button(T("+1 day"), id=PLUS_DAY, on_click=on_day),
                Button(T("+7 days"), id=PLUS_WEEK, on_click=on_week),
                Button(T("+30 days"), id=PLUS_MONTH, on_click=on_month),
            ),
            Cancel(T("OK"), id=CLOSE),
            getter=show_getter,
            state=Deadline.show,
        ),
        screen(
            T(
                "Set the closing time to <b>{proposed}</b>? It applies at once to everyone; "
                "if the survey had closed, answering reopens."
            ),
            Row(
                Button(T("✅ Yes, set it"), id=CONFIRM, on_click=on_confirm),
                SwitchTo(T("◀ Back"), id=BACK, state=Deadline.show),
            ),
            getter=confirm_getter,
            state=Deadline.confirm,
        ),
    )
