"""Whether the database's schema is the newest, without loading Alembic.

Alembic, with Mako and its script directory, costs about 9 MB of memory and a tenth of a
second at every start, to find out that there is nothing to do. The newest revision is
written here (tests/storage/test_migrations.py checks it against the migrations), and the
database says which one it has; Alembic runs only when they differ.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from storage.db import create_engine

HEAD_REVISION = "0008"


class MigrationTargetError(ValueError):
    """The revision asked for does not exist or cannot be reached from where the database is.
    The message is one line for the operator."""


async def at_head(url: str) -> bool:
    """True when the database at `url` has the newest schema; False when it has another one,
    none yet, or cannot say (then the migration runs and reports any problem)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            found = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return [row[0] for row in found] == [HEAD_REVISION]
    except DBAPIError:  # no alembic_version table yet, or no database at all
        return False
    finally:
        await engine.dispose()
