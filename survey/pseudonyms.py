"""How a forgotten person's identity is replaced wherever it was written: their Telegram id,
the name their account showed and their actor label, in plain values, texts and JSON."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

FORGOTTEN_KIND = "forgotten"


def pseudonym_of(ordinal: int, office_code: str) -> str:
    """ "Representative 2 of EP": the second person ever verified for the Office. Stored as
    written here (not translated), like the names it replaces."""
    return f"Representative {ordinal} of {office_code}"


def pseudonymous_id(representative_id: int) -> int:
    """What replaces the Telegram id: negative, so no Telegram user can ever have it, and
    unique, since the representative's row id is."""
    return -representative_id


@dataclass(frozen=True, slots=True)
class Forgetting:
    """One person to forget: who they were and what replaces them."""

    representative_id: int
    telegram_user_id: int
    full_name: str
    pseudonym: str

    @property
    def new_id(self) -> int:
        return pseudonymous_id(self.representative_id)

    @property
    def label(self) -> str:
        return f"telegram:{self.telegram_user_id}"

    @property
    def new_label(self) -> str:
        return f"{FORGOTTEN_KIND}:{self.representative_id}"


class Replacer:
    """Replaces several people's identities at once (the purge forgets everyone in one pass
    over each table)."""

    def __init__(self, people: Iterable[Forgetting]) -> None:
        self.people = tuple(people)
        self._ids = {p.telegram_user_id: p for p in self.people}
        self._labels = {p.label: p.new_label for p in self.people}
        self._names = {p.full_name: p.pseudonym for p in self.people if p.full_name.strip()}
        self._strings = {str(p.telegram_user_id): str(p.new_id) for p in self.people}
        # Names, labels and Telegram ids inside texts (a notice "Alice submitted for EP",
        # "user 123456789"), as whole words only, so that a one-letter name does not eat
        # every "A" of a text; longest first, so that "Ann Lee" goes before "Ann". Ids that
        # short are test ids, not Telegram's, and would match counts and dates.
        inside = {
            **{key: value for key, value in self._strings.items() if len(key) >= 6},
            **self._names,
            **self._labels,
        }
        self._pattern = (
            re.compile(
                "|".join(
                    rf"(?<!\w){re.escape(text)}(?!\w)"
                    for text in sorted(inside, key=len, reverse=True)
                )
            )
            if inside
            else None
        )
        self._inside = inside

    def __bool__(self) -> bool:
        return bool(self.people)

    def user_id(self, value: int | None) -> int | None:
        person = self._ids.get(value) if value is not None else None
        return person.new_id if person is not None else value

    def text(self, value: str) -> str:
        if value in self._strings:
            return self._strings[value]
        if self._pattern is None:
            return value
        return self._pattern.sub(lambda found: self._inside[found.group(0)], value)

    def data(self, value: Any) -> Any:
        """JSON-like data with every identity replaced (ints equal to a Telegram id, strings
        naming someone), the same shape otherwise."""
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return self.user_id(value)
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {key: self.data(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(item) for item in value]
        return value

    def needles(self) -> list[str]:
        """Texts whose presence in a row marks it as possibly naming someone (for a filter in
        the database before the exact replacement here)."""
        found: list[str] = []
        for person in self.people:
            found.append(str(person.telegram_user_id))
            if person.full_name.strip():
                found.append(person.full_name)
        return found
