"""The questionnaire in force, stored in the database with its versions, and the Secretariat's
use case that puts a new one in force.

Every process reads the version in force from the database: `refresh` (at the start of each
update, before each job) compares the newest version number with the one this process holds,
one indexed read, and loads the content only when it changed. On an empty database the
configured file becomes version 1, whichever process gets there first.

Texts may change while answers exist (the answers stay; each records the version it was given
under, and an answer older than its Recommendation's last text change is marked for its Office
to check). Structure may not: stored answers point at numbers and level codes, the ranking at
scores (`survey.questionnaire_diff`). What the preview shows as refused is what
`put_in_force` refuses, read from the same diff.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from survey import rules
from survey.errors import Reason, Refused
from survey.model import Actor
from survey.ports import SurveyStore
from survey.questionnaire import Questionnaire, questionnaire_from_data, questionnaire_to_data
from survey.questionnaire_diff import (
    QuestionnaireDiff,
    StructureChange,
    StructureKind,
    TextChange,
    diff,
)
from survey.setup import InForce, SurveySetup, TextUpdate, WordingChange

__all__ = [
    "CONFIGURED_BY",
    "PUT_IN_FORCE",
    "QuestionnaireChange",
    "QuestionnaireVersion",
    "QuestionnaireVersions",
    "StoredVersion",
    "changes_from_data",
    "changes_to_data",
]

PUT_IN_FORCE = "questionnaire.put_in_force"
# Who version 1 is from when it is the configured file (QUESTIONNAIRE_PATH or the shipped one).
CONFIGURED_BY = "system:configuration"
# In a version's `changes`: how many answers existed when it was put in force.
ANSWERS_KEY = "answers"
# The parts of a Recommendation whose change a representative is asked to check.
_ANSWERED_PARTS = ("title", "statement")


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """One row of the questionnaire's versions as the store reads it. `content` is None when
    only the history was asked for (`questionnaire_version_history`)."""

    number: int
    questionnaire_id: str
    wording: str
    checksum: str
    changes: Mapping[str, Any]  # `changes_to_data` of the diff from the version before
    by: str  # the actor's label
    by_user: int | None  # the Telegram user, when a person in the chat did it
    at: datetime
    content: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class QuestionnaireVersion:
    """A version as the Secretariat is shown it: number, wording kind, checksum, who put it
    in force and when, and what it changed from the version before (empty for version 1)."""

    number: int
    questionnaire: Questionnaire
    wording: str
    checksum: str
    by: str
    by_user: int | None
    at: datetime
    changes: QuestionnaireDiff


@dataclass(frozen=True, slots=True)
class QuestionnaireChange:
    """What putting `new` in force would do, against the version `in_force`.

    `refused` lists the structure changes refused because `answers` answers exist (empty when
    the change is allowed); `identical`: the same content (nothing to put in force)."""

    in_force: QuestionnaireVersion
    new: Questionnaire
    diff: QuestionnaireDiff
    identical: bool
    answers: int
    refused: tuple[StructureChange, ...]

    @property
    def allowed(self) -> bool:
        return not self.identical and not self.refused


def changes_to_data(changes: QuestionnaireDiff) -> dict[str, Any]:
    """A diff as JSON-safe data, for the version's row and the audit trail."""
    return {
        "texts": [
            {"number": c.number, "part": c.part, "languages": list(c.languages)}
            for c in changes.texts
        ],
        "structure": [
            {"kind": c.kind.value, "before": c.before, "after": c.after} for c in changes.structure
        ],
    }


def changes_from_data(data: Mapping[str, Any]) -> QuestionnaireDiff:
    return QuestionnaireDiff(
        texts=tuple(
            TextChange(item["number"], item["part"], tuple(item["languages"]))
            for item in data.get("texts", ())
        ),
        structure=tuple(
            StructureChange(StructureKind(item["kind"]), item["before"], item["after"])
            for item in data.get("structure", ())
        ),
    )


def _text_updates(history: list[StoredVersion]) -> Mapping[int, TextUpdate]:
    """Per Recommendation, the latest version that changed its title or statement. A version
    that changed the structure starts afresh: numbers before it may mean something else (it
    was allowed only while no answer existed)."""
    updates: dict[int, TextUpdate] = {}
    for version in sorted(history, key=lambda v: v.number):
        changes = changes_from_data(version.changes)
        if changes.structure:
            updates.clear()
        for change in changes.texts:
            if change.number is not None and change.part in _ANSWERED_PARTS:
                updates[change.number] = TextUpdate(version.number, version.at)
    return MappingProxyType(updates)


def _changed_after_answers(history: list[StoredVersion]) -> tuple[WordingChange, ...]:
    """The title and statement changes of the versions put in force while answers existed
    (since the last change of structure), latest per Recommendation, by number."""
    latest: dict[int, WordingChange] = {}
    for version in sorted(history, key=lambda v: v.number):
        changes = changes_from_data(version.changes)
        if changes.structure:
            latest.clear()
        if not version.changes.get(ANSWERS_KEY):
            continue
        for change in changes.texts:
            if change.number is not None and change.part in _ANSWERED_PARTS:
                latest[change.number] = WordingChange(change.number, version.number, version.at)
    return tuple(latest[number] for number in sorted(latest))


def _origin(number: int) -> str:
    return f"database (questionnaire version {number})"


class QuestionnaireVersions:
    def __init__(self, setup: SurveySetup) -> None:
        self._setup = setup
        self._stores = setup.stores
        self._holder = setup.in_force

    @property
    def current(self) -> InForce:
        """The version this process holds, without I/O (as of the last `refresh`)."""
        return self._holder.current

    async def refresh(self, *, store_configured: bool = True) -> InForce:
        """The version in force, read again if the database has another one than this process
        holds: one indexed read when nothing changed. Stores the configured file as version 1
        on an empty database (unless not `store_configured`: a process that only reads then
        goes on with the configured file)."""
        async with self._stores.reads() as reads:  # no transaction, no lock: every update
            newest = await reads.newest_questionnaire_version()
        if newest is not None and newest == self._holder.number:
            return self._holder.current
        if newest is None and not store_configured:
            return self._holder.current
        async with self._stores() as store:
            newest = await store.newest_questionnaire_version()
            if newest is None:
                await self._store_configured(store)
                newest = await store.newest_questionnaire_version()
                assert newest is not None
            if newest != self._holder.number:
                await self._load(store, newest)
        return self._holder.current

    async def in_force(self) -> QuestionnaireVersion:
        """The version in force, with who put it in force, when, and what it changed."""
        await self.refresh()
        async with self._stores() as store:
            return await self._version(store, self._holder.current)

    async def preview(self, new: Questionnaire) -> QuestionnaireChange:
        """What putting `new` in force would change; nothing is stored."""
        await self.refresh()
        async with self._stores() as store:
            in_force = await self._version(store, self._holder.current)
            return await self._change(store, in_force, new)

    async def put_in_force(
        self, new: Questionnaire, *, actor: Actor, expected_number: int
    ) -> QuestionnaireVersion:
        """Store `new` as the next version and use it at once, in this process and (at their
        next update) every other. `expected_number`: the version the preview was made
        against; another one in force since is refused (`QUESTIONNAIRE_CHANGED_SINCE`), and so
        are the same content (`QUESTIONNAIRE_IDENTICAL`) and a structure change while answers
        exist (`QUESTIONNAIRE_STRUCTURE_LOCKED`). Audited."""
        rules.check_secretariat(actor, self._setup.admin_ids)
        await self.refresh()
        now = self._setup.now()
        async with self._stores() as store:
            newest = await store.newest_questionnaire_version()
            if newest != self._holder.number:  # put in force elsewhere since our read
                assert newest is not None
                await self._load(store, newest)
            in_force = await self._version(store, self._holder.current)
            if in_force.number != expected_number:
                raise Refused(
                    Reason.QUESTIONNAIRE_CHANGED_SINCE,
                    in_force=in_force.number,
                    expected=expected_number,
                    by=in_force.by,
                    at=in_force.at,
                )
            change = await self._change(store, in_force, new)
            if change.identical:
                raise Refused(Reason.QUESTIONNAIRE_IDENTICAL, in_force=in_force.number)
            if change.refused:
                raise Refused(
                    Reason.QUESTIONNAIRE_STRUCTURE_LOCKED,
                    changes=change.refused,
                    answers=change.answers,
                )
            number = in_force.number + 1
            changes = {**changes_to_data(change.diff), ANSWERS_KEY: change.answers}
            stored = StoredVersion(
                number=number,
                questionnaire_id=new.id,
                wording=new.wording,
                checksum=new.checksum,
                changes=changes,
                by=actor.label,
                by_user=int(actor.id) if actor.kind == "telegram" else None,
                at=now,
                content=questionnaire_to_data(new),
            )
            if not await store.add_questionnaire_version(stored):
                # Another process stored that number between our read and our write.
                raise Refused(
                    Reason.QUESTIONNAIRE_CHANGED_SINCE,
                    in_force=number,
                    expected=expected_number,
                    by="",
                    at=now,
                )
            await store.audit(
                actor,
                PUT_IN_FORCE,
                now=now,
                details={
                    "number": number,
                    "questionnaire_id": new.id,
                    "wording": new.wording,
                    "checksum": stored.checksum,
                    "changes": changes,
                },
            )
            await store.commit()
            await self._load(store, number)
            return await self._version(store, self._holder.current)

    # ---------------------------------------------------------------------------------------

    async def _store_configured(self, store: SurveyStore) -> None:
        configured = self._holder.configured
        added = await store.add_questionnaire_version(
            StoredVersion(
                number=1,
                questionnaire_id=configured.id,
                wording=configured.wording,
                checksum=configured.checksum,
                changes=changes_to_data(QuestionnaireDiff((), ())),
                by=CONFIGURED_BY,
                by_user=None,
                at=self._setup.now(),
                content=questionnaire_to_data(configured),
            )
        )
        if added:  # else another process stored it a moment ago
            await store.commit()

    async def _load(self, store: SurveyStore, number: int) -> None:
        stored = await store.questionnaire_version(number)
        assert stored is not None
        assert stored.content is not None
        if stored.checksum == self._holder.configured.checksum:
            # The configured file itself: the object already checked (and its path) serves.
            questionnaire = self._holder.configured
        else:
            questionnaire = questionnaire_from_data(stored.content, origin=_origin(number))
        history = await store.questionnaire_version_history()
        self._holder.current = InForce(
            number,
            questionnaire,
            _text_updates(history),
            stored.wording,
            _changed_after_answers(history),
        )

    async def _version(self, store: SurveyStore, current: InForce) -> QuestionnaireVersion:
        stored = await store.questionnaire_version(current.number, content=False)
        assert stored is not None
        return QuestionnaireVersion(
            number=stored.number,
            questionnaire=current.questionnaire,
            wording=stored.wording,
            checksum=stored.checksum,
            by=stored.by,
            by_user=stored.by_user,
            at=stored.at,
            changes=changes_from_data(stored.changes),
        )

    async def _change(
        self, store: SurveyStore, in_force: QuestionnaireVersion, new: Questionnaire
    ) -> QuestionnaireChange:
        changes = diff(in_force.questionnaire, new)
        identical = new.checksum == in_force.checksum
        answers = await store.count_answers(in_force.questionnaire.id)
        refused = changes.structure if answers else ()
        return QuestionnaireChange(in_force, new, changes, identical, answers, refused)
