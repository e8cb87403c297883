"""A person's own data: what is held about them (/mydata), their acknowledgements of the
privacy notice, and their erasure (/forgetme), which the purge after the report applies to
everyone: their identity (Telegram id, name, language) is replaced everywhere by a
pseudonym such as "Representative 2 of EP", while their Office's answers, comments and
submission stay, attributed to the pseudonym."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from survey.errors import Reason, Refused
from survey.model import (
    Actor,
    Addressee,
    AnswerRecord,
    AuditEntry,
    NoticeAcknowledgement,
    Office,
    Representative,
)
from survey.ports import SurveyStore
from survey.pseudonyms import FORGOTTEN_KIND, Forgetting, pseudonym_of
from survey.setup import SurveySetup, office_by_id

REPRESENTATIVE_FORGOTTEN = "representative.forgotten"
EVERYONE_FORGOTTEN = "privacy.purge"


@dataclass(frozen=True, slots=True)
class OwnAnswer:
    questionnaire_id: str
    answer: AnswerRecord


@dataclass(frozen=True, slots=True)
class PersonalData:
    """Everything held about one Telegram user, and nothing of anyone else's."""

    telegram_user_id: int
    representative: Representative | None
    office: Office | None
    language: str | None  # what they chose (/language), verified or not
    answers: tuple[OwnAnswer, ...]  # the answers they changed last
    acknowledgements: tuple[NoticeAcknowledgement, ...]
    audit: tuple[AuditEntry, ...]  # entries they made or that name them

    @property
    def empty(self) -> bool:
        return self.representative is None and not (
            self.language or self.acknowledgements or self.audit
        )

    def to_data(self) -> dict[str, Any]:
        """As a JSON document (the file /mydata sends)."""
        person = self.representative
        return {
            "telegram_user_id": self.telegram_user_id,
            "representative": None
            if person is None
            else {
                "name": person.full_name,
                "language": person.language,
                "office": self.office.code if self.office is not None else None,
                "verified_at": person.verified_at.isoformat(),
                "removed_at": person.revoked_at.isoformat() if person.revoked_at else None,
            },
            "language_chosen": self.language,
            "answers_last_changed": [
                {
                    "questionnaire": own.questionnaire_id,
                    "recommendation": own.answer.recommendation,
                    "level": own.answer.level,
                    "comment": own.answer.comment,
                    "changed_at": own.answer.changed_at.isoformat(),
                    "questionnaire_version": own.answer.version,
                }
                for own in self.answers
            ],
            "notice_acknowledgements": [
                {"version": ack.version, "at": ack.at.isoformat()} for ack in self.acknowledgements
            ],
            "audit_entries": [
                {
                    "at": entry.at.isoformat(),
                    "actor": entry.actor,
                    "action": entry.action,
                    "details": dict(entry.details),
                }
                for entry in self.audit
            ],
        }


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What an erasure did: who the person is now, and what changed where."""

    pseudonym: str
    office: Office
    representative_id: int
    submitted: bool  # their Office had submitted (its receipt keeps the pseudonym)
    changed: Mapping[str, int]
    secretariat: tuple[Addressee, ...] = ()  # whom to tell, in their languages

    @property
    def actor(self) -> Actor:
        """The person as the audit trail and the broadcasts may name them from now on."""
        return Actor(FORGOTTEN_KIND, str(self.representative_id), self.pseudonym)


class Privacy:
    def __init__(self, setup: SurveySetup) -> None:
        self._setup = setup
        self._stores = setup.stores

    # The notice -------------------------------------------------------------------------

    async def acknowledge(self, telegram_user_id: int, version: str) -> None:
        async with self._stores() as store:
            await store.acknowledge_notice(telegram_user_id, version, self._setup.now())
            await store.commit()

    async def acknowledgements(self, telegram_user_id: int) -> list[NoticeAcknowledgement]:
        async with self._stores() as store:
            return await store.notice_acknowledgements(telegram_user_id)

    # A person's own data ----------------------------------------------------------------

    async def my_data(self, telegram_user_id: int) -> PersonalData:
        async with self._stores() as store:
            person = await store.representative(telegram_user_id)
            office = await office_by_id(store, person.office_id) if person else None
            chosen = await store.preferences([telegram_user_id])
            answers = await store.answers_changed_by(person.id) if person else []
            acknowledgements = await store.notice_acknowledgements(telegram_user_id)
            audit = await store.audit_naming(telegram_user_id, person.full_name if person else "")
        return PersonalData(
            telegram_user_id,
            person,
            office,
            chosen[0].language if chosen else None,
            tuple(OwnAnswer(questionnaire, answer) for questionnaire, answer in answers),
            tuple(acknowledgements),
            tuple(audit),
        )

    # Erasure ----------------------------------------------------------------------------

    async def forget(
        self, telegram_user_id: int, *, actor: Actor, now: datetime | None = None
    ) -> str:
        """Erase this person (`forget_person` for what it did); their pseudonym."""
        return (await self.forget_person(telegram_user_id, actor=actor, now=now)).pseudonym

    async def forget_person(
        self, telegram_user_id: int, *, actor: Actor, now: datetime | None = None
    ) -> Forgotten:
        """Removes the person as a representative and replaces their Telegram id, name and
        language by a pseudonym everywhere, audit entries included; the answers, comments
        and any submission stay, attributed to the pseudonym. Refused (NOT_VERIFIED) if they
        are not, or no longer, known as a representative."""
        now = now or self._setup.now()
        admin_ids = sorted(self._setup.admin_ids)
        async with self._stores() as store:
            person = await store.representative(telegram_user_id)
            if person is None:
                raise Refused(Reason.NOT_VERIFIED)
            office = await office_by_id(store, person.office_id)
            forgetting = await _forgetting(store, person, office)
            changed = await store.forget_people([forgetting], now)
            if not changed.get("representative"):  # forgotten a moment ago by another call
                raise Refused(Reason.NOT_VERIFIED)
            response = await store.response(office.id, self._setup.questionnaire.id)
            await store.audit(
                _after(actor, forgetting),
                REPRESENTATIVE_FORGOTTEN,
                now=now,
                office_id=office.id,
                details={"pseudonym": forgetting.pseudonym},
            )
            chosen = {p.telegram_user_id: p for p in await store.preferences(admin_ids)}
            await store.commit()
        return Forgotten(
            forgetting.pseudonym,
            office,
            person.id,
            response is not None and response.submitted,
            changed,
            tuple(
                Addressee(user_id, chosen[user_id].language if user_id in chosen else None)
                for user_id in admin_ids
            ),
        )

    async def forget_all(
        self, *, actor: Actor, now: datetime | None = None, apply: bool = True
    ) -> dict[str, int]:
        """Every representative not forgotten yet, as `forget_person`, in one unit of work
        (the purge). Rows changed per table, and "representatives": how many people.
        `apply` False: the same counts, nothing kept (a dry run)."""
        now = now or self._setup.now()
        async with self._stores() as store:
            counts = await forget_everyone(store, now)
            if apply:
                await store.audit(
                    actor, EVERYONE_FORGOTTEN, now=now, details={"counts": dict(counts)}
                )
                await store.commit()
        return counts


async def forget_everyone(store: SurveyStore, now: datetime) -> dict[str, int]:
    """Every representative not forgotten yet, in `store`'s unit of work (the caller audits
    and commits: the purge does it with the rest of its work). Rows changed per table, and
    "representatives": how many people."""
    people = await store.every_representative()
    offices: dict[int, Office] = {}
    ordinals: dict[int, int] = {}
    to_forget: list[Forgetting] = []
    for person in people:  # by id: each Office's people in the order they came
        ordinal = ordinals[person.office_id] = ordinals.get(person.office_id, 0) + 1
        if person.forgotten_at is not None:
            continue
        if person.office_id not in offices:
            offices[person.office_id] = await office_by_id(store, person.office_id)
        office = offices[person.office_id]
        to_forget.append(
            Forgetting(
                person.id,
                person.telegram_user_id,
                person.full_name,
                pseudonym_of(ordinal, office.code),
            )
        )
    changed = await store.forget_people(to_forget, now, everyone=True)
    return {"representatives": len(to_forget), **changed}


async def _forgetting(store: SurveyStore, person: Representative, office: Office) -> Forgetting:
    everyone = await store.every_representative(office.id)
    ordinal = next(n for n, other in enumerate(everyone, 1) if other.id == person.id)
    return Forgetting(
        person.id, person.telegram_user_id, person.full_name, pseudonym_of(ordinal, office.code)
    )


def _after(actor: Actor, forgotten: Forgetting) -> Actor:
    """Who is audited for the erasure: the pseudonym when the person asked themselves."""
    if actor.kind == "telegram" and actor.id == str(forgotten.telegram_user_id):
        return Actor(FORGOTTEN_KIND, str(forgotten.representative_id), forgotten.pseudonym)
    return actor
