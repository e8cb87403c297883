"""Operations through the real process: in webhook mode /healthz, /readyz and /metrics answer
beside the webhook, and LOG_FORMAT=json writes one JSON object per line naming the update and
the user, with neither the token, nor the invitation code, nor the comment text; by polling, a
second process on the same bot stops with one line while the first goes on."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from standin.telegram import TelegramStandIn
from survey.model import Actor
from survey.service import SurveyService
from tests.support import answer_all

from .conftest import STEP_TIMEOUT, TOKEN, BotProcess, Delegate, Launch

COMMENT = "Our Office's plan: keep the Zebra-Quokka registry (internal only)"


def metric_values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def get(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with session.get(url) as response:
        return response.status, await response.text()


async def test_webhook_endpoints_metrics_and_json_logs_without_secrets(
    telegram: TelegramStandIn, bot_process: BotProcess, service: SurveyService
) -> None:
    bot_process.env.update(LOG_FORMAT="json", LOG_LEVEL="DEBUG")
    launch = Launch(bot_process, telegram, "webhook")
    await launch.start()
    base = f"http://127.0.0.1:{launch.port}"
    eva = Delegate(telegram, 531)
    code = (await service.secretariat.create_invitation("EP", Actor.cli())).code

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=STEP_TIMEOUT)) as http:
        assert await get(http, f"{base}/healthz") == (200, '{"status": "ok"}')
        status, ready = await get(http, f"{base}/readyz")
        assert (status, json.loads(ready)) == (200, {"status": "ok", "checks": {"database": "ok"}})

        await eva.send(f"/start {code}")
        await eva.expect("You are verified")
        await eva.click("▶ Start")
        await eva.expect("/forgetme")
        await eva.click("✅ I understand, continue")
        await eva.click("High")
        await eva.expect("Recommendation 2 of 40")
        await eva.click("💬 Add a comment")
        await eva.expect("Send your comment on Recommendation 2")
        telegram.faults.add(method="sendMessage", chat_id=eva.user_id, status=502)  # retried
        await eva.send(COMMENT)
        await eva.expect("Your comment")
        await eva.click("Medium")
        await eva.expect("Recommendation 3 of 40")
        await answer_all(service, eva.user_id, skip=(1, 2))
        await eva.send("/review")
        await eva.expect("Review: European Patent Office")
        await eva.click("✅ Submit final answers")
        await eva.expect("Submit the final answers")
        await eva.click("✅ Yes, submit now")
        await eva.expect("Reference")

        status, exposition = await get(http, f"{base}/metrics")
    assert status == 200
    found = metric_values(exposition)
    assert found[("survey_bot_updates_total", (("type", "message"),))] == 3
    # Start, the privacy notice, High, Add a comment, Medium, Submit, Yes.
    assert found[("survey_bot_updates_total", (("type", "callback_query"),))] == 7
    assert found[("survey_bot_update_handling_seconds_count", (("type", "callback_query"),))] == 7
    assert found[("survey_bot_answers_stored_total", (("kind", "level"),))] == 2
    assert found[("survey_bot_answers_stored_total", (("kind", "comment"),))] == 1
    assert found[("survey_bot_submissions_total", ())] == 1
    error = (("error", "TelegramServerError"), ("method", "sendMessage"))
    assert found[("survey_bot_api_errors_total", error)] == 1

    assert bot_process.stop() == 0
    written = bot_process.log()
    records = [json.loads(line) for line in written.splitlines() if line.strip()]
    assert records, "nothing logged"
    for record in records:
        assert {"time", "level", "logger", "message"} <= set(record), record
    handled = [r for r in records if r.get("update_id") is not None]
    assert any(r.get("user_id") == eva.user_id for r in handled)
    # The Telegram id itself only in DEBUG lines; above, its keyed hash (bot/logs.py).
    assert all(r["user_id"] != eva.user_id for r in handled if r["level"] != "DEBUG")
    assert any(str(r.get("user_id", "")).startswith("u-") for r in handled)
    # (The stand-in's token, 123456:sandbox, is too short for its secret part, which is also in
    # the bot's username, to be masked alone: tests/unit/test_logs.py has a real-looking one.)
    for secret in (TOKEN, code, COMMENT, "Zebra-Quokka", "e2e_secret"):
        assert secret not in written, f"{secret!r} is in the log"


async def test_a_second_polling_process_stops_with_one_line(
    telegram: TelegramStandIn, bot_process: BotProcess, tmp_path: Path
) -> None:
    bot_process.start()
    zoe = Delegate(telegram, 532)
    await zoe.send("/help")  # the first process has been polling (an answered getUpdates)
    await zoe.expect("/start")
    second_dir = tmp_path / "second"
    second_dir.mkdir()
    second = BotProcess(env=dict(bot_process.env), workdir=second_dir)
    second.start()
    try:
        assert await second.exit_code() == 2
    finally:
        second.stop()
    said = second.log()
    problems = [line for line in said.splitlines() if "another process" in line]
    assert problems == [
        line for line in said.splitlines() if line.startswith("error: another process is")
    ]
    assert len(problems) == 1, said
    assert "Trying again" not in said
    assert "Traceback" not in said

    # The first process goes on serving.
    assert bot_process.process is not None
    assert bot_process.process.poll() is None
    latest = zoe.last()
    assert latest is not None
    await zoe.send("/help")
    await zoe.expect("/start", newer_than=latest.message_id)
    assert "another process polls this bot too" in bot_process.log()


async def test_probes_stay_out_of_the_access_log(
    telegram: TelegramStandIn, bot_process: BotProcess
) -> None:
    launch = Launch(bot_process, telegram, "webhook")
    await launch.start()
    base = f"http://127.0.0.1:{launch.port}"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=STEP_TIMEOUT)) as http:
        for _ in range(3):
            assert (await get(http, f"{base}/healthz"))[0] == 200
            assert (await get(http, f"{base}/metrics"))[0] == 200
            assert (await get(http, f"{base}/readyz"))[0] == 200
        # A wrong path is no probe: it stays in the log.
        assert (await get(http, f"{base}/healthz/extra"))[0] == 404
    zoe = Delegate(telegram, 533)
    await zoe.send("/help")
    await zoe.expect("/start")
    assert bot_process.stop() == 0
    written = bot_process.log()
    assert "POST /telegram/updates" in written  # the access log is on
    assert "/healthz/extra" in written
    for probe in ("/healthz ", "/metrics", "/readyz"):
        assert probe not in written, written
