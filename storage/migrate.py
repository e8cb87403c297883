"""Run Alembic migrations from code (the command line and the tests use this)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from storage.schema_version import MigrationTargetError

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")
# The PostgreSQL advisory lock every upgrade and downgrade holds (migrations/env.py), so that
# replicas starting at once migrate one after the other; advisory locks are per database.
# Any fixed 64-bit number: this one is "cws-migr" in ASCII.
MIGRATION_LOCK = int.from_bytes(b"cws-migr", "big")


def alembic_config(url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_INI.with_name("migrations")))
    # ConfigParser treats % as interpolation; URL-encoded passwords contain it.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def revisions(url: str) -> list[str]:
    """Every revision, oldest first."""
    script = ScriptDirectory.from_config(alembic_config(url))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


@contextmanager
def _explained(url: str, revision: str) -> Iterator[None]:
    try:
        yield
    except CommandError as exc:
        reason = (str(exc).strip().splitlines() or ["unknown revision"])[0]
        known = ", ".join(revisions(url))
        raise MigrationTargetError(
            f"cannot migrate the database to revision {revision!r}: {reason} "
            f"(known revisions: {known}; also head, base, or steps like -1 and +1)"
        ) from None


def upgrade(url: str, revision: str = "head") -> None:
    with _explained(url, revision):
        command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    with _explained(url, revision):
        command.downgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, url, revision)


async def downgrade_async(url: str, revision: str) -> None:
    await asyncio.to_thread(downgrade, url, revision)
