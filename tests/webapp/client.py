"""Calls to the Mini App's API as a page in Telegram makes them: each with its launch data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from standin.web_app import signed_init_data
from tests.support import Clock
from webapp.auth import INIT_DATA_HEADER


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def code(self) -> str | None:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return error["code"] if error else None


@dataclass
class PageClient:
    client: TestClient[Any, Any]
    token: str
    clock: Clock

    def init_data(
        self, user_id: int, *, name: str = "Anna", lang: str | None = "en", age: float = 0
    ) -> str:
        signed_at = int(self.clock.now.timestamp() - age)
        return signed_init_data(
            self.token, user_id, first_name=name, language_code=lang, auth_date=signed_at
        )

    async def _reply(self, response: ClientResponse) -> Reply:
        if response.content_type == "application/json":
            body: Any = await response.json()
        else:
            body = await response.text()
        return Reply(response.status, body, dict(response.headers))

    async def get(
        self, path: str, user_id: int | None = None, *, init_data: str | None = None, **query: str
    ) -> Reply:
        headers = {}
        if init_data is None and user_id is not None:
            init_data = self.init_data(user_id)
        if init_data is not None:
            headers[INIT_DATA_HEADER] = init_data
        async with self.client.get(path, headers=headers, params=query) as response:
            return await self._reply(response)

    async def post(
        self,
        path: str,
        user_id: int | None,
        body: Any = None,
        *,
        init_data: str | None = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> Reply:
        headers = {"Content-Type": content_type}
        if init_data is None and user_id is not None:
            init_data = self.init_data(user_id)
        if init_data is not None:
            headers[INIT_DATA_HEADER] = init_data
        data = raw if raw is not None else _json(body if body is not None else {})
        async with self.client.post(path, headers=headers, data=data) as response:
            return await self._reply(response)

    async def me(self, user_id: int, **query: str) -> Reply:
        return await self.get("/app/api/me", user_id, **query)

    async def answer(self, user_id: int, number: int, **fields: Any) -> Reply:
        """A level or a comment, with the stamp the page holds unless told otherwise."""
        if "expected" not in fields:
            shown = await self.me(user_id)
            fields["expected"] = shown.body["answers"][str(number)]["stamp"]
        return await self.post("/app/api/answer", user_id, {"number": number, **fields})


def _json(body: Any) -> bytes:
    import json

    return json.dumps(body).encode()
