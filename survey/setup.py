"""What every use case shares: where the data is, which questionnaire, the initial deadline,
who the Secretariat is, and the clock; plus the lookups each unit of work starts with."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType

from survey import rules
from survey.errors import Reason, Refused
from survey.model import DeadlineSetting, Office, Representative, ResponseRecord
from survey.offices import normalize_office_code
from survey.ports import DraftStore, StoreFactory, SurveyStore
from survey.questionnaire import Questionnaire


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class TextUpdate:
    """The latest version that changed a Recommendation's title or statement: an answer given
    under an earlier version is marked for its Office to check."""

    version: int
    at: datetime


@dataclass(frozen=True, slots=True)
class WordingChange:
    """A Recommendation's title or statement changed by version `version`, put in force at
    `at` while answers existed: the reports list these."""

    number: int
    version: int
    at: datetime


@dataclass(frozen=True, slots=True)
class InForce:
    """The questionnaire version this process uses. `number` 0: the configured file, while
    the database holds no version yet (survey/questionnaire_versions.py stores it as 1)."""

    number: int
    questionnaire: Questionnaire
    text_updates: Mapping[int, TextUpdate] = field(default_factory=lambda: MappingProxyType({}))
    wording: str = ""  # the stored version's wording kind ("" before the first read)
    changed_after_answers: tuple[WordingChange, ...] = ()

    @property
    def version(self) -> int:
        """The number to name: the configured file is version 1 once stored."""
        return max(self.number, 1)

    def earlier_answers(self, answers: Iterable[tuple[int, int]]) -> dict[int, int]:
        """Recommendation -> how many of these (Recommendation, version) answers were given
        under an earlier text than its current one."""
        counts: dict[int, int] = {}
        for number, version in answers:
            if self.updated_since(number, version) is not None:
                counts[number] = counts.get(number, 0) + 1
        return counts

    def updated_since(self, number: int, answered_under: int) -> TextUpdate | None:
        """The text change of Recommendation `number` an answer given under version
        `answered_under` has not seen, if any."""
        update = self.text_updates.get(number)
        return update if update is not None and update.version > answered_under else None


class QuestionnaireInForce:
    """Holds the version in force in this process; `survey.questionnaire_versions` replaces it
    when the database has a newer one. Read without I/O, so windows can render from it."""

    def __init__(self, configured: Questionnaire) -> None:
        self.configured = configured
        self.current = InForce(0, configured)

    @property
    def questionnaire(self) -> Questionnaire:
        return self.current.questionnaire

    @property
    def number(self) -> int:
        return self.current.number


@dataclass(frozen=True, slots=True)
class SurveySetup:
    stores: StoreFactory
    in_force: QuestionnaireInForce
    # SURVEY_DEADLINE: the closing time until the Secretariat sets one, which is stored in the
    # database (`effective_deadline`). Never compare with this directly.
    deadline: datetime | None = None
    admin_ids: frozenset[int] = frozenset()
    clock: Callable[[], datetime] = utcnow

    def now(self) -> datetime:
        return self.clock()

    @property
    def questionnaire(self) -> Questionnaire:
        """The version in force as this process last read it (kept current by
        `QuestionnaireVersions.refresh`, at the start of every update)."""
        return self.in_force.questionnaire


async def effective_deadline(store: SurveyStore, setup: SurveySetup) -> datetime | None:
    """The closing time now: the one the Secretariat stored, else the configured one. Read in
    each unit of work (one primary-key lookup), so a change needs no restart on any replica."""
    return _in_force(setup, await store.deadline_setting(setup.questionnaire.id))


def _in_force(setup: SurveySetup, stored: DeadlineSetting | None) -> datetime | None:
    return setup.deadline if stored is None else stored.deadline


async def office_by_code(store: SurveyStore, code: str) -> Office:
    try:
        normalized = normalize_office_code(code)
    except ValueError:
        raise Refused(Reason.UNKNOWN_OFFICE, code=code) from None
    office = await store.office_by_code(normalized)
    if office is None:
        raise Refused(Reason.UNKNOWN_OFFICE, code=normalized)
    return office


async def office_by_id(store: SurveyStore, office_id: int) -> Office:
    office = await store.office_by_id(office_id)
    if office is None:  # a foreign key makes this impossible; say so loudly if it happens
        raise LookupError(f"office {office_id} is missing")
    return office


async def active_representative(store: SurveyStore, telegram_user_id: int) -> Representative:
    """The person as a representative allowed to act, or refused with the reason why."""
    return await _allowed(store, await store.representative(telegram_user_id))


async def active_writer(
    store: SurveyStore, setup: SurveySetup, telegram_user_id: int
) -> tuple[Representative, datetime | None]:
    """`active_representative` and `effective_deadline` in one read: what every answer,
    the progress and the review start with."""
    representative, stored = await store.representative_and_deadline(
        telegram_user_id, setup.questionnaire.id
    )
    return await _allowed(store, representative), _in_force(setup, stored)


@dataclass(frozen=True, slots=True)
class DraftWriter:
    """What the usual write reads first (`unlocked_draft`): an active representative, their
    Office's response, a draft, and the stored deadline setting. Kept between a person's
    writes (survey/answering.py): each write checks in the same step that it still holds."""

    representative: Representative
    response: ResponseRecord
    setting: DeadlineSetting | None

    def deadline(self, setup: SurveySetup) -> datetime | None:
        return _in_force(setup, self.setting)


async def unlocked_draft(
    store: DraftStore, setup: SurveySetup, telegram_user_id: int
) -> DraftWriter | None:
    """The usual case of a write, read in one step that takes no lock: an active
    representative and their Office's response, a draft. None for anything else (and for an
    Office without a response yet): then `active_writer` and `locked_response` say why, or
    create the response. Whether the survey is open is the caller's to check, for the
    moment of each write."""
    representative, stored, response = await store.writer(telegram_user_id, setup.questionnaire.id)
    if representative is None or not representative.active:
        return None
    if response is None or response.submitted:
        return None
    return DraftWriter(representative, response, stored)


async def _allowed(store: SurveyStore, representative: Representative | None) -> Representative:
    # A removed representative is told which Office they were removed from: read only then.
    office = None
    if representative is not None and not representative.active:
        office = await office_by_id(store, representative.office_id)
    return rules.check_active(representative, office)


async def locked_response(
    store: SurveyStore, office_id: int, questionnaire_id: str, now: datetime
) -> ResponseRecord:
    """The Office's response, locked against a concurrent submission until commit."""
    response = await store.response(office_id, questionnaire_id, lock=True)
    if response is None:  # the Office's first answer: create the row, then lock it
        await store.ensure_response(office_id, questionnaire_id, now)
        response = await store.response(office_id, questionnaire_id, lock=True)
    assert response is not None
    return response
