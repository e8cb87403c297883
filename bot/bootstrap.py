"""The one composition root: the survey service from settings (database migrated, shipped
Offices loaded), and the dispatcher around it. Used by `python -m bot run`, the command line,
the sandbox, the tests and the benchmarks, so that all of them run the same wiring.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.utils.i18n import I18n
from aiogram_dialog import setup_dialogs
from aiogram_dialog.api.protocols import MessageManagerProtocol
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from bot import commands, errors, guards, secretariat
from bot.broadcast import Broadcaster
from bot.config import ConfigError, Settings
from bot.dialog_guard import (
    CheckedDialogStorage,
    OwnChatAccess,
    RequireDialogManager,
    StrangerFilter,
    known_states,
)
from bot.dialog_state import chat_isolation, check_dialog_state
from bot.holds import HOLDS, Holds
from bot.i18n import LocaleMiddleware, build_i18n
from bot.jobs import JobRunner
from bot.notify import Notifier
from bot.poison import POISON, Poison
from bot.privacy_notice import configured_notice
from bot.privacy_purge import BotPurge
from bot.questionnaire_refresh import QuestionnaireRefresh
from bot.scheduler import Scheduler
from bot.upload_checker import UploadChecker
from dialogs import answering_dialog, language, onboarding, paperwork, personal_data, privacy
from dialogs import help as help_dialog
from dialogs.jobs import ResultsFiles
from dialogs.presses import SurveyMessageManager
from dialogs.secretariat import questionnaire as secretariat_questionnaire
from dialogs.secretariat import reminders
from dialogs.secretariat import results as secretariat_results
from storage.db import SqlStoreFactory, create_engine
from storage.schema_version import MigrationTargetError, at_head
from survey.broadcasts import BroadcastReport
from survey.jobs import JobRules
from survey.offices import shipped_offices
from survey.questionnaire import Questionnaire, load_questionnaire
from survey.service import SurveyService
from webapp.context import LOCALE_MIDDLEWARE

log = logging.getLogger(__name__)


def safe_url(url: str) -> str:
    """The database URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def load_configured_questionnaire(settings: Settings, *, announce: bool = False) -> Questionnaire:
    """Load and validate the questionnaire; at start-up (`announce`), say which one it is."""
    questionnaire = load_questionnaire(settings.questionnaire_path)
    if not announce:
        return questionnaire
    log.info(
        "Questionnaire %r loaded from %s (%d Recommendations, wording: %s)",
        questionnaire.id,
        questionnaire.path,
        len(questionnaire),
        questionnaire.wording,
    )
    if questionnaire.is_working_summary:
        log.warning(
            "The loaded questionnaire is the project's working summary, not the official "
            "wording: set QUESTIONNAIRE_PATH to a file with the official text before launch"
        )
    return questionnaire


async def prepare_database(
    settings: Settings, revision: str = "head", *, downgrade: bool = False
) -> None:
    """Migrate the schema (to the newest revision unless told otherwise). Replicas starting
    together may all call this: one migrates, the others wait and find nothing to do
    (storage/migrations/env.py)."""
    try:
        if not downgrade and revision == "head" and await at_head(settings.database_url):
            return  # the usual start: nothing to migrate, and Alembic is not even loaded
        # Alembic is imported only now, when there is something to migrate.
        from storage.migrate import downgrade_async, upgrade_async

        if downgrade:
            await downgrade_async(settings.database_url, revision)
        else:
            await upgrade_async(settings.database_url, revision)
    except (OperationalError, DBAPIError, OSError) as exc:
        raise ConfigError(
            f"cannot use the database at {safe_url(settings.database_url)}: {_first_line(exc)}"
        ) from None
    except MigrationTargetError as exc:
        raise ConfigError(str(exc)) from None


@asynccontextmanager
async def open_service(
    settings: Settings,
    *,
    questionnaire: Questionnaire | None = None,
    prepare: bool = True,
    read_only: bool = False,
) -> AsyncIterator[SurveyService]:
    # A bad questionnaire file should stop us before anything touches the database.
    questionnaire = questionnaire or load_configured_questionnaire(settings)
    configured_notice(settings)  # the same for the privacy notice's file
    if prepare:
        await prepare_database(settings)
    engine = create_engine(settings.database_url, read_only=read_only)
    stores = SqlStoreFactory(engine)
    try:
        service = SurveyService(
            stores,
            questionnaire,
            deadline=settings.survey_deadline,
            admin_ids=settings.admin_ids,
        )
        if prepare:
            await _seed_offices(service)
        await _read_questionnaire_in_force(service, announce=prepare, store=not read_only)
        yield service
    except (OperationalError, DBAPIError) as exc:
        raise ConfigError(
            f"database error at {safe_url(settings.database_url)}: {_first_line(exc)}"
        ) from None
    finally:
        await engine.dispose()


async def questionnaire_in_force(settings: Settings) -> Questionnaire:
    """The questionnaire the survey asks now: what the template, the command line and the
    Secretariat's preview start from. The newest version stored in the database (the
    configured file, stored as version 1, on an empty one)."""
    async with open_service(settings) as service:
        return service.questionnaire


async def _read_questionnaire_in_force(
    service: SurveyService, *, announce: bool, store: bool
) -> None:
    in_force = await service.questionnaires.refresh(store_configured=store)
    configured = service.setup.in_force.configured
    if announce and in_force.questionnaire.checksum != configured.checksum:
        # The database's version wins: the file is only the first version of an empty one.
        log.warning(
            "The questionnaire in force is version %d from the database (%r, wording: %s), "
            "not the configured file %s: put a new version in force with /questionnaire",
            in_force.number,
            in_force.questionnaire.id,
            in_force.questionnaire.wording,
            configured.path,
        )


async def _seed_offices(service: SurveyService) -> None:
    try:
        added = await service.secretariat.seed_offices(shipped_offices)
    except IntegrityError:
        # Another replica starting at the same moment on the same empty database loaded
        # them first (PostgreSQL; SQLite's BEGIN IMMEDIATE makes the second one wait).
        log.info("The shipped list of Offices was loaded by another process")
        return
    if added:
        log.info("Loaded the shipped list of %d Offices", added)


def _first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip() or type(original).__name__
    return text.splitlines()[0]


def create_dispatcher(
    settings: Settings,
    service: SurveyService,
    *,
    storage: BaseStorage | None = None,
    message_manager: MessageManagerProtocol | None = None,
    i18n: I18n | None = None,
    notifier: Notifier | None = None,
    upload_checker: UploadChecker | None = None,
    results_files: ResultsFiles | None = None,
) -> Dispatcher:
    # Dialog state is only where a person is on screen; everything that matters is in the
    # database. `python -m bot run` passes a file-backed or Redis storage (bot/dialog_state.py)
    # so that an update delivered again after a crash finds its window; tests pass their own.
    i18n = i18n or build_i18n()
    known_i18n = i18n

    async def report(bot: Bot, finished: BroadcastReport) -> None:
        await reminders.report_reminders(bot, known_i18n, finished)

    broadcaster = Broadcaster(service.broadcasts, notifier or Notifier(), report)
    storage = storage or MemoryStorage()
    purge = BotPurge(
        service.purge,
        settings,
        storage,
        broadcaster,
        i18n,
        service.enrolment.language,
        service.now,
    )
    scheduler = Scheduler(
        service.secretariat, broadcaster, i18n, settings.reminder_offsets, purge=purge
    )
    # Uploaded files are checked in worker processes, started at the first upload (the
    # runner starts them at once); one given is its giver's to close.
    own_checker = upload_checker is None
    checker = upload_checker or UploadChecker.from_settings(settings)
    jobs = JobRunner(
        service.jobs.with_rules(JobRules(lease=timedelta(seconds=settings.job_lease_seconds))),
        {
            **paperwork.job_makers(),
            **secretariat_results.job_makers(),
            **secretariat_questionnaire.job_makers(),
        },
        i18n,
        answering=service.answering,
        secretariat=service.secretariat,
        upload_checker=checker,
        # The bot's process passes bot/file_worker.py's; tests make them in a thread.
        results_files=results_files or secretariat_results.results_files_in_a_thread,
        workers=settings.job_workers,
        questionnaires=service.questionnaires,
    )
    # One update at a time per chat: two quick taps, or a tap and a command, must not race on
    # the same dialog stack when updates are handled concurrently (by several replicas too,
    # with Redis).
    isolation = chat_isolation(storage)
    states: list[Callable[[], frozenset[str]]] = []
    # A stored stack or window aiogram-dialog could not load is read as absent (the chat
    # starts afresh) rather than failing every update of that chat (bot/dialog_guard.py).
    checked = CheckedDialogStorage(storage, lambda: states[0]())
    dispatcher = Dispatcher(
        storage=checked,
        events_isolation=isolation,
        # What handlers and getters take by name (dialogs/deps.py lists them).
        enrolment=service.enrolment,
        answering=service.answering,
        secretariat=service.secretariat,
        questionnaires=service.questionnaires,
        privacy=service.privacy,
        settings=settings,
        notifier=broadcaster,
        scheduler=scheduler,
        jobs=jobs,  # dialogs.jobs.JOBS
        privacy_purge=purge,  # dialogs.deps.PRIVACY_PURGE
        # The Secretariat's notice file is read (and checked) once, here, at start-up.
        privacy_notice=configured_notice(settings),  # dialogs.privacy.PRIVACY_NOTICE
        acknowledgements=service.privacy,  # dialogs.privacy.ACKNOWLEDGEMENTS
    )
    # Order matters: commands and guards before the dialogs (a dialog window would otherwise
    # take "/continue" as typed text), the fallback after them.
    dispatcher.include_routers(
        errors.errors_router(),
        guards.guards_router(),
        secretariat.secretariat_router(),
        commands.commands_router(),
        onboarding.build_dialog(),
        answering_dialog.build_dialog(),
        language.build_dialog(),
        help_dialog.build_dialog(),
        privacy.build_dialog(),
        personal_data.build_dialog(),
        commands.fallback_router(),
    )
    states.append(known_states(dispatcher))
    # Every update starts with the questionnaire in force (a new version shows at once).
    dispatcher.update.outer_middleware(QuestionnaireRefresh(service.questionnaires))
    # Before aiogram-dialog's middlewares: in a private chat only its own user acts.
    strangers = StrangerFilter()
    dispatcher.message.outer_middleware(strangers)
    dispatcher.callback_query.outer_middleware(strangers)
    # The same isolation for aiogram-dialog's own lock on each dialog stack (its default is
    # one of this process only).
    jobs.dialogs = setup_dialogs(
        dispatcher,
        message_manager=message_manager or SurveyMessageManager(),
        stack_access_validator=OwnChatAccess(),
        events_isolation=isolation,
    )
    # After aiogram-dialog's: the one place that makes sure no handler runs without the
    # dialog manager it takes.
    require_manager = RequireDialogManager()
    dispatcher.message.middleware(require_manager)
    dispatcher.callback_query.middleware(require_manager)
    dispatcher.errors.middleware(require_manager)

    async def finish_notifications() -> None:  # at shutdown: what is still going out
        await scheduler.stop()
        await jobs.stop()
        await broadcaster.drain()

    async def stop_checks() -> None:  # at shutdown: a check still running is abandoned
        if own_checker:
            await checker.close()

    async def check_storage() -> None:  # first at start-up: Redis answers, or one line
        await check_dialog_state(storage)

    dispatcher.startup.register(check_storage)
    dispatcher.startup.register(scheduler.start)
    dispatcher.startup.register(jobs.start)
    dispatcher.shutdown.register(finish_notifications)
    dispatcher.shutdown.register(stop_checks)
    # After setup_dialogs: the middleware attaches to the observers that exist now, including
    # the one aiogram-dialog adds for its background updates.
    # With REDIS_URL there are several replicas: the language is read from the database on
    # every update rather than kept in this process (see LocaleMiddleware).
    replicas = settings.redis_url is not None
    locales = LocaleMiddleware(i18n, service.enrolment.language, shared=replicas)
    locales.setup(dispatcher)
    purge.forget_languages = locales.forget_all
    # The Mini App's API speaks the same catalogs and keeps the same memory of languages.
    dispatcher[LOCALE_MIDDLEWARE] = locales
    # What the transports do with an update that meets an outage (bot/holds.py).
    dispatcher[HOLDS] = Holds(i18n, locales.known_locale, limit=settings.outage_hold_seconds)
    # What they do with an update that killed processes before (bot/poison.py); it records
    # nothing until `python -m bot run` gives it a record.
    dispatcher[POISON] = Poison(i18n, locales.locale_for, settings.contact_email)
    return dispatcher
