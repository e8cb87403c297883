"""`python -m bot ...`: everything the Secretariat can do, from a terminal.

Operator-facing and in English: the people running the server read these lines, not delegates.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from sqlalchemy.engine import URL, make_url

from bot.bootstrap import (
    load_configured_questionnaire,
    open_service,
    prepare_database,
    questionnaire_in_force,
    safe_url,
)
from bot.config import ConfigError, Settings, load_settings
from bot.i18n import build_i18n
from bot.logs import configure_logging, quiet_chatty_loggers
from dialogs.deps import Delivery
from reports.csv_export import answers_csv
from reports.files import FORMATS, ResultsData, results_file
from reports.invitations import deep_link, invitations_csv
from reports.text import digest_text
from storage.backup import BackupError, backup_sqlite, sqlite_path
from survey.broadcasts import BroadcastKind
from survey.errors import Reason, Refused
from survey.model import Actor, Office, OfficeStage, Representative, RepresentativeSummary
from survey.offices import OfficesFileError, read_offices_csv
from survey.questionnaire import QuestionnaireError, load_questionnaire, questionnaire_to_yaml
from survey.rules import DEFAULT_INVITATION_USES, MAX_COMMENT_LENGTH
from survey.secretariat import OfficeDetail
from survey.service import SurveyService

EXIT_OK, EXIT_REFUSED, EXIT_CONFIG = 0, 1, 2

REFUSALS: dict[Reason, str] = {
    Reason.UNKNOWN_OFFICE: "unknown Office code {code!r}: see `python -m bot offices list`",
    Reason.UNKNOWN_CODE: "no invitation has that code",
    Reason.CODE_EXPIRED: "that invitation code has expired",
    Reason.CODE_REVOKED: "that invitation code was revoked",
    Reason.CODE_USED_UP: "that invitation code has been used as many times as allowed",
    Reason.NOT_SUBMITTED: "the Office has not submitted, so there is nothing to reopen",
    Reason.BAD_INVITATION_TERMS: "{message}",
    Reason.UNKNOWN_REPRESENTATIVE: (
        "Telegram user {telegram_user_id} is not a representative of {office.code}: "
        "see `python -m bot representatives list {office.code}`"
    ),
    Reason.ALREADY_REMOVED: (
        "Telegram user {telegram_user_id} was already removed from {office.code} "
        "on {removed_at:%Y-%m-%d %H:%M} UTC"
    ),
    Reason.UNKNOWN_INVITATION: (
        "no invitation has the id {invitation_id}: see `python -m bot offices show OFFICE`"
    ),
    Reason.DEADLINE_NOT_FUTURE: (
        "the deadline must be in the future; {deadline:%Y-%m-%d %H:%M %Z} is not"
    ),
    Reason.DEADLINE_TOO_FAR: "the deadline must be before {latest:%Y-%m-%d} (UTC)",
    Reason.ANSWERS_CHANGED: "answers changed meanwhile: {numbers}",
    Reason.PURGE_BEFORE_DEADLINE: (
        "the survey has not closed{closing}: a purge waits for the deadline; "
        "add --force to purge now"
    ),
}

SETUP_HELP = (
    "BOT_TOKEN is not set. Put the token @BotFather gave you in the environment or in .env, "
    "e.g. BOT_TOKEN=123456:ABC... (see .env.example and README.md). To try the bot without "
    "Telegram, run: python -m bot sandbox"
)

Command = Callable[[argparse.Namespace, Settings, TextIO], Coroutine[Any, Any, int]]


def parse_expiry(text: str) -> datetime:
    """A date (2026-12-31 or 20261231) means the end of that day in UTC; a date-time must say
    its time zone."""
    try:
        return datetime.combine(date.fromisoformat(text), time(23, 59, 59), tzinfo=UTC)
    except ValueError:
        pass
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (2026-12-31) or date-time (2026-12-31T18:00+01:00)"
        ) from None
    if value.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a time zone, e.g. +01:00 or Z")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def reason_text(text: str) -> str:
    """As the chat takes a reason: one line, at most the length of a comment (a longer one
    would not fit in the message that tells the representatives)."""
    text = " ".join(text.split())
    if len(text) > MAX_COMMENT_LENGTH:
        raise argparse.ArgumentTypeError(
            f"a reason of {len(text)} characters; at most {MAX_COMMENT_LENGTH}"
        )
    return text


def revision(text: str) -> str:
    """An empty revision would reach Alembic as "nothing", which it fails on with a traceback."""
    if not text.strip():
        raise argparse.ArgumentTypeError("name a revision, e.g. head, base, -1 or 0004")
    return text.strip()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="CWS ICT Recommendations survey bot: run it, or run the survey from here.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    commands.add_parser("run", help="run the bot (long polling, or a webhook with WEBHOOK_URL)")
    sandbox = commands.add_parser(
        "sandbox", help="the whole survey offline: a local Bot API, the bot, a terminal chat"
    )
    sandbox.add_argument("--lang", choices=("en", "fr", "es"), default="en")
    sandbox.add_argument("--admin", action="store_true", help="chat as a Secretariat member")
    sandbox.add_argument("--data", type=Path, default=Path("data"), help="where to keep data")

    db = commands.add_parser("db", help="database migrations and backups").add_subparsers(
        dest="db_command", metavar="ACTION", required=True
    )
    up = db.add_parser("upgrade", help="migrate to the newest schema (or to REVISION)")
    up.add_argument("revision", nargs="?", default="head", type=revision)
    down = db.add_parser("downgrade", help="migrate back to REVISION (e.g. -1 or base)")
    down.add_argument("revision", type=revision)
    backup = db.add_parser(
        "backup", help="copy the SQLite database to a new FILE, safely while the bot runs"
    )
    backup.add_argument("file", type=Path)

    offices = commands.add_parser("offices", help="the Offices that may answer").add_subparsers(
        dest="offices_command", metavar="ACTION", required=True
    )
    imp = offices.add_parser("import", help="add or update Offices from a CSV file")
    imp.add_argument("file", type=Path)
    listing = offices.add_parser("list", help="list Offices and where each one stands")
    listing.add_argument(
        "--stage",
        choices=[stage.value for stage in OfficeStage],
        action="append",
        help="only Offices at this stage (repeat for several)",
    )
    show = offices.add_parser(
        "show", help="one Office: representatives, progress, invitations, submission"
    )
    show.add_argument("office", help="the Office's two-letter code, e.g. EP")

    invite = commands.add_parser(
        "invite", help="create an invitation code for an Office, or for every pending Office"
    )
    invite.add_argument("office", nargs="?", help="the Office's two-letter WIPO ST.3 code, e.g. EP")
    invite.add_argument(
        "--all",
        action="store_true",
        help="one new code for every Office without a usable invitation that has not "
        "submitted, written to --output as a CSV for a mail merge",
    )
    invite.add_argument(
        "--output", type=Path, help="with --all: the CSV file to create (never overwritten)"
    )
    invite.add_argument(
        "--uses",
        type=positive_int,
        default=DEFAULT_INVITATION_USES,
        help=f"how many people may use the code (default {DEFAULT_INVITATION_USES})",
    )
    invite.add_argument(
        "--unlimited", action="store_true", help="any number of people may use the code"
    )
    invite.add_argument(
        "--expires", type=parse_expiry, help="last valid moment: 2026-12-31 or an ISO date-time"
    )

    invites = commands.add_parser("invites", help="manage invitation codes").add_subparsers(
        dest="invites_command", metavar="ACTION", required=True
    )
    revoke = invites.add_parser(
        "revoke", help="revoke one code, one invitation by id, or every code of an Office"
    )
    revoke.add_argument(
        "target", metavar="CODE|ID|OFFICE", help="an id as shown by `offices show OFFICE`"
    )

    deadline = commands.add_parser(
        "deadline", help="show the closing time, or set, extend or clear it (no restart needed)"
    )
    deadline_actions = deadline.add_subparsers(dest="deadline_command", metavar="ACTION")
    set_deadline = deadline_actions.add_parser("set", help="set or extend the closing time")
    set_deadline.add_argument(
        "when", type=parse_expiry, help="2026-12-31 (its end, UTC) or an ISO date-time"
    )
    deadline_actions.add_parser("clear", help="no closing time at all")

    people = commands.add_parser(
        "representatives", help="an Office's verified representatives"
    ).add_subparsers(dest="representatives_command", metavar="ACTION", required=True)
    listing = people.add_parser("list", help="everyone verified for an Office, removed included")
    listing.add_argument("office", help="the Office's two-letter code, e.g. EP")
    remove = people.add_parser(
        "remove", help="take away a person's right to answer for an Office (audited)"
    )
    remove.add_argument("office", help="the Office's two-letter code, e.g. EP")
    who = remove.add_mutually_exclusive_group(required=True)
    who.add_argument(
        "telegram_user_id",
        nargs="?",
        type=positive_int,
        metavar="TELEGRAM_USER_ID",
        help="as shown by `representatives list`",
    )
    who.add_argument("--all", action="store_true", help="every active representative")
    remove.add_argument("--reason", default="", type=reason_text, help="kept in the audit trail")

    reopen = commands.add_parser(
        "reopen", help="reopen an Office's submitted answers (its representatives are told)"
    )
    reopen.add_argument("office")
    reopen.add_argument(
        "--reason", default="", type=reason_text, help="kept in the audit trail, told to them"
    )

    remind = commands.add_parser(
        "remind", help="who would get a reminder; with --send, send it through the bot"
    )
    remind.add_argument(
        "--send", action="store_true", help="send it now (needs BOT_TOKEN), at Telegram's pace"
    )

    results = commands.add_parser("results", help="the results digest or a full export")
    results.add_argument("--format", choices=("text", *FORMATS), default="text")
    results.add_argument("--output", type=Path, help="write to this file instead of stdout")
    results.add_argument(
        "--drafts", action="store_true", help="count answers not yet submitted too"
    )
    results.add_argument("--lang", choices=("en", "fr", "es"), default="en")

    for name, what in (
        ("workbook", "an Office's workbook (XLSX) of its answers, to fill in offline"),
        ("pdf", "the PDF of an Office's answers (with the receipt once submitted)"),
    ):
        paper = commands.add_parser(name, help=what)
        paper.add_argument("office", help="the Office's two-letter code, e.g. EP")
        paper.add_argument("--output", type=Path, required=True, help=f"the .{name} file")
        paper.add_argument("--lang", choices=("en", "fr", "es"), default="en")

    privacy = commands.add_parser(
        "privacy", help="personal data: the purge once the results are reported"
    ).add_subparsers(dest="privacy_command", metavar="ACTION", required=True)
    purge = privacy.add_parser(
        "purge",
        help="what a purge would change (counts); with --apply, pseudonymise every "
        "representative, delete invitation codes and dialog state",
    )
    purge.add_argument("--apply", action="store_true", help="do it (it cannot be undone)")
    purge.add_argument(
        "--force", action="store_true", help="with --apply: even before the deadline"
    )

    catalogs = commands.add_parser(
        "catalogs", help="extract translatable strings, update en/fr/es catalogs, compile"
    )
    catalogs.add_argument("action", choices=("update",))

    sheet = commands.add_parser(
        "questionnaire", help="the questionnaire: its workbook, checks and YAML file"
    ).add_subparsers(dest="questionnaire_command", metavar="ACTION", required=True)
    check_file = sheet.add_parser(
        "check", help="check a questionnaire file (.xlsx or .yaml), listing every problem"
    )
    check_file.add_argument("file", type=Path)
    template = sheet.add_parser(
        "template",
        help="write the questionnaire in force as a workbook to fill in (never overwrites)",
    )
    template.add_argument("file", type=Path, help="the .xlsx file to write")
    to_yaml = sheet.add_parser(
        "import", help="turn a filled workbook into a YAML file (never overwrites)"
    )
    to_yaml.add_argument("file", type=Path, help="the .xlsx (or .yaml) file to read")
    to_yaml.add_argument("--output", type=Path, required=True, help="the .yaml file to write")
    return parser


async def cmd_run(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    questionnaire = load_configured_questionnaire(settings, announce=True)
    if settings.bot_token is None:
        print(SETUP_HELP, file=sys.stderr)
        return EXIT_CONFIG
    from bot.runner import run  # aiogram's start-up cost only when running the bot

    async with open_service(settings, questionnaire=questionnaire) as service:
        await run(settings, service)
    return EXIT_OK


async def cmd_sandbox(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from bot.sandbox import SandboxOptions, run_sandbox

    options = SandboxOptions(data_dir=args.data, language=args.lang, admin=args.admin)
    return await run_sandbox(options, settings)


async def cmd_db(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    if args.db_command == "backup":
        return _backup(args.file, settings, out)
    if args.db_command == "upgrade":
        await prepare_database(settings, args.revision)
    else:
        await prepare_database(settings, args.revision, downgrade=True)
    print(f"Database {safe_url(settings.database_url)} is at revision {args.revision}.", file=out)
    return EXIT_OK


def _backup(target: Path, settings: Settings, out: TextIO) -> int:
    """No migration first: a backup is what one takes before an upgrade."""
    try:
        source = sqlite_path(settings.database_url)
        if source is None:
            # The password stays out: pg_dump asks for it, or reads PGPASSWORD or ~/.pgpass.
            given = make_url(settings.database_url)
            url = URL.create(
                "postgresql", given.username, None, given.host, given.port, given.database
            )
            print(
                "error: `db backup` copies SQLite databases; for PostgreSQL use pg_dump, e.g. "
                f"pg_dump --format=custom --file={target} "
                f"'{url.render_as_string(hide_password=False)}' (restore with pg_restore)",
                file=sys.stderr,
            )
            return EXIT_REFUSED
        made = backup_sqlite(source, target)
    except BackupError as exc:
        raise ConfigError(str(exc)) from None
    print(
        f"Backed up {made.source} to {made.target} ({made.size:,} bytes, schema revision "
        f"{made.revision or 'none'}). To restore: stop the bot, delete {made.source}-wal and "
        f"{made.source}-shm if present, copy {made.target} to {made.source}, start the bot.",
        file=out,
    )
    return EXIT_OK


async def cmd_offices(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    async with open_service(settings) as service:
        if args.offices_command == "import":
            added, updated = await service.secretariat.import_offices(
                read_offices_csv(args.file), Actor.cli()
            )
            print(f"{added} Offices added, {updated} updated.", file=out)
            return EXIT_OK
        if args.offices_command == "show":
            _print_office_detail(
                await service.secretariat.office_detail(args.office, Actor.cli()), out
            )
            return EXIT_OK
        stages = {OfficeStage(stage) for stage in args.stage} if args.stage else None
        statuses = await service.secretariat.office_statuses(Actor.cli(), stages=stages)
    print(
        f"{'code':4}  {'kind':13}  {'invited':7}  {'people':6}  {'answered':8}  {'stage':11}  name",
        file=out,
    )
    for s in statuses:
        print(
            f"{s.office.code:4}  {s.office.kind:13}  {'yes' if s.invited else 'no':7}  "
            f"{s.representatives:6}  {s.answered:8}  {s.stage.value:11}  {s.office.name('en')}",
            file=out,
        )
    return EXIT_OK


def _print_office_detail(detail: OfficeDetail, out: TextIO) -> None:
    office = detail.office
    print(f"{office.code} - {office.name('en')} ({office.kind})", file=out)
    print(f"Stage:         {detail.stage.value}", file=out)
    print(f"Answered:      {detail.answered}/{detail.total}", file=out)
    last = _utc(detail.last_activity) + " UTC" if detail.last_activity else "-"
    print(f"Last activity: {last}", file=out)
    if detail.submitted_at is not None:
        print(
            f"Submitted:     {_utc(detail.submitted_at)} UTC by {detail.submitted_by or '?'}, "
            f"reference {detail.reference or '-'}",
            file=out,
        )
    print(f"Representatives: {len(detail.active_representatives)} active", file=out)
    for entry in detail.representatives:
        person = entry.representative
        removed_at = person.revoked_at
        state = "active" if removed_at is None else f"removed {_utc(removed_at)}"
        print(
            f"  {person.telegram_user_id:<12}  verified {_utc(person.verified_at)}  {state:24}  "
            f"{person.language or '-':2}  {person.full_name or '-'}",
            file=out,
        )
    print(f"Invitations: {len(detail.invitations)}", file=out)
    for summary in detail.invitations:
        invitation = summary.invitation
        uses = f"{invitation.uses}/{invitation.max_uses if invitation.max_uses else 'any'}"
        expires = _utc(invitation.expires_at) if invitation.expires_at else "never"
        if invitation.revoked_at is not None:
            state = f"revoked {_utc(invitation.revoked_at)}"
        else:
            state = "usable" if summary.usable else "not usable"
        print(
            f"  id {invitation.id:<6}  created {_utc(invitation.created_at)}  uses {uses:7}  "
            f"expires {expires:16}  {state}",
            file=out,
        )


async def cmd_invite(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    if args.all:
        return await _invite_pending(args, settings, out)
    if args.office is None:
        print("error: name an Office (e.g. `invite EP`) or use --all", file=sys.stderr)
        return EXIT_CONFIG
    if args.output is not None:
        print("error: --output goes with --all; one code is shown here", file=sys.stderr)
        return EXIT_CONFIG
    async with open_service(settings) as service:
        issued = await service.secretariat.create_invitation(
            args.office,
            Actor.cli(),
            max_uses=None if args.unlimited else args.uses,
            expires_at=args.expires,
        )
    username = settings.bot_username or "<bot username>"
    uses = "any number of" if issued.invitation.max_uses is None else issued.invitation.max_uses
    expires = issued.invitation.expires_at.isoformat() if issued.invitation.expires_at else "never"
    print(f"Invitation for {issued.office.code} - {issued.office.name('en')}", file=out)
    print(f"Code:    {issued.code}", file=out)
    print(f"Link:    {deep_link(username, issued.code)}", file=out)
    print(f"Uses:    {uses} people; expires: {expires}", file=out)
    print("The code is shown only now: the database keeps only its hash.", file=out)
    if settings.bot_username is None:
        print("Set BOT_USERNAME to print the complete link.", file=out)
    return EXIT_OK


async def _invite_pending(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Codes for every pending Office, into a new file: the codes exist nowhere else (the
    database keeps hashes), so the file is opened before any is made, and never replaces an
    earlier batch's file."""
    if args.office is not None:
        print("error: --all invites every pending Office; name no Office", file=sys.stderr)
        return EXIT_CONFIG
    if args.output is None:
        print("error: --all needs --output FILE.csv (the codes go only there)", file=sys.stderr)
        return EXIT_CONFIG
    if settings.bot_username is None:
        print("error: set BOT_USERNAME: the file's links need the bot's username", file=sys.stderr)
        return EXIT_CONFIG
    output: Path = args.output
    complete = False
    with _new_file(output) as target:
        try:
            async with open_service(settings) as service:
                issued = await service.secretariat.invite_pending(
                    Actor.cli(),
                    max_uses=None if args.unlimited else args.uses,
                    expires_at=args.expires,
                )
                try:
                    target.write(invitations_csv(issued, settings.bot_username))
                    target.flush()
                    os.fsync(target.fileno())
                except OSError as exc:
                    # The codes are nowhere else: none may stay usable while nobody knows it.
                    await service.secretariat.revoke_undelivered(issued, Actor.cli())
                    raise ConfigError(
                        f"cannot write {output}: {exc.strerror or exc}; the {len(issued)} new "
                        "code(s) were revoked, so running this again makes new ones"
                    ) from None
                complete = True
        except BaseException:
            if not complete:  # no codes, or codes revoked: leave no partial file behind
                _discard(target, output)
            raise
    print(
        f"{len(issued)} invitation(s) written to {output}; the codes are only in that file "
        "(the database keeps their hashes).",
        file=out,
    )
    return EXIT_OK


def _new_file(path: Path) -> BinaryIO:
    """`path` created for writing; never an existing file (it may hold earlier codes)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("xb")
    except OSError as exc:
        if isinstance(exc, FileExistsError) and not path.is_dir():
            problem = "it exists already (it may hold earlier codes); name a new file"
        else:
            problem = _write_problem(path, exc, "invitations.csv")
        raise ConfigError(f"cannot create {path}: {problem}") from None


def _discard(target: BinaryIO, path: Path) -> None:
    target.close()
    path.unlink(missing_ok=True)


def _write_problem(path: Path, exc: OSError, example: str) -> str:
    if path.is_dir():
        return f"it is a folder; name a file, e.g. {path / example}"
    if isinstance(exc, FileExistsError | NotADirectoryError):
        return "part of the path is a file, not a folder"
    return exc.strerror or str(exc)


async def cmd_invites(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    target = args.target.strip()
    async with open_service(settings) as service:
        if target.isdigit():
            revocation = await service.secretariat.revoke_invitation(int(target), Actor.cli())
        else:
            revocation = await service.secretariat.revoke(target, Actor.cli())
    print(f"{revocation.count} invitation code(s) revoked.", file=out)
    # Revoking a code does not undo its use: say who can still answer, and how to stop them.
    code, active = revocation.office.code, revocation.active_representatives
    if active == 0:
        print(f"No verified representatives of {code} remain active.", file=out)
    else:
        people = (
            f"1 verified representative of {code} remains"
            if active == 1
            else f"{active} verified representatives of {code} remain"
        )
        print(
            f"{people} active: remove them with "
            f"`python -m bot representatives remove {code} <id>` "
            f"(see `python -m bot representatives list {code}`).",
            file=out,
        )
    return EXIT_OK


async def cmd_representatives(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    async with open_service(settings) as service:
        if args.representatives_command == "list":
            office, people = await service.secretariat.representatives(args.office, Actor.cli())
            _print_representatives(office, people, out)
        elif args.all:
            office = await service.secretariat.office(args.office)
            removed = await service.secretariat.remove_all_representatives(
                office.code, Actor.cli(), reason=args.reason
            )
            if removed:
                who = ", ".join(_person(person) for person in removed)
                print(
                    f"Removed {len(removed)} representative(s) of {office.code}: {who}.", file=out
                )
            else:
                print(f"{office.code} has no active representatives: nobody removed.", file=out)
        else:
            office = await service.secretariat.office(args.office)
            person = await service.secretariat.remove_representative(
                office.code, args.telegram_user_id, Actor.cli(), reason=args.reason
            )
            print(
                f"Removed {_person(person)} from {office.code}: "
                "their next action in the bot is refused.",
                file=out,
            )
    return EXIT_OK


def _person(person: Representative) -> str:
    name = f" ({person.full_name})" if person.full_name else ""
    return f"{person.telegram_user_id}{name}"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _print_representatives(
    office: Office, people: Sequence[RepresentativeSummary], out: TextIO
) -> None:
    title = f"{office.code} - {office.name('en')}"
    if not people:
        print(f"{title} has no verified representatives.", file=out)
        return
    active = sum(1 for entry in people if entry.representative.active)
    print(f"{title}: {active} active, {len(people) - active} removed", file=out)
    print(
        f"{'user id':12}  {'verified (UTC)':16}  {'status':24}  {'last changed':12}  name",
        file=out,
    )
    for entry in people:
        person = entry.representative
        removed_at = person.revoked_at
        status = "active" if removed_at is None else f"removed {_utc(removed_at)}"
        print(
            f"{person.telegram_user_id:<12}  {_utc(person.verified_at):16}  {status:24}  "
            f"{entry.last_changed:>12}  {person.full_name or '-'}",
            file=out,
        )


async def cmd_reopen(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    async with open_service(settings) as service:
        reopening = await service.secretariat.reopen(args.office, Actor.cli(), reason=args.reason)
        office, people = reopening.office, len(reopening.representatives)
        print(f"{office.code} is open again ({reopening.response.status.value}).", file=out)
        if settings.bot_token is None:
            print(
                f"Its {people} active representative(s) can change and submit the answers "
                "again; set BOT_TOKEN to have them told (they were not).",
                file=out,
            )
            return EXIT_OK
        from dialogs.secretariat.reopen import reopen_messages

        messages = reopen_messages(reopening, reopening.reason, build_i18n())
        delivery = await _broadcast(settings, service, BroadcastKind.REOPEN, messages)
    print(f"Its representatives were told: {_delivered(delivery)}.", file=out)
    return EXIT_OK


async def cmd_remind(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from dialogs.secretariat.reminders import reminders

    async with open_service(settings) as service:
        secretariat = service.secretariat
        audience = await secretariat.reminder_audience(Actor.cli())
        people = len(audience.recipients)
        print(
            f"A reminder goes to {people} representative(s) of {audience.offices} Office(s) "
            "that have not submitted.",
            file=out,
        )
        if audience.unverified:
            codes = ", ".join(office.code for office in audience.unverified)
            print(f"Invited, nobody verified (write to them by e-mail): {codes}", file=out)
        if not args.send or not people:
            if people:
                print("Add --send to send it.", file=out)
            return EXIT_OK
        if settings.bot_token is None:
            print("error: --send needs BOT_TOKEN", file=sys.stderr)
            return EXIT_CONFIG
        messages = reminders(audience, build_i18n())
        delivery = await _broadcast(settings, service, BroadcastKind.REMIND, messages)
    print(f"Reminders: {_delivered(delivery)}.", file=out)
    return EXIT_OK


async def _broadcast(
    settings: Settings,
    service: SurveyService,
    kind: BroadcastKind,
    messages: Sequence[tuple[int, str]],
) -> Delivery:
    """Messages through the bot, at Telegram's pace, as the running bot sends them: recorded
    first, so that if this command is stopped halfway the bot finishes them (and audits a
    reminder's outcome) at its next look."""
    from bot.broadcast import Broadcaster
    from bot.notify import Notifier
    from bot.runner import create_bot

    broadcaster = Broadcaster(service.broadcasts, Notifier())
    broadcast = await broadcaster.record(kind, messages, actor=Actor.cli())
    bot = create_bot(settings)
    try:
        report = await broadcaster.run(bot, broadcast)
    finally:
        await bot.session.close()
    if report is None:  # a bot took some of them up at the same moment: it reports them
        return Delivery()
    return Delivery(report.delivered, report.blocked, report.failed)


def _delivered(delivery: Delivery) -> str:
    return (
        f"{delivery.sent} delivered, {delivery.blocked} blocked the bot, {delivery.failed} failed"
    )


async def cmd_deadline(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    async with open_service(settings) as service:
        secretariat = service.secretariat
        if args.deadline_command == "set":
            deadline = await secretariat.set_deadline(args.when, Actor.cli())
        elif args.deadline_command == "clear":
            deadline = await secretariat.set_deadline(None, Actor.cli())
        else:
            deadline = await secretariat.deadline(Actor.cli())
        now = service.now()
    if deadline is None:
        print("No deadline: answering stays open.", file=out)
    else:
        state = "open" if now < deadline else "closed"
        print(f"Deadline: {_utc(deadline)} UTC ({state}).", file=out)
    return EXIT_OK


async def cmd_results(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    if args.format in {"xlsx", "docx"} and args.output is None:
        print(f"{args.format} needs --output FILE.{args.format}", file=sys.stderr)
        return EXIT_CONFIG
    async with open_service(settings) as service:
        actor = Actor.cli()
        questionnaire = service.questionnaire
        secretariat = service.secretariat
        digest = await secretariat.digest(actor, include_drafts=args.drafts)
        payload: str | bytes
        if args.format == "text":
            payload = digest_text(digest, questionnaire, args.lang)
        elif args.format == "csv" and args.output is None:  # a terminal or a pipe: no BOM
            payload = answers_csv(await secretariat.export_rows(actor), questionnaire, args.lang)
        else:
            rows = await secretariat.export_rows(actor)
            offices = await secretariat.office_statuses(actor)
            in_force = secretariat.in_force
            data = ResultsData(digest, rows, offices, in_force.questionnaire, in_force)
            payload = results_file(args.format, data, args.lang).data
    if args.output is None:
        assert isinstance(payload, str)
        out.write(payload)
        return EXIT_OK
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(payload, bytes):
            args.output.write_bytes(payload)
        else:
            args.output.write_text(payload, encoding="utf-8", newline="")
    except OSError as exc:
        example = f"results.{'txt' if args.format == 'text' else args.format}"
        problem = _write_problem(args.output, exc, example)
        print(f"error: cannot write the results to {args.output}: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    print(f"Wrote {args.output}", file=sys.stderr)
    return EXIT_OK


async def cmd_paperwork(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """`workbook EP --output F.xlsx` and `pdf EP --output F.pdf`: an Office's files."""
    async with open_service(settings) as service:
        paper = await service.secretariat.office_answers(args.office, Actor.cli())
        questionnaire = service.questionnaire
        key = await service.answering.workbook_key()  # the bot checks what it sends back
    if args.command == "workbook":
        from reports.workbook import office_workbook

        data = await asyncio.to_thread(
            office_workbook,
            paper.office,
            paper.answers,
            questionnaire,
            args.lang,
            exported_at=paper.read_at,
            key=key,
        )
    else:
        from reports.pdf import answers_pdf  # fpdf: not at every `python -m bot` start

        data = await asyncio.to_thread(
            answers_pdf,
            paper.office,
            paper.answers,
            questionnaire,
            args.lang,
            receipt=paper.receipt,
            generated_at=paper.read_at,
        )
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_bytes(data)
    except OSError as exc:
        example = f"{paper.office.code}.{'xlsx' if args.command == 'workbook' else 'pdf'}"
        problem = _write_problem(args.output, exc, example)
        print(f"error: cannot write {args.output}: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    print(f"Wrote {args.output}", file=sys.stderr)
    return EXIT_OK


async def cmd_questionnaire(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    if args.questionnaire_command == "template":
        from reports.questionnaire_workbook import questionnaire_template

        questionnaire = await questionnaire_in_force(settings)
        return _write_new(args.file, questionnaire_template(questionnaire), "questionnaire.xlsx")
    questionnaire = load_questionnaire(args.file)
    if args.questionnaire_command == "import":
        text = questionnaire_to_yaml(questionnaire).encode("utf-8")
        return _write_new(args.output, text, "questionnaire.yaml")
    wording = (
        "the project's working summary, not the official text"
        if questionnaire.is_working_summary
        else "official wording"
    )
    levels = ", ".join(level.label("en") for level in questionnaire.scale)
    print(
        f"{args.file}: OK - {questionnaire.id}, {len(questionnaire)} Recommendations in "
        f"en, fr, es; scale: {levels}; {wording}.",
        file=out,
    )
    return EXIT_OK


def _write_new(path: Path, payload: bytes, example: str) -> int:
    """Write a file that must not exist yet: a template or an import never replaces work."""
    try:
        with path.open("xb") as file:
            file.write(payload)
    except FileExistsError:
        if path.is_dir():
            print(
                f"error: cannot write {path}: it is a folder; name a file, e.g. {path / example}",
                file=sys.stderr,
            )
        else:
            print(
                f"error: {path} already exists; it is never replaced: name a new file",
                file=sys.stderr,
            )
        return EXIT_CONFIG
    except OSError as exc:
        print(f"error: cannot write {path}: {_write_problem(path, exc, example)}", file=sys.stderr)
        return EXIT_CONFIG
    print(f"Wrote {path}", file=sys.stderr)
    return EXIT_OK


async def cmd_privacy(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from bot.purge_state import clear_dialog_state, count_dialog_state

    if args.force and not args.apply:
        print("error: --force goes with --apply", file=sys.stderr)
        return EXIT_CONFIG
    async with open_service(settings) as service:
        if args.apply:
            try:
                counts = await service.purge.apply(Actor.cli(), force=args.force)
            except Refused as refusal:
                deadline = refusal.details.get("deadline")
                closing = f" (deadline {_utc(deadline)} UTC)" if deadline else " (no deadline)"
                message = REFUSALS[refusal.reason].format(closing=closing)
                print(f"error: {message}", file=sys.stderr)
                return EXIT_REFUSED
            dialogs = await clear_dialog_state(settings)
        else:
            counts = await service.purge.plan(Actor.cli())
            dialogs = await count_dialog_state(settings)
        now = service.now()
    verb = "were" if counts.applied else "would be"
    print(
        f"{counts.representatives} representative(s) {verb} replaced by a pseudonym, "
        f"{counts.invitations} invitation code(s) {verb} deleted, {counts.preferences} "
        f"stored language choice(s) {verb} deleted, {dialogs} dialog state entry(ies) "
        f"{verb} cleared.",
        file=out,
    )
    if counts.applied:
        print(
            "Done. Restart the bot if it runs, so that nothing it holds in memory outlives "
            "the purge; backups and files already downloaded keep what they held.",
            file=out,
        )
        return EXIT_OK
    if counts.deadline is None or now < counts.deadline:
        when = f"until {_utc(counts.deadline)} UTC" if counts.deadline else "(no deadline set)"
        print(f"The survey is open {when}: --apply needs --force before then.", file=out)
    print("Add --apply to do it.", file=out)
    return EXIT_OK


async def cmd_catalogs(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from bot.catalogs import update_catalogs

    for po in update_catalogs():
        print(f"Updated {po}", file=out)
    return EXIT_OK


COMMANDS: dict[str, Command] = {
    "sandbox": cmd_sandbox,
    "catalogs": cmd_catalogs,
    "privacy": cmd_privacy,
    "run": cmd_run,
    "db": cmd_db,
    "offices": cmd_offices,
    "invite": cmd_invite,
    "invites": cmd_invites,
    "representatives": cmd_representatives,
    "reopen": cmd_reopen,
    "remind": cmd_remind,
    "deadline": cmd_deadline,
    "results": cmd_results,
    "questionnaire": cmd_questionnaire,
    "workbook": cmd_paperwork,
    "pdf": cmd_paperwork,
}


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    command = args.command
    try:
        settings = load_settings()
        if command is None:
            # Plain `python -m bot`: the real bot with a token, else the offline sandbox.
            command = "run" if settings.bot_token else "sandbox"
            args = build_parser().parse_args([command])
        configure_logging(settings)
        if command == "sandbox":
            # The terminal is the chat; the bot's own log goes to its file.
            logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
            quiet_chatty_loggers()
        if settings.log_level != "DEBUG":
            # Alembic narrates every migration step at INFO; operators need only problems.
            logging.getLogger("alembic").setLevel(logging.WARNING)
        return asyncio.run(COMMANDS[command](args, settings, out))
    except QuestionnaireError as exc:
        from reports.questionnaire_problems import describe_problem

        for problem in exc.problems:
            print(f"error: {exc.origin}: {describe_problem(problem, 'en')}", file=sys.stderr)
        return EXIT_CONFIG
    except (ConfigError, OfficesFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except Refused as refusal:
        template = REFUSALS.get(refusal.reason, refusal.reason.value.replace("_", " "))
        print("error: " + template.format(message=refusal, **refusal.details), file=sys.stderr)
        return EXIT_REFUSED
