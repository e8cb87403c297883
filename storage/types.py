"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, whatever the database keeps.

    SQLite has no time zones: without this, values would come back naive there and aware on
    PostgreSQL, and comparisons with `now` would differ between the two.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return _as_utc(value)

    @staticmethod
    def from_sqlite(value: str | None) -> datetime | None:
        """What SQLite keeps (naive UTC text) as SQLAlchemy reads it back through this type,
        in one step: the click's statements (storage/prepared.py) read forty of these."""
        return None if value is None else _as_utc(datetime.fromisoformat(value))


def _as_utc(value: datetime) -> datetime:
    """Naive values are UTC already (as SQLite keeps them); aware ones are converted."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
