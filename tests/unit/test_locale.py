"""Which language a person is spoken to in: one process keeps the stored choices; replicas
read them on every update, so that a choice made on one is spoken by the next on another."""

from __future__ import annotations

import pytest
from aiogram.types import User

from bot.i18n import LocaleMiddleware, build_i18n


class Stored:
    """The database's user_preference, as the lookup sees it; `down` makes it fail."""

    def __init__(self) -> None:
        self.languages: dict[int, str | None] = {}
        self.reads = 0
        self.down = False

    async def __call__(self, user_id: int) -> str | None:
        self.reads += 1
        if self.down:
            raise ConnectionError("the database is unreachable")
        return self.languages.get(user_id)


def seen(user_id: int = 7, language_code: str = "es") -> dict[str, object]:
    return {
        "event_from_user": User(
            id=user_id, is_bot=False, first_name="A", language_code=language_code
        )
    }


@pytest.fixture
def stored() -> Stored:
    return Stored()


async def test_alone_the_choice_is_read_once_and_remembered(stored: Stored) -> None:
    middleware = LocaleMiddleware(build_i18n(), stored)
    stored.languages[7] = "fr"
    assert await middleware.get_locale(object(), seen()) == "fr"  # type: ignore[arg-type]
    assert await middleware.get_locale(object(), seen()) == "fr"  # type: ignore[arg-type]
    assert stored.reads == 1
    middleware.remember(7, "en")  # /language in this process
    assert await middleware.get_locale(object(), seen()) == "en"  # type: ignore[arg-type]


async def test_with_replicas_every_update_reads_the_choice(stored: Stored) -> None:
    middleware = LocaleMiddleware(build_i18n(), stored, shared=True)
    assert await middleware.get_locale(object(), seen()) == "es"  # type: ignore[arg-type]
    stored.languages[7] = "fr"  # chosen on another replica
    assert await middleware.get_locale(object(), seen()) == "fr"  # type: ignore[arg-type]
    stored.down = True  # an outage: the last choice read here, then the client's language
    assert await middleware.get_locale(object(), seen()) == "fr"  # type: ignore[arg-type]
    assert await middleware.get_locale(object(), seen(8)) == "es"  # type: ignore[arg-type]
    stored.down = False
    stored.languages[7] = None
    assert await middleware.get_locale(object(), seen()) == "es"  # type: ignore[arg-type]
    assert stored.reads == 5
