"""The Secretariat's API: the dashboard's figures, and the actions that need no typing doing
exactly what /remind, /deadline and /export do in the chat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from survey.model import Actor
from survey.service import SurveyService
from tests.dialogs.harness import App
from tests.support import ADMIN_ID, Clock, answer_all, audit_events, verify
from tests.webapp.client import PageClient


async def _seed(service: SurveyService) -> None:
    """EP submitted (Anna), FR in progress (Bruno, Chloé; Spanish), DE invited, nobody in."""
    await verify(service, 1, "EP", name="Anna")
    await verify(service, 2, "FR", name="Bruno")
    await verify(service, 3, "FR", name="Chloé")
    await service.enrolment.set_language(3, "es")
    await answer_all(service, 1, "high")
    await service.answering.submit(1)
    await service.answering.record_answer(2, 1, "low")
    await service.secretariat.create_invitation("DE", Actor.cli())


async def test_the_overview_shows_the_funnel_the_offices_and_the_ranking(
    page: PageClient, service: SurveyService
) -> None:
    await _seed(service)

    reply = await page.get("/app/api/secretariat/overview", ADMIN_ID)

    assert reply.status == 200
    body = reply.body
    assert [(f["stage"], f["count"]) for f in body["funnel"]][1:] == [
        ("invited", 3),
        ("verified", 2),
        ("started", 2),
        ("submitted", 1),
    ]
    assert body["response_rate"]["value"] == 1 / 3
    assert "33" in body["response_rate"]["text"]
    offices = {office["code"]: office for office in body["offices"]}
    assert len(offices) > 100  # every Office on the list, not only the active ones
    assert offices["EP"]["stage"] == "submitted"
    assert offices["EP"]["stage_label"] == "Submitted"
    assert offices["EP"]["answered"] == 40
    assert offices["FR"]["stage"] == "in_progress"
    assert offices["FR"]["representatives"] == ["Bruno", "Chloé"]
    assert offices["FR"]["last_activity"] is not None
    assert offices["DE"]["stage"] == "invited"
    assert offices["DE"]["last_activity"] is None
    assert body["ranking"][0]["counts"]["high"] == 1
    assert body["ranking"][0]["rank"] == 1
    assert body["ranking"][0]["score_text"] == "3.00"
    assert len(body["ranking"]) == 40
    assert body["reminder"]["people"] == 2
    assert body["reminder"]["unverified"] == ["DE"]
    assert [e["kind"] for e in body["exports"]] == ["files", "chart"]
    assert body["chart"] is None  # the page draws it from the ranking's counts
    drafts = await page.get("/app/api/secretariat/overview", ADMIN_ID, drafts="1")
    r01 = next(item for item in drafts.body["ranking"] if item["number"] == 1)
    assert r01["counts"]["low"] == 1


async def test_remind_sends_what_remind_sends_and_reports_to_the_member(
    page: PageClient, service: SurveyService, app: App
) -> None:
    await _seed(service)

    unconfirmed = await page.post("/app/api/secretariat/remind", ADMIN_ID, {})
    reply = await page.post("/app/api/secretariat/remind", ADMIN_ID, {"confirm": True})
    await app.dispatcher["notifier"].drain()

    assert unconfirmed.code == "bad_request"
    assert reply.status == 200
    assert reply.body["sent"] == 2
    assert "2 reminders" in reply.body["text"]
    assert "not submitted yet" in app.bot.sent(2)[-1]
    assert "no se han enviado" in app.bot.sent(3)[-1]
    assert app.bot.sent(1) == []  # EP has submitted
    assert "Reminders done. Delivered: 2" in app.bot.sent(ADMIN_ID)[-1]


async def test_the_deadline_is_extended_as_deadline_does(
    page: PageClient, service: SurveyService, clock: Clock
) -> None:
    await verify(service, 2, "FR")
    clock.advance(days=31)  # the survey has closed
    assert (await page.me(2)).body["read_only"] is True
    later = (clock.now + timedelta(days=7)).replace(microsecond=0)

    reply = await page.post(
        "/app/api/secretariat/deadline", ADMIN_ID, {"at": later.astimezone().isoformat()}
    )
    past = await page.post("/app/api/secretariat/deadline", ADMIN_ID, {"at": "2020-01-01"})
    nonsense = await page.post("/app/api/secretariat/deadline", ADMIN_ID, {"at": "soon"})

    assert reply.status == 200
    assert reply.body["deadline"]["at"] == later.astimezone(UTC).isoformat()
    assert reply.body["deadline"]["closed"] is False
    assert "The closing time is now" in reply.body["text"]
    assert await service.secretariat.deadline(Actor.cli()) == later
    assert (await page.me(2)).body["read_only"] is False  # answering reopened at once
    assert (past.status, past.code) == (400, "deadline_not_future")
    assert (nonsense.status, nonsense.code) == (400, "bad_deadline")


async def test_the_deadline_change_is_audited_under_the_member(
    page: PageClient, service: SurveyService, clock: Clock
) -> None:
    at = datetime(2026, 9, 30, 18, 0, tzinfo=UTC)
    await page.post("/app/api/secretariat/deadline", ADMIN_ID, {"at": at.isoformat()})
    engine = service.setup.stores.engine  # type: ignore[attr-defined]
    events = await audit_events(engine, "deadline.set")
    assert [event.actor for event in events][-1].endswith(str(ADMIN_ID))


async def test_export_posts_the_exports_job_and_the_files_arrive_in_the_chat(
    page: PageClient, service: SurveyService, app: App
) -> None:
    await _seed(service)

    reply = await page.post("/app/api/secretariat/export", ADMIN_ID, {"kind": "files"})
    unknown = await page.post("/app/api/secretariat/export", ADMIN_ID, {"kind": "pdf"})
    await app.run_jobs()

    assert reply.status == 202
    assert "on their way to your chat" in reply.body["text"]
    assert unknown.code == "bad_request"
    names = sorted(name.rsplit(".", 1)[1] for name, _ in app.bot.files(ADMIN_ID))
    assert names == ["csv", "docx", "xlsx"]


async def test_a_member_switches_the_dashboards_language(
    page: PageClient, service: SurveyService
) -> None:
    chosen = await page.post("/app/api/language", ADMIN_ID, {"lang": "fr"})
    shown = await page.get("/app/api/secretariat/overview", ADMIN_ID)

    assert chosen.body == {"lang": "fr"}
    assert shown.body["lang"] == "fr"
    assert shown.body["funnel"][0]["label"] == "répertoriés"
    assert await service.enrolment.language(ADMIN_ID) == "fr"
