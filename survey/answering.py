"""Answering, by a verified representative for their Office: a level or a comment per
Recommendation, the progress, the review, and the one submission that locks the answers."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from survey import rules
from survey.broadcasts import BroadcastKind, record_broadcast
from survey.errors import Reason, Refused
from survey.model import (
    Actor,
    Addressee,
    AnswerRecord,
    Receipt,
    Representative,
    ResponseRecord,
    ResponseStatus,
)
from survey.ports import DraftStore, SurveyStore
from survey.questionnaire import Questionnaire
from survey.questionnaire_versions import QuestionnaireVersions
from survey.setup import (
    DraftWriter,
    SurveySetup,
    TextUpdate,
    active_representative,
    active_writer,
    locked_response,
    office_by_id,
    unlocked_draft,
)
from survey.views import (
    OfficeAnswers,
    Progress,
    Review,
    ReviewItem,
    Submission,
    progress_of,
    wording_updated,
)
from survey.workbook_key import WorkbookKey

# A representative confirmed an answer after its Recommendation's text changed.
ANSWER_CONFIRMED = "answer.confirm"
# People whose last write is kept (a few bytes each; the survey has a few hundred).
KEPT_WRITERS = 10_000
# The messages telling a submission's colleagues and Secretariat members of it.
RenderNotices = Callable[[Submission], Sequence[tuple[int, str]]]


def answer_stamp(answer: AnswerRecord | None) -> str | None:
    """An answer's version as a short opaque string, different after every write to it (its
    level, comment, time and questionnaire version); None when nothing is stored. What a
    form that shows the answer hands back with its change (`change_answer`)."""
    if answer is None:
        return None
    raw = "\x1f".join(
        (
            answer.level or "",
            answer.comment or "",
            answer.changed_at.isoformat(),
            str(answer.version),
        )
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class ChangedAnswer:
    """What `change_answer` stored: the answer as it now stands, and the Office's progress."""

    answer: AnswerRecord
    progress: Progress


class PlannedChange(Protocol):
    """One Recommendation's change as shown to the representative before they confirmed it
    (``reports.workbook_upload.Change`` is one): the old values are those shown."""

    @property
    def number(self) -> int: ...
    @property
    def old_level(self) -> str | None: ...
    @property
    def new_level(self) -> str | None: ...
    @property
    def old_comment(self) -> str | None: ...
    @property
    def new_comment(self) -> str | None: ...


class Answering:
    def __init__(self, setup: SurveySetup) -> None:
        self._setup = setup
        self._stores = setup.stores
        # Who wrote, by Telegram user, as each person's last write to a draft read it: their
        # next write checks it still holds instead of reading it again.
        self._writers: dict[int, DraftWriter] = {}
        self._workbook_key = WorkbookKey(setup)
        self._versions = QuestionnaireVersions(setup)

    @property
    def questionnaire(self) -> Questionnaire:
        """The version in force (it may change between two calls: read it once per window)."""
        return self._setup.questionnaire

    @property
    def version(self) -> int:
        """The number of the version in force as this process holds it."""
        return self._setup.in_force.current.version

    def texts_changed_since(self, version: int) -> tuple[int, ...]:
        """The Recommendations whose title or statement changed after version `version`
        (a workbook downloaded then, sent back now), by number."""
        updates = self._text_updates()
        return tuple(n for n in sorted(updates) if updates[n].version > version)

    def _text_updates(self) -> Mapping[int, TextUpdate]:
        return self._setup.in_force.current.text_updates

    async def _version(self) -> int:
        """The number of the version an answer is given under: the one this process holds
        (read at the start of each update), read from the database if it never was."""
        if self._setup.in_force.number == 0:
            await self._versions.refresh()
        return self._setup.in_force.number

    async def workbook_key(self) -> bytes:
        """The secret the Office workbooks are signed with (``survey.workbook_key``)."""
        return await self._workbook_key.get()

    async def record_answer(self, telegram_user_id: int, number: int, level: str) -> Progress:
        if self.questionnaire.level(level) is None:
            raise Refused(Reason.UNKNOWN_LEVEL, level=level)
        return await self._write(telegram_user_id, number, {"level": level})

    async def record_comment(self, telegram_user_id: int, number: int, comment: str) -> Progress:
        return await self._write(
            telegram_user_id, number, {"comment": rules.check_comment(comment)}
        )

    async def confirm_answer(self, telegram_user_id: int, number: int) -> Progress:
        """The representative's "my answer stands" after the Recommendation's text changed:
        the answer is recorded again, unchanged, under the version in force and in their
        name, which clears the mark for their Office. Audited. Refused as a write is (after
        the submission, the deadline); nothing to confirm without an answer."""
        if not self.questionnaire.has_recommendation(number):
            raise Refused(Reason.UNKNOWN_RECOMMENDATION, number=number)
        now = self._setup.now()
        version = await self._version()
        async with self._stores() as store:
            representative, response, deadline = await self._open_draft(
                store, telegram_user_id, now
            )
            choices = await store.answer_choices(response.id)
            before = next((a for a in choices if a.recommendation == number), None)
            if before is not None and before.version < version:
                await store.save_answer(
                    response.id, number, values={}, by=representative.id, now=now, version=version
                )
                await store.audit(
                    Actor.telegram(telegram_user_id, representative.full_name),
                    ANSWER_CONFIRMED,
                    now=now,
                    office_id=representative.office_id,
                    details={"number": number, "from_version": before.version, "version": version},
                )
                choices = await store.answer_choices(response.id)
            progress = progress_of(
                self.questionnaire,
                response,
                choices,
                deadline=deadline,
                now=now,
                text_updates=self._text_updates(),
            )
            await store.commit()
        return progress

    async def _write(
        self, telegram_user_id: int, number: int, values: dict[str, str | None]
    ) -> Progress:
        if not self.questionnaire.has_recommendation(number):
            raise Refused(Reason.UNKNOWN_RECOMMENDATION, number=number)
        now = self._setup.now()
        version = await self._version()  # before the draft's unit: it may read the database
        async with self._stores.draft_writes() as draft:
            progress = await self._write_to_draft(
                draft, telegram_user_id, number, values, now, version
            )
        if progress is not None:
            return progress
        self._writers.pop(telegram_user_id, None)
        # Anything else, or a change since what was read: the checks with the response locked
        # say why not, or create the Office's response for its first answer.
        async with self._stores() as store:
            representative, response, deadline = await self._open_draft(
                store, telegram_user_id, now
            )
            await store.save_answer(
                response.id,
                number,
                values=values,
                by=representative.id,
                now=now,
                version=version,
            )
            progress = await self._stored_progress(store, response, deadline, now)
            await store.commit()
        return progress

    async def _write_to_draft(
        self,
        draft: DraftStore,
        telegram_user_id: int,
        number: int,
        values: dict[str, str | None],
        now: datetime,
        version: int,
    ) -> Progress | None:
        """The usual write, to a draft: with what this person's last write read (one round
        trip on PostgreSQL), else with one read first (two). None when it does not apply."""
        kept = self._writers.get(telegram_user_id)
        if kept is not None:
            progress = await self._save_to_draft(draft, kept, number, values, now, version)
            if progress is not None:
                return progress
        writer = await unlocked_draft(draft, self._setup, telegram_user_id)
        if writer is None:
            return None
        progress = await self._save_to_draft(draft, writer, number, values, now, version)
        if progress is not None:
            self._writers[telegram_user_id] = writer
            while len(self._writers) > KEPT_WRITERS:
                del self._writers[next(iter(self._writers))]  # the longest kept
        return progress

    async def _save_to_draft(
        self,
        draft: DraftStore,
        writer: DraftWriter,
        number: int,
        values: dict[str, str | None],
        now: datetime,
        version: int,
    ) -> Progress | None:
        deadline = writer.deadline(self._setup)
        if not rules.is_open(deadline, now):
            return None
        choices = await draft.save_draft_answer(
            writer.response.id,
            number,
            values=values,
            by=writer.representative.id,
            now=now,
            version=version,
            setting=writer.setting,
        )
        if choices is None:
            return None
        return progress_of(
            self.questionnaire,
            writer.response,
            choices,
            deadline=deadline,
            now=now,
            text_updates=self._text_updates(),
        )

    async def apply_upload(
        self, telegram_user_id: int, changes: Sequence[PlannedChange]
    ) -> Progress:
        """Apply the changes of a workbook the representative confirmed, all in one unit of
        work, each attributed to them. Refused after the submission or the deadline, and if
        any answer is no longer what the confirmation showed (``old_level``/``old_comment``):
        then nothing is applied."""
        for change in changes:
            if not self.questionnaire.has_recommendation(change.number):
                raise Refused(Reason.UNKNOWN_RECOMMENDATION, number=change.number)
            if change.new_level is not None and self.questionnaire.level(change.new_level) is None:
                raise Refused(Reason.UNKNOWN_LEVEL, level=change.new_level)
        now = self._setup.now()
        version = await self._version()
        async with self._stores() as store:
            representative, response, deadline = await self._open_draft(
                store, telegram_user_id, now
            )
            current = {a.recommendation: a for a in await store.answers(response.id)}
            moved = [
                change.number
                for change in changes
                if _level_of(current.get(change.number)) != (change.old_level or None)
                or _comment_of(current.get(change.number)) != (change.old_comment or None)
            ]
            if moved:
                raise Refused(Reason.ANSWERS_CHANGED, numbers=tuple(sorted(moved)))
            for change in changes:
                values: dict[str, str | None] = {}
                if (change.new_level or None) != (change.old_level or None):
                    values["level"] = change.new_level
                if (change.new_comment or None) != (change.old_comment or None):
                    values["comment"] = (
                        rules.check_comment(change.new_comment) if change.new_comment else None
                    )
                if values:
                    await store.save_answer(
                        response.id,
                        change.number,
                        values=values,
                        by=representative.id,
                        now=now,
                        version=version,
                    )
            progress = await self._stored_progress(store, response, deadline, now)
            await store.commit()
        return progress

    async def change_answer(
        self,
        telegram_user_id: int,
        number: int,
        *,
        expected: str | None,
        level: str | None = None,
        comment: str | None = None,
    ) -> ChangedAnswer:
        """A level and/or a comment ("" removes it) for one Recommendation, written only if
        the stored answer is still the one the person was shown (`expected`, its
        `answer_stamp`; None: none was stored). Checked and written in one unit of work with
        the Office's response locked, so that a change made meanwhile (in the chat, on
        another page) is never overwritten blindly: refused with ANSWERS_CHANGED and
        `current` (the stored answer, or None), nothing written. The same rules as every
        write (removal, deadline, submission, the comment's length)."""
        if not self.questionnaire.has_recommendation(number):
            raise Refused(Reason.UNKNOWN_RECOMMENDATION, number=number)
        if level is None and comment is None:
            raise ValueError("change_answer needs a level or a comment")
        values: dict[str, str | None] = {}
        if level is not None:
            if self.questionnaire.level(level) is None:
                raise Refused(Reason.UNKNOWN_LEVEL, level=level)
            values["level"] = level
        if comment is not None:
            values["comment"] = rules.check_comment(comment)
        now = self._setup.now()
        version = await self._version()
        async with self._stores() as store:
            representative, response, deadline = await self._open_draft(
                store, telegram_user_id, now
            )
            stored = await _answer_to(store, response.id, number)
            if answer_stamp(stored) != expected:
                raise Refused(Reason.ANSWERS_CHANGED, numbers=(number,), current=stored)
            await store.save_answer(
                response.id, number, values=values, by=representative.id, now=now, version=version
            )
            answer = await _answer_to(store, response.id, number)
            assert answer is not None
            progress = await self._stored_progress(store, response, deadline, now)
            await store.commit()
        # The chat's kept reads (`_writers`) check the response in the same step as their
        # write, so they need not be dropped here.
        return ChangedAnswer(answer, progress)

    async def _stored_progress(
        self, store: SurveyStore, response: ResponseRecord, deadline: datetime | None, now: datetime
    ) -> Progress:
        """The Office's progress as this unit of work has just written it."""
        return progress_of(
            self.questionnaire,
            response,
            await store.answer_choices(response.id),
            deadline=deadline,
            now=now,
            text_updates=self._text_updates(),
        )

    async def _open_draft(
        self, store: SurveyStore, telegram_user_id: int, now: datetime
    ) -> tuple[Representative, ResponseRecord, datetime | None]:
        """Every write starts here: an active representative, the survey open, their Office's
        response locked against a concurrent submission and still a draft; with the deadline
        in force."""
        representative, deadline = await active_writer(store, self._setup, telegram_user_id)
        rules.check_open(deadline, now)
        response = await locked_response(
            store, representative.office_id, self.questionnaire.id, now
        )
        rules.check_draft(response)
        return representative, response, deadline

    async def office_answers(self, telegram_user_id: int) -> OfficeAnswers:
        """The representative's Office with its answers and response: what the workbook and
        the PDF hold. A read."""
        async with self._stores() as store:
            representative = await active_representative(store, telegram_user_id)
            office = await office_by_id(store, representative.office_id)
            response = await store.response(office.id, self.questionnaire.id)
            answers = await store.answers(response.id) if response is not None else []
        return OfficeAnswers(
            office, {a.recommendation: a for a in answers}, response, self._setup.now()
        )

    async def progress(self, telegram_user_id: int) -> Progress:
        """The Office's answers so far: what a Recommendation's window, the comment window and
        the pause screen show."""
        async with self._stores() as store:
            representative, deadline = await active_writer(store, self._setup, telegram_user_id)
            response = await store.response(representative.office_id, self.questionnaire.id)
            answers = await store.answer_choices(response.id) if response is not None else []
        return progress_of(
            self.questionnaire,
            response,
            answers,
            deadline=deadline,
            now=self._setup.now(),
            text_updates=self._text_updates(),
        )

    async def review(self, telegram_user_id: int) -> Review:
        """All answers with who changed them last: the review, the confirmation and the
        receipt. A read: an Office that has not answered yet gets an unsaved draft."""
        async with self._stores() as store:
            representative, deadline = await active_writer(store, self._setup, telegram_user_id)
            office = await office_by_id(store, representative.office_id)
            stored = await store.response(office.id, self.questionnaire.id)
            response = stored or ResponseRecord(
                0, office.id, self.questionnaire.id, ResponseStatus.DRAFT
            )
            answers = (
                {a.recommendation: a for a in await store.answers(stored.id)} if stored else {}
            )
            people = await store.office_representatives(office.id)
        updated = wording_updated(self._text_updates(), list(answers.values()))
        items = tuple(
            ReviewItem(
                number,
                answers[number].level if number in answers else None,
                bool(answers[number].comment) if number in answers else False,
                answers[number].changed_by_name if number in answers else None,
                answers[number].changed_at if number in answers else None,
                updated.get(number),
            )
            for number in self.questionnaire.numbers
        )
        return Review(
            office,
            response,
            items,
            several_representatives=len(people) > 1,
            read_only=response.submitted or not rules.is_open(deadline, self._setup.now()),
            deadline=deadline,
        )

    async def submit(
        self, telegram_user_id: int, notices: RenderNotices | None = None
    ) -> Submission:
        """Lock the Office's answers for good; returns the stored response with its receipt,
        the colleagues to tell, and the Secretariat members to tell. With `notices` (their
        messages for a submission), those are recorded as a broadcast in the same unit of
        work: a submission is never stored without its notices."""
        now = self._setup.now()
        async with self._stores() as store:
            representative, response, _ = await self._open_draft(store, telegram_user_id, now)
            office_id = representative.office_id
            answers = await store.answers(response.id)
            rules.check_complete(
                self.questionnaire.numbers, {a.recommendation for a in answers if a.level}
            )
            receipt = self._receipt(answers, representative, now)
            if not await store.mark_submitted(
                response.id, by=representative.id, now=now, receipt=receipt
            ):
                # Someone else's submission committed between our read and our write.
                latest = await store.response(office_id, self.questionnaire.id)
                assert latest is not None
                rules.check_draft(latest)
                raise RuntimeError("the submission was neither recorded nor refused")
            await store.audit(
                Actor.telegram(telegram_user_id, representative.full_name),
                "response.submit",
                now=now,
                office_id=office_id,
                details={"reference": receipt.reference},
            )
            people = await store.office_representatives(office_id)
            secretariat = await self._announce_to(store)
            office = await office_by_id(store, office_id)
            colleagues = tuple(p for p in people if p.telegram_user_id != telegram_user_id)
            broadcast = None
            if notices is not None:
                stored = await store.response(office_id, self.questionnaire.id)
                assert stored is not None
                messages = notices(Submission(stored, colleagues, office, secretariat))
                if messages:
                    broadcast = await record_broadcast(
                        store,
                        BroadcastKind.SUBMISSION,
                        Actor.telegram(telegram_user_id, representative.full_name),
                        messages,
                        now=now,
                    )
            await store.commit()
            submitted = await store.response(office_id, self.questionnaire.id)
        assert submitted is not None
        return Submission(submitted, colleagues, office, secretariat, broadcast)

    async def _announce_to(self, store: SurveyStore) -> tuple[Addressee, ...]:
        """The Secretariat members who want to hear of each submission (on unless switched
        off), in a stable order."""
        admin_ids = self._setup.admin_ids
        chosen = {p.telegram_user_id: p for p in await store.preferences(admin_ids)}
        return tuple(
            Addressee(user_id, chosen[user_id].language if user_id in chosen else None)
            for user_id in sorted(admin_ids)
            if user_id not in chosen or chosen[user_id].submission_notices
        )

    def _receipt(
        self, answers: Sequence[AnswerRecord], representative: Representative, now: datetime
    ) -> Receipt:
        ordered = sorted(answers, key=lambda a: a.recommendation)
        fingerprint = hashlib.sha256(
            "|".join(f"{a.recommendation}:{a.level}:{a.comment or ''}" for a in ordered).encode()
        ).hexdigest()
        counts = Counter(a.level for a in ordered if a.level)
        return Receipt(
            submitted_at=now,
            submitted_by=representative.full_name or f"user {representative.telegram_user_id}",
            reference=fingerprint[:12].upper(),
            level_counts={
                level.code: counts.get(level.code, 0) for level in self.questionnaire.scale
            },
            commented=sum(1 for a in ordered if a.comment),
        )


async def _answer_to(store: SurveyStore, response_id: int, number: int) -> AnswerRecord | None:
    return next((a for a in await store.answers(response_id) if a.recommendation == number), None)


def _level_of(answer: AnswerRecord | None) -> str | None:
    return (answer.level or None) if answer is not None else None


def _comment_of(answer: AnswerRecord | None) -> str | None:
    return (answer.comment or None) if answer is not None else None
