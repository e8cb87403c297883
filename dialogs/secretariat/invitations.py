"""/invite OFFICE: a code and its link, shown once; /invite all pending: one for every Office
that needs one, as a CSV file for a mail merge. Codes are never logged nor kept anywhere but
in that reply."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import CommandObject
from aiogram.types import BufferedInputFile, Message, User
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from dialogs.markup import Markup, render
from dialogs.messages import language, when
from dialogs.secretariat.common import actor
from reports.invitations import deep_link, invitations_csv
from reports.numbers import format_number
from survey.model import Actor
from survey.secretariat import IssuedInvitation, Secretariat

ALL_PENDING = ("all pending", "all")

log = logging.getLogger(__name__)


async def bot_username(bot: Bot) -> str:
    me = await bot.me()
    return me.username or ""


async def invitation_message(bot: Bot, issued: IssuedInvitation) -> Markup:
    """The code and the link, with the terms; HTML."""
    lang = language()
    invitation = issued.invitation
    office = issued.office
    lines = [
        render(
            _("✉ <b>Invitation for {code} · {office}</b>"),
            code=office.code,
            office=office.name(lang),
        ),
        render(_("Code: <code>{code}</code>"), code=issued.code),
        render(_("Link: {link}"), link=deep_link(await bot_username(bot), issued.code)),
    ]
    if invitation.max_uses is not None:
        uses = invitation.max_uses
        lines.append(
            render(
                ngettext(
                    "Up to {uses} person can use it.", "Up to {uses} people can use it.", uses
                ),
                uses=format_number(uses, lang),
            )
        )
    if invitation.expires_at is not None:
        lines.append(render(_("It expires on {time}."), time=when(invitation.expires_at)))
    lines.append(render("<i>{note}</i>", note=_("Shown only this once: copy it now.")))
    return Markup("\n".join(lines))


def usage() -> str:
    return _(
        "Send /invite followed by an Office's ST.3 code (for example /invite EP), or "
        "/invite all pending to create one for every Office that has no usable invitation "
        "and has not submitted."
    )


async def invite(
    message: Message,
    command: CommandObject,
    secretariat: Secretariat,
    event_from_user: User,
    bot: Bot,
) -> None:
    wanted = " ".join((command.args or "").split()).lower()
    who = actor(event_from_user)
    if not wanted:
        await message.answer(usage())
        return
    if wanted in ALL_PENDING:
        issued = await secretariat.invite_pending(who)
        if not issued:
            await message.answer(
                _("Every Office already has a usable invitation or has submitted: nothing to do.")
            )
            return
        try:
            data = invitations_csv(issued, await bot_username(bot))
            await message.answer_document(
                BufferedInputFile(data, filename="invitations.csv"),
                caption=_(
                    "Invitations created: {count}, one line per Office with its code and link, "
                    "for a mail merge. The codes are only in this file."
                ).format(count=format_number(len(issued), language())),
            )
        except TelegramAPIError as exc:
            await undelivered(message, secretariat, who, issued, exc, batch=True)
        return
    issued_one = await secretariat.create_invitation(wanted, who)
    try:
        await message.answer(await invitation_message(bot, issued_one))
    except TelegramAPIError as exc:
        await undelivered(message, secretariat, who, [issued_one], exc, batch=False)


async def undelivered(
    message: Message,
    secretariat: Secretariat,
    who: Actor,
    issued: Sequence[IssuedInvitation],
    exc: TelegramAPIError,
    *,
    batch: bool,
) -> None:
    """Telegram failed to deliver the codes (past the retries): only their hashes are stored,
    so nobody will ever know them. Revoked, so that none stays usable-but-unknown and the
    Offices are pending again; the next /invite makes new ones."""
    count = await secretariat.revoke_undelivered(issued, who)
    log.warning("Invitation codes not delivered, %d revoked: %s", count, exc)
    if not batch:
        text = _(
            "Telegram could not deliver the new code for {code}, so it was revoked: nobody "
            "can use it. Send /invite {code} again for a new one."
        ).format(code=issued[0].office.code)
    else:
        text = ngettext(
            "Telegram could not deliver the file with {count} new code, so it was "
            "revoked: nobody can use it. Send /invite all pending again for a new file.",
            "Telegram could not deliver the file with {count} new codes, so they were "
            "revoked: nobody can use them. Send /invite all pending again for a new file.",
            len(issued),
        ).format(count=len(issued))
    try:
        await message.answer(text)
    except TelegramAPIError as again:  # Telegram is failing still: the log is all that is left
        log.warning("Could not say that the invitation codes were revoked: %s", again)
