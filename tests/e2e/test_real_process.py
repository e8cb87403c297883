"""The real bot process over HTTP: a full survey, a kill -9 in the middle, injected Bot API
failures, and webhook mode. Every acknowledged answer must be in the database afterwards."""

from __future__ import annotations

import aiohttp
import pytest

from standin.telegram import TelegramStandIn
from survey.model import Actor
from survey.service import SurveyService

from .conftest import LEVELS, STEP_TIMEOUT, BotProcess, Delegate, answer, free_port, verify


async def polls(telegram: TelegramStandIn, more_than: int) -> None:
    await telegram.wait_for(lambda t: len(t.calls_of("getUpdates")) > more_than, STEP_TIMEOUT)


async def test_full_survey_with_kill_9_and_restart(
    telegram: TelegramStandIn, bot_process: BotProcess, service: SurveyService
) -> None:
    bot_process.start()
    await polls(telegram, 0)
    # Set at start-up, before the first poll: what a person sees before pressing Start.
    assert telegram.description("fr").startswith("L’enquête du Comité des normes de l’OMPI")
    assert telegram.short_description("es").startswith("La encuesta del CWS")
    eva = Delegate(telegram, 501)
    await verify(eva, service)

    acknowledged = []
    for number in range(1, 13):
        await answer(eva, number)
        acknowledged.append(number)

    # One more click, and the process dies with it in flight.
    window = await eva.expect("Recommendation 13 of 40")
    in_flight = await eva.click(LEVELS[13 % 4], wait=False)
    bot_process.kill9()

    polled = len(telegram.calls_of("getUpdates"))
    bot_process.start()
    await polls(telegram, polled)

    # Wherever the kill landed, the tap is handled: by the killed process, or, since an
    # update is confirmed only once handled, delivered again to the new one, which finds
    # its window in the dialog state kept on disk. Either way it is answered, stored once,
    # and the window shows the next Recommendation.
    answered = await telegram.wait_answered(in_flight, STEP_TIMEOUT)
    assert not answered.text  # a plain answer: neither "older message" nor an error
    await eva.expect("Recommendation 14 of 40")
    review = await service.answering.review(501)
    stored = {item.number: item.level for item in review.items if item.level}
    assert stored == {n: LEVELS[n % 4].lower().replace(" ", "_") for n in [*acknowledged, 13]}

    latest = eva.last()
    assert latest is not None
    assert latest.message_id == window.message_id
    await eva.send("/continue")
    await eva.expect("Recommendation 14 of 40", newer_than=latest.message_id)
    for number in range(14, 41):
        await answer(eva, number)
    await eva.expect("Review: European Patent Office")
    await eva.click("✅ Submit final answers")
    await eva.expect("Submit the final answers")
    await eva.click("✅ Yes, submit now")
    receipt = await eva.expect("Reference")

    review = await service.answering.review(501)
    assert review.response.submitted
    assert review.response.receipt is not None
    assert review.response.receipt.reference in receipt.text
    assert review.unanswered == []
    assert "Traceback" not in bot_process.log()


async def test_429_and_5xx_lose_and_duplicate_nothing(
    telegram: TelegramStandIn, bot_process: BotProcess, service: SurveyService
) -> None:
    bot_process.start()
    await polls(telegram, 0)
    ana = Delegate(telegram, 502)
    await verify(ana, service)

    telegram.faults.add(method="editMessageText", status=429, retry_after=1, times=1)
    telegram.faults.add(method="answerCallbackQuery", status=502, times=2)
    telegram.faults.add(method="sendMessage", status=503, times=1)
    telegram.faults.add(method="getUpdates", status=502, times=2)
    for number in range(1, 9):
        await answer(ana, number)
    # Nothing sent twice: the welcome message became the first question, and every answer
    # since has edited that one message (one revision per answer, none repeated).
    sent = [m for m in telegram.visible(502) if m.from_bot]
    assert len(sent) == 1, [m.text[:40] for m in sent]
    questions = [text for text in sent[0].revisions if text.startswith("Recommendation")]
    assert [q.split(" of")[0] for q in questions] == [f"Recommendation {n}" for n in range(1, 10)]
    assert "Recommendation 9 of 40" in sent[-1].text

    before = ana.last()
    assert before is not None
    await ana.send("/continue")
    await ana.expect("Recommendation 9 of 40", newer_than=before.message_id)

    progress = await service.answering.progress(502)
    assert progress.answered == 8
    assert progress.first_unanswered == 9
    # Every injected failure happened and was retried past.
    assert all(fault.times == 0 for fault in telegram.faults.items)
    assert "retrying" in bot_process.log()


async def test_webhook_mode_checks_the_secret(
    telegram: TelegramStandIn, bot_process: BotProcess, service: SurveyService
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/updates"
    bot_process.start(
        WEBHOOK_URL=url, WEBHOOK_SECRET="e2e_secret-token", WEBHOOK_LISTEN_PORT=str(port)
    )
    await telegram.wait_for(lambda t: t.webhook is not None, STEP_TIMEOUT)
    assert telegram.webhook is not None
    assert telegram.webhook.url == url

    sam = Delegate(telegram, 503, "fr")
    code = (await service.secretariat.create_invitation("FR", Actor.cli())).code
    await sam.send(f"/start {code}")
    await sam.expect("France")
    await sam.click("▶ Commencer")
    await sam.expect("/forgetme")  # the privacy notice first
    await sam.click("✅ J’ai compris, continuer")
    await sam.expect("Recommandation 1 sur 40")
    await sam.click("Élevée")
    await sam.expect("Recommandation 2 sur 40")
    assert (await service.answering.progress(503)).answered == 1

    # Someone who is not Telegram posts an update: refused, nothing changes.
    forged = {
        "update_id": 999_999,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 503, "type": "private"},
            "from": {"id": 503, "is_bot": False, "first_name": "Mallory"},
            "text": "/language",
        },
    }
    async with aiohttp.ClientSession() as session:
        for secret in ("wrong", None):
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
            async with session.post(url, json=forged, headers=headers) as response:
                assert response.status == 401
    assert not any(c for c in telegram.calls_of("sendMessage") if "Choisissez" in str(c))
    assert (await service.answering.progress(503)).answered == 1


async def test_the_process_stops_cleanly_on_sigterm(
    telegram: TelegramStandIn, bot_process: BotProcess
) -> None:
    bot_process.start()
    await polls(telegram, 0)
    assert bot_process.stop() == 0
    assert "Traceback" not in bot_process.log()


@pytest.mark.parametrize(
    ("host", "fault", "reason"),
    [
        pytest.param(
            "127.0.0.1",
            "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
            "Webhook can be set up only on ports 80, 88, 443 or 8443",
            id="telegram-refuses-the-port",
        ),
        pytest.param(
            "bot.example.org",
            None,
            "the sandbox delivers only to 127.0.0.1",
            id="stand-in-refuses-the-host",
        ),
    ],
)
async def test_a_refused_webhook_is_one_line_naming_webhook_url_and_exit_2(
    telegram: TelegramStandIn, bot_process: BotProcess, host: str, fault: str | None, reason: str
) -> None:
    if fault is not None:
        telegram.faults.add(method="setWebhook", status=400, description=fault)
    port = free_port()
    url = f"http://{host}:{port}/telegram/updates"
    bot_process.start(
        WEBHOOK_URL=url, WEBHOOK_SECRET="e2e_secret-token", WEBHOOK_LISTEN_PORT=str(port)
    )
    assert await bot_process.exit_code() == 2
    said = bot_process.log()
    assert "Traceback" not in said, said
    errors = [line for line in said.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, said
    [line] = errors
    assert "WEBHOOK_URL" in line
    assert url in line
    assert "bad webhook" in line
    assert reason in line
    assert telegram.webhook is None
