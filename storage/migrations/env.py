"""Alembic environment: async engines, SQLite batch mode, URL from the caller.

Several replicas may start at once, each upgrading the schema first: the whole upgrade is
one transaction that only one process at a time may be in, and the version is read inside
it, so the second one finds the schema already at head and runs nothing. On PostgreSQL an
advisory lock held to the end of the transaction serializes them; on SQLite the engine's
BEGIN IMMEDIATE does (storage/db.py), alembic being told that SQLite's DDL is
transactional (it is; alembic assumes otherwise for the sake of old pysqlite versions,
and would then commit after each migration, letting another process in between).
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import storage.models  # noqa: F401 - registers the tables on SQLModel.metadata
from storage.db import create_engine
from storage.migrate import MIGRATION_LOCK

config = context.config
target_metadata = SQLModel.metadata


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
        render_as_batch=True,
        compare_type=True,
        literal_binds=connection is None,
        # One transaction for the whole upgrade on SQLite too (see above).
        transactional_ddl=True,
    )


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Released at commit or rollback, or when a killed process's connection closes.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync)
            await connection.commit()
    finally:
        await engine.dispose()


url = config.get_main_option("sqlalchemy.url")
if not url:
    raise SystemExit("no database URL given to the migrations (set DATABASE_URL)")
if context.is_offline_mode():
    _configure(url=url)
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_sync(connection)
    else:
        asyncio.run(_run_async(url))
