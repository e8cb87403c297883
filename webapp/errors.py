"""The API's refusals as one exception the server turns into
``{"error": {"code": ..., "message": ...}}`` with its HTTP status (and, for a stale write,
``"current"``: the stored answer)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ApiError(Exception):
    """A 4xx answer: `code` for the page's logic, `message` for the person (translated)."""

    def __init__(
        self, status: int, code: str, message: str, extra: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.extra = dict(extra or {})

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}, **self.extra}
