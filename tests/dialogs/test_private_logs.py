"""Nothing personal in the log: a whole journey, a representative's and the Secretariat's,
read line by line at INFO and at DEBUG, in both formats. No name, comment, reason or code in
any line; a Telegram user id only in DEBUG lines (elsewhere a keyed hash stands for it)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from aiogram.utils.i18n import I18n

from bot.config import Settings
from bot.logs import build_handler, quiet_chatty_loggers
from survey.codes import hash_code
from survey.model import Actor
from survey.service import SurveyService
from tests.support import ADMIN_ID, answer_all

from .harness import App, Person

EVA_ID = 424_242_421
EVA = "Evangelina Lindqvist"
BEN_ID = 424_242_422
BEN = "Benedikt Ostermann"
ADMIN = "Sigrun Secretariat"
COMMENT = "Budget talks with ministry pending"
REASON = "Asked by Benedikt on the phone"


@pytest.fixture
def log_lines(request: pytest.FixtureRequest, settings: Settings) -> Iterator[io.StringIO]:
    """Every line the process would write, configured as `python -m bot run` does."""
    level, log_format = request.param
    configured = settings.model_copy(update={"log_level": level, "log_format": log_format})
    stream = io.StringIO()
    handler = build_handler(configured, stream)
    root = logging.getLogger()
    before = root.level, {name: logging.getLogger(name).level for name in ("aiosqlite", "asyncpg")}
    root.addHandler(handler)
    root.setLevel(level)
    quiet_chatty_loggers()
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(before[0])
        for name, old in before[1].items():
            logging.getLogger(name).setLevel(old)


LEVELS = [("INFO", "text"), ("INFO", "json"), ("DEBUG", "text"), ("DEBUG", "json")]


@pytest.mark.parametrize("log_lines", LEVELS, indirect=True, ids=lambda p: "-".join(p))
async def test_a_whole_journey_logs_nothing_personal(
    log_lines: io.StringIO, app: App, service: SurveyService, i18n: I18n
) -> None:
    code = (await service.secretariat.create_invitation("EP", Actor.cli(), max_uses=2)).code
    eva = Person(app, EVA_ID, "en", EVA)
    await eva.send(f"/start {code}")
    await eva.click("▶ Start")
    await eva.click("✅ I understand, continue")
    assert "Recommendation 1 of 40" in eva.text()
    await eva.click("💬 Add a comment")
    await eva.send(COMMENT)
    await eva.send("/privacy")
    await eva.send("/continue")
    ben = Person(app, BEN_ID, "fr", BEN)
    await ben.send(code)  # pasted without /start
    await ben.send("/continue")
    await answer_all(service, EVA_ID, "high")
    await eva.send("/review")
    await eva.click("✅ Submit final answers")
    await eva.click("✅ Yes, submit now")
    assert (await service.answering.review(EVA_ID)).response.submitted
    await eva.send("/mydata")
    await eva.send("/workbook")

    admin = Person(app, ADMIN_ID, "en", ADMIN)
    for command in ("/results", "/export", "/offices EP", "/remind", "/invite DE"):
        await admin.send(command)
    await admin.send("/reopen EP")
    await admin.send(REASON)
    assert not (await service.answering.review(EVA_ID)).response.submitted  # reopened
    await eva.send("not a code, just chatter from Evangelina")
    await ben.send("/mydata")
    await ben.send("/forgetme")
    await ben.click("🗑 Oui, effacer mes données")
    assert await service.enrolment.whereabouts(BEN_ID) is None  # a stranger now

    lines = log_lines.getvalue().splitlines()
    assert lines  # the journey was logged at all
    personal = [EVA, *EVA.split(), BEN, *BEN.split(), ADMIN, COMMENT, REASON, code]
    personal.append(hash_code(code))
    for line in lines:
        for secret in personal:
            assert secret not in line, (secret, line)
        if " DEBUG " not in line and '"level": "DEBUG"' not in line:
            for user_id in (EVA_ID, BEN_ID, ADMIN_ID):
                assert str(user_id) not in line, (user_id, line)
