"""The representative's API: every rule of the chat holds on the page, every refusal is
clear, and nothing of another Office is ever in a response."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

from aiogram.methods import SetChatMenuButton
from aiogram.types import MenuButtonWebApp, User
from aiogram.utils.i18n import I18n
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from dialogs.web_app import settled
from survey.model import Actor
from survey.service import SurveyService
from tests.dialogs.harness import App, Person, start_app
from tests.support import ADMIN_ID, Clock, answer_all, verify
from tests.webapp.client import PageClient
from webapp.context import LOCALE_MIDDLEWARE, WebAppContext
from webapp.server import add_webapp

ANNA, BRUNO, OTHER = 101, 102, 201


async def test_the_page_shows_the_office_its_questionnaire_and_answers(
    page: PageClient, service: SurveyService
) -> None:
    await verify(service, ANNA, name="Anna Example")
    await service.answering.record_answer(ANNA, 2, "high")

    shown = await page.me(ANNA)

    assert shown.status == 200
    body = shown.body
    assert body["office"]["code"] == "EP"
    assert body["person"]["name"] == "Anna Example"
    assert body["progress"] == {
        "answered": 1,
        "total": 40,
        "text": "1 of 40 Recommendations answered",
    }
    assert len(body["questionnaire"]["recommendations"]) == 40
    assert [level["code"] for level in body["questionnaire"]["scale"]][:1] == ["high"]
    assert body["answers"]["2"]["level"] == "high"
    assert body["answers"]["2"]["changed_by"] == "Anna Example"
    assert body["answers"]["2"]["stamp"]
    assert body["answers"]["3"] == {
        "number": 3,
        "level": None,
        "comment": None,
        "changed_by": None,
        "changed_at": None,
        "stamp": None,
        "wording_updated": None,
    }
    assert body["notice"]["required"] is False
    assert (body["read_only"], body["submitted"], body["receipt"]) == (False, False, None)
    assert body["comment_limit"] == 1000
    assert body["deadline"]["closed"] is False
    assert "2026" in body["deadline"]["text"]
    assert shown.headers["Cache-Control"] == "no-store"
    assert shown.headers["Content-Encoding"] in {"gzip", "deflate"}  # the client asked for it


async def test_answers_and_comments_are_saved_and_attributed(
    page: PageClient, service: SurveyService
) -> None:
    await verify(service, ANNA, name="Anna")
    await verify(service, BRUNO, name="Bruno")

    level = await page.answer(ANNA, 5, level="medium")
    comment = await page.answer(BRUNO, 5, comment="Our unit agrees")

    assert level.status == 200
    assert level.body["answer"]["level"] == "medium"
    assert level.body["progress"]["answered"] == 1
    assert comment.status == 200
    assert comment.body["answer"]["comment"] == "Our unit agrees"
    assert comment.body["answer"]["changed_by"] == "Bruno"
    stored = (await service.answering.office_answers(ANNA)).answers[5]
    assert (stored.level, stored.comment, stored.changed_by_name) == (
        "medium",
        "Our unit agrees",
        "Bruno",
    )


async def test_the_page_sees_what_the_chat_answered(
    page: PageClient, app: App, service: SurveyService
) -> None:
    await verify(service, ANNA)
    person = Person(app, ANNA, "en", "Anna")
    await person.send("/continue")
    await person.click("High")

    shown = await page.me(ANNA)

    assert shown.body["answers"]["1"]["level"] == "high"
    assert shown.body["progress"]["answered"] == 1


async def test_a_change_made_in_the_chat_meanwhile_is_not_overwritten(
    page: PageClient, service: SurveyService, clock: Clock
) -> None:
    await verify(service, ANNA)
    first = await page.answer(ANNA, 4, level="high")
    held = first.body["answer"]["stamp"]
    clock.advance(seconds=10)
    await service.answering.record_answer(ANNA, 4, "low")  # the chat, with the page open

    stale = await page.answer(ANNA, 4, level="medium", expected=held)

    assert stale.status == 409
    assert stale.code == "changed"
    assert stale.body["current"]["level"] == "low"
    assert stale.body["current"]["stamp"] != held
    assert "changed meanwhile" in stale.body["error"]["message"]
    assert (await service.answering.office_answers(ANNA)).answers[4].level == "low"
    again = await page.answer(ANNA, 4, level="medium", expected=stale.body["current"]["stamp"])
    assert again.status == 200


async def test_a_first_answer_given_meanwhile_elsewhere_is_not_overwritten(
    page: PageClient, service: SurveyService
) -> None:
    await verify(service, ANNA)
    await verify(service, BRUNO)
    await service.answering.record_answer(BRUNO, 9, "low")

    stale = await page.answer(ANNA, 9, level="high", expected=None)

    assert (stale.status, stale.code) == (409, "changed")
    assert stale.body["current"]["level"] == "low"


async def test_a_comment_over_1000_characters_is_refused(
    page: PageClient, service: SurveyService
) -> None:
    await verify(service, ANNA)

    refused = await page.answer(ANNA, 1, comment="x" * 1001)
    accepted = await page.answer(ANNA, 1, comment="x" * 1000)

    assert (refused.status, refused.code) == (400, "comment_too_long")
    assert "1,000" in refused.body["error"]["message"]
    assert accepted.status == 200


async def test_unknown_levels_and_numbers_and_bad_bodies_are_refused(
    page: PageClient, service: SurveyService
) -> None:
    await verify(service, ANNA)

    level = await page.answer(ANNA, 1, level="urgent")
    number = await page.answer(ANNA, 41, level="high", expected=None)
    nothing = await page.answer(ANNA, 1)
    not_json = await page.post("/app/api/answer", ANNA, raw=b"number=1", content_type="text/plain")
    not_object = await page.post("/app/api/answer", ANNA, [1, "high"])
    too_big = await page.post("/app/api/answer", ANNA, raw=json.dumps({"c": "x" * 20000}).encode())

    assert (level.status, level.code) == (400, "unknown_level")
    assert (number.status, number.code) == (400, "unknown_recommendation")
    assert (nothing.status, nothing.code) == (400, "bad_request")
    assert (not_json.status, not_json.code) == (400, "bad_request")
    assert (not_object.status, not_object.code) == (400, "bad_request")
    assert (too_big.status, too_big.code) == (413, "too_large")
    assert (await service.answering.office_answers(ANNA)).answers == {}


async def test_after_the_deadline_the_page_is_read_only_and_writes_are_refused(
    page: PageClient, service: SurveyService, clock: Clock
) -> None:
    await verify(service, ANNA)
    await service.answering.record_answer(ANNA, 1, "high")
    clock.advance(days=31)

    shown = await page.me(ANNA)
    refused = await page.answer(ANNA, 1, level="low")

    assert shown.body["read_only"] is True
    assert shown.body["deadline"]["closed"] is True
    assert (refused.status, refused.code) == (409, "closed")
    assert (await service.answering.office_answers(ANNA)).answers[1].level == "high"


async def test_the_notice_comes_before_the_first_answer(
    page: PageClient, service: SurveyService
) -> None:
    issued = await service.secretariat.create_invitation("EP", _cli())
    await service.enrolment.redeem(ANNA, issued.code, full_name="Anna")

    shown = await page.me(ANNA)
    refused = await page.answer(ANNA, 1, level="high", expected=None)
    stale = await page.post("/app/api/notice", ANNA, {"version": "an older text"})
    read = await page.post("/app/api/notice", ANNA, {"version": shown.body["notice"]["version"]})
    accepted = await page.answer(ANNA, 1, level="high", expected=None)

    notice = shown.body["notice"]
    assert notice["required"] is True
    assert any("personal data" in p.lower() for p in notice["paragraphs"])
    assert not any("<b>" in p for p in notice["paragraphs"])
    assert (refused.status, refused.code) == (409, "notice_required")
    assert (stale.status, stale.code) == (409, "notice_changed")
    assert read.status == 200
    assert read.body["notice"]["required"] is False
    assert accepted.status == 200
    assert len(await service.privacy.acknowledgements(ANNA)) == 1


async def test_submission_locks_the_page_and_shows_the_receipt(
    page: PageClient, app: App, service: SurveyService
) -> None:
    await verify(service, ANNA, name="Anna")
    await verify(service, BRUNO, name="Bruno")
    await answer_all(service, ANNA)

    submitted = await page.post("/app/api/submit", ANNA, {})
    await app.dispatcher["notifier"].drain()
    shown = await page.me(ANNA)
    refused = await page.answer(ANNA, 1, level="low")

    assert submitted.status == 200
    receipt = submitted.body["receipt"]
    assert receipt["submitted_by"] == "Anna"
    assert receipt["reference"] in receipt["text"]
    assert "<code>" not in receipt["text"]
    assert shown.body["read_only"] is True
    assert shown.body["submitted"] is True
    assert shown.body["receipt"]["reference"] == receipt["reference"]
    assert (refused.status, refused.code) == (409, "submitted")
    # The same notices as the chat's Submit: the colleague and the Secretariat are told.
    assert any("submitted by Anna" in text for text in app.bot.sent(BRUNO))
    assert any(receipt["reference"] in text for text in app.bot.sent(ADMIN_ID))


async def test_the_receipt_shows_a_name_with_markup_characters_as_it_is(
    page: PageClient, service: SurveyService
) -> None:
    await verify(service, ANNA, name="Ann <Lee> & Co &amp;")
    await answer_all(service, ANNA)

    submitted = await page.post("/app/api/submit", ANNA, {})

    assert "by Ann <Lee> & Co &amp;." in submitted.body["receipt"]["text"]


async def test_an_incomplete_office_cannot_submit(page: PageClient, service: SurveyService) -> None:
    await verify(service, ANNA)
    await answer_all(service, ANNA, skip=(7,))

    refused = await page.post("/app/api/submit", ANNA, {})

    assert (refused.status, refused.code) == (409, "incomplete")
    assert "R07" in refused.body["error"]["message"]


async def test_two_submissions_at_once_make_one_receipt(
    page: PageClient, service: SurveyService, app: App
) -> None:
    await verify(service, ANNA)
    await verify(service, BRUNO)
    await answer_all(service, ANNA)

    replies = await asyncio.gather(
        page.post("/app/api/submit", ANNA, {}), page.post("/app/api/submit", BRUNO, {})
    )
    await app.dispatcher["notifier"].drain()

    assert sorted(r.status for r in replies) == [200, 409]
    assert [r.code for r in replies if r.status == 409] == ["submitted"]
    receipts = {r.body["receipt"]["reference"] for r in replies if r.status == 200}
    assert len(receipts) == 1


async def test_the_language_is_the_persons_and_switchable(
    page: PageClient, app: App, service: SurveyService
) -> None:
    await verify(service, ANNA)

    in_client = await page.get("/app/api/me", init_data=page.init_data(ANNA, lang="fr"))
    displayed = await page.me(ANNA, lang="es")
    chosen = await page.post("/app/api/language", ANNA, {"lang": "es"})
    after = await page.me(ANNA)
    refused = await page.post("/app/api/language", ANNA, {"lang": "de"})

    assert in_client.body["lang"] == "fr"
    assert in_client.body["progress"]["text"] == "0 sur 40 recommandations répondues"
    assert displayed.body["lang"] == "es"
    assert chosen.body == {"lang": "es"}
    assert after.body["lang"] == "es"
    assert await service.enrolment.language(ANNA) == "es"
    assert refused.code == "bad_request"
    # The chat speaks the page's choice too, even to a client set to English.
    locales = app.dispatcher[LOCALE_MIDDLEWARE]
    assert (
        await locales.locale_for(User(id=ANNA, is_bot=False, first_name="A", language_code="en"))
        == "es"
    )


async def test_another_offices_answers_and_people_never_appear(
    page: PageClient, service: SurveyService
) -> None:
    await verify(service, ANNA, name="Anna Ep")
    await verify(service, OTHER, office="JP", name="Zacharias Jp")
    await service.answering.record_comment(OTHER, 3, "Secret-JP-comment")
    await service.answering.record_answer(OTHER, 3, "low")
    await service.answering.record_answer(ANNA, 1, "high")

    replies = [
        await page.me(ANNA),
        await page.answer(ANNA, 3, level="high"),
        await page.post("/app/api/confirm", ANNA, {"number": 1}),
    ]

    for reply in replies:
        text = json.dumps(reply.body, ensure_ascii=False)
        assert "Secret-JP-comment" not in text
        assert "Zacharias" not in text
    assert replies[0].body["answers"]["3"]["level"] is None
    assert replies[1].body["answer"]["changed_by"] == "Anna Ep"


def _cli() -> Actor:
    return Actor.cli()


async def test_a_new_wording_shows_at_the_next_request_and_my_answer_stands_clears_it(
    page: PageClient, service: SurveyService, clock: Clock
) -> None:
    from tests.dialogs.test_wording_updates import put_new_wording_in_force_elsewhere

    await verify(service, ANNA)
    await page.answer(ANNA, 1, level="high")
    clock.advance(days=3)
    statement = await put_new_wording_in_force_elsewhere(service, clock)

    shown = await page.me(ANNA)
    confirmed = await page.post("/app/api/confirm", ANNA, {"number": 1})
    after = await page.me(ANNA)

    recommendation = shown.body["questionnaire"]["recommendations"][0]
    assert recommendation["statement"] == statement  # in force in another process: read again
    assert recommendation["wording_updated"] == "4 June 2026"
    assert shown.body["questionnaire"]["version"] == 2
    assert confirmed.status == 200
    assert confirmed.body["answer"]["level"] == "high"
    assert confirmed.body["answer"]["wording_updated"] is None
    assert confirmed.body["answer"]["stamp"] != shown.body["answers"]["1"]["stamp"]
    assert after.body["questionnaire"]["recommendations"][0]["wording_updated"] is None


async def test_a_language_chosen_on_the_page_relabels_the_chats_menu_button(
    settings: Settings, service: SurveyService, i18n: I18n, clock: Clock
) -> None:
    with_page = settings.model_copy(update={"webapp_url": "https://survey.example.org/app/"})
    app = start_app(with_page, service, i18n)
    context = replace(WebAppContext.from_dispatcher(app.dispatcher, app.bot), clock=clock)  # type: ignore[arg-type]
    await verify(service, ANNA)
    root = web.Application()
    add_webapp(root, context)
    async with TestClient(TestServer(root)) as client:
        assert settings.bot_token is not None
        page = PageClient(client, settings.bot_token.get_secret_value(), clock)
        await page.post("/app/api/language", ANNA, {"lang": "fr"})
    await settled()
    [call] = [call for call in app.bot.calls if isinstance(call, SetChatMenuButton)]
    assert call.chat_id == ANNA
    assert isinstance(call.menu_button, MenuButtonWebApp)
    assert call.menu_button.text == "Ouvrir le formulaire"
