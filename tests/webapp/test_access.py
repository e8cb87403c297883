"""Who gets anything from the Mini App's API: launch data signed by Telegram for this bot,
at most an hour old, for a verified, active representative (or a Secretariat member); and
what every response carries."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from standin.web_app import signed_init_data
from survey.model import Actor
from survey.service import SurveyService
from tests.support import ADMIN_ID, verify
from tests.webapp.client import PageClient
from webapp.auth import INIT_DATA_HEADER
from webapp.context import WebAppContext
from webapp.server import add_webapp

ANNA = 101


def _forged(init_data: str, **changes: str) -> str:
    fields = dict(parse_qsl(init_data))
    fields.update(changes)
    return urlencode(fields)


@pytest.mark.parametrize(
    "case", ["missing", "forged", "other bot", "expired", "future", "no user", "garbage"]
)
async def test_launch_data_not_signed_now_for_this_bot_gets_nothing(
    page: PageClient, service: SurveyService, case: str
) -> None:
    await verify(service, ANNA, name="Anna")
    await service.answering.record_comment(ANNA, 1, "Private note")
    signed = page.init_data(ANNA)
    init_data = {
        "missing": "",
        "forged": _forged(signed, user=json.dumps({"id": ANNA + 1, "first_name": "Eve"})),
        "other bot": signed_init_data("999:OTHER", ANNA, auth_date=int(page.clock.now.timestamp())),
        "expired": page.init_data(ANNA, age=3601),
        "future": page.init_data(ANNA, age=-120),
        "no user": _forged(signed, user=""),
        "garbage": "%%%" * 10,
    }[case]

    for reply in (
        await page.get("/app/api/me", init_data=init_data),
        await page.post(
            "/app/api/answer",
            None,
            {"number": 1, "level": "high", "expected": None},
            init_data=init_data,
        ),
        await page.post("/app/api/submit", None, {}, init_data=init_data),
        await page.get("/app/api/secretariat/overview", init_data=init_data),
    ):
        assert reply.status == 401
        assert reply.code == ("expired" if case == "expired" else "unauthorized")
        assert set(reply.body) == {"error"}
        assert reply.body["error"]["message"]
    assert (await service.answering.office_answers(ANNA)).answers[1].level is None


async def test_launch_data_just_under_an_hour_old_is_accepted(
    page: PageClient, service: SurveyService
) -> None:
    await verify(service, ANNA)
    reply = await page.get("/app/api/me", init_data=page.init_data(ANNA, age=3590))
    assert reply.status == 200


async def test_the_refusal_speaks_the_browsers_language(page: PageClient) -> None:
    async with page.client.get(
        "/app/api/me", headers={"Accept-Language": "fr-FR,fr;q=0.9"}
    ) as response:
        body = await response.json()
    assert response.status == 401
    assert "Telegram" in body["error"]["message"]
    assert body["error"]["message"].startswith("Veuillez")


async def test_someone_never_verified_is_not_a_representative(page: PageClient) -> None:
    reply = await page.me(ANNA)
    assert (reply.status, reply.code) == (403, "not_representative")
    assert set(reply.body) == {"error"}


async def test_a_removed_representative_gets_nothing(
    page: PageClient, service: SurveyService
) -> None:
    await verify(service, ANNA, name="Anna")
    await verify(service, ANNA + 1, name="Bruno")
    await service.answering.record_comment(ANNA + 1, 2, "Bruno's note")
    await service.secretariat.remove_representative("EP", ANNA, Actor.cli())

    replies = [
        await page.me(ANNA),
        await page.answer(ANNA, 1, level="high", expected=None),
        await page.post("/app/api/submit", ANNA, {}),
    ]

    for reply in replies:
        assert (reply.status, reply.code) == (403, "removed")
        assert "Bruno" not in json.dumps(reply.body)
    assert "withdrawn" in replies[0].body["error"]["message"]


async def test_the_secretariat_api_is_not_for_representatives(
    page: PageClient, service: SurveyService
) -> None:
    await verify(service, ANNA)
    for reply in (
        await page.get("/app/api/secretariat/overview", ANNA),
        await page.post("/app/api/secretariat/remind", ANNA, {"confirm": True}),
        await page.post("/app/api/secretariat/deadline", ANNA, {"at": "2026-07-01T00:00:00+00:00"}),
        await page.post("/app/api/secretariat/export", ANNA, {"kind": "files"}),
    ):
        assert (reply.status, reply.code) == (403, "forbidden")
    assert (await page.get("/app/api/secretariat/overview", ADMIN_ID)).status == 200


async def test_every_response_carries_the_security_headers(page: PageClient) -> None:
    for reply in (
        await page.get("/app/"),
        await page.get("/app/secretariat"),
        await page.get("/app/api/me"),
        await page.get("/app/nowhere"),
    ):
        csp = reply.headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in csp
        assert "script-src 'self' https://telegram.org;" in csp
        assert "frame-ancestors https://web.telegram.org https://*.telegram.org" in csp
        assert "default-src 'none'" in csp
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["Referrer-Policy"] == "no-referrer"


async def test_the_pages_are_served_with_telegrams_script(page: PageClient) -> None:
    for path in ("/app/", "/app/secretariat"):
        reply = await page.get(path)
        assert reply.status == 200
        assert reply.headers["Content-Type"].startswith("text/html")
        assert '<script src="https://telegram.org/js/telegram-web-app.js">' in reply.body
        assert "__TELEGRAM_WEB_APP_JS__" not in reply.body
        assert reply.headers["Cache-Control"] == "no-cache"
    async with page.client.head("/app/") as head:
        assert head.status == 200
    async with page.client.get("/app", allow_redirects=False) as bare:
        assert (bare.status, bare.headers["Location"]) == (308, "/app/")


async def test_pages_take_only_get_and_unknown_paths_are_json_404(page: PageClient) -> None:
    posted = await page.post("/app/", None, {})
    missing = await page.get("/app/api/nothing")
    escape = await page.get("/app/static/..%2F..%2Fbot%2Fconfig.py")
    html_as_static = await page.get("/app/static/index.html")
    wrong_method = await page.get("/app/api/answer")

    assert (posted.status, posted.code) == (405, "method_not_allowed")
    assert (missing.status, missing.code) == (404, "not_found")
    assert escape.status == 404
    assert html_as_static.status == 404
    assert (wrong_method.status, wrong_method.code) == (405, "method_not_allowed")


async def test_static_files_are_compressed_and_revalidated(
    context: WebAppContext, tmp_path: Path
) -> None:
    script = "window.survey = {};\n" * 400
    (tmp_path / "app.js").write_text(script)
    (tmp_path / ".env").write_text("SECRET=1")
    root = web.Application()
    add_webapp(root, context, static_dir=tmp_path)
    async with TestClient(TestServer(root)) as client:
        async with client.get("/app/static/app.js", headers={"Accept-Encoding": "gzip"}) as got:
            assert got.status == 200
            assert got.headers["Content-Type"].startswith("text/javascript")
            assert got.headers["Content-Encoding"] == "gzip"
            assert int(got.headers["Content-Length"]) < len(script) / 10
            assert got.headers["Cache-Control"] == "no-cache"
            assert "nosniff" in got.headers["X-Content-Type-Options"]
            assert await got.text() == script
            etag = got.headers["ETag"]
        async with client.get("/app/static/app.js", headers={"If-None-Match": etag}) as again:
            assert again.status == 304
        async with client.get("/app/static/.env") as hidden:
            assert hidden.status == 404


class _Failing:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def language(self, _user_id: int) -> str | None:
        raise self.error


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [(OSError("database file unreadable"), 503, "unavailable"), (KeyError("bug"), 500, "internal")],
)
async def test_a_failure_is_still_a_clear_answer(
    context: WebAppContext, page: PageClient, error: Exception, status: int, code: str
) -> None:
    broken = replace(context, enrolment=_Failing(error))  # type: ignore[arg-type]
    root = web.Application()
    add_webapp(root, broken)
    async with TestClient(TestServer(root)) as client:
        headers = {INIT_DATA_HEADER: page.init_data(ANNA)}
        async with client.get("/app/api/me", headers=headers) as response:
            body = await response.json()
    assert response.status == status
    assert body["error"]["code"] == code
    assert "saved is safe" in body["error"]["message"]
