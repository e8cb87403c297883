"""The log: one JSON object per line on request, with the update's ids, and no secrets."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.logs import MASK, build_handler, known_secrets, pseudonymous_id, update_context

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    settings = Settings(
        bot_token=TOKEN,  # type: ignore[arg-type]
        webhook_url="https://bot.example.org/telegram",
        webhook_secret="hook_Secret-42",  # type: ignore[arg-type]
        database_url="postgresql+asyncpg://survey:db%2Fpassword@db/survey",
        redis_url="redis://:redis-pass@redis:6379/0",
        log_format="json",
    )
    logger = logging.getLogger("tests.logs")
    handler = build_handler(settings, stream)
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_one_json_object_per_line_with_the_update_ids(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.info("outside any update")
    with update_context(update_id=5001, user_id=42):
        logger.warning("two\nlines")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")
    first, second, third = lines(stream)
    assert set(first) == {"time", "level", "logger", "message"}
    assert first["level"] == "INFO"
    assert first["logger"] == "tests.logs"
    assert str(first["time"]).endswith("+00:00")
    # Above DEBUG the user id is a keyed hash: the same person, but no id in the log.
    hashed = pseudonymous_id(42, TOKEN.encode())
    assert second == {**second, "message": "two\nlines", "update_id": 5001, "user_id": hashed}
    assert "ValueError: boom" in str(third["exception"])
    assert "update_id" not in third


def test_the_user_id_itself_only_at_debug(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    with update_context(update_id=7, user_id=987654321):
        logger.debug("looking")
        logger.info("done")
    debug, info = lines(stream)
    assert debug["user_id"] == 987654321
    assert "987654321" not in json.dumps(info)
    assert info["user_id"] == pseudonymous_id(987654321, TOKEN.encode())
    assert info["user_id"] != pseudonymous_id(987654321, b"another deployment's token")


def test_secrets_and_codes_are_masked(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
    logger.info("secret part alone: %s", TOKEN.partition(":")[2])
    logger.info("header hook_Secret-42 and db/password and redis-pass")
    logger.info("another token 987654321:ZZHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9")
    logger.info("text '/start AbCdEf123_-xyz' and t.me/bot?start=AbCdEf123_-xyz")
    try:
        raise RuntimeError(f"cannot reach /bot{TOKEN}/getUpdates")
    except RuntimeError:
        logger.exception("with a traceback")
    written = stream.getvalue()
    for secret in (TOKEN.partition(":")[2], "hook_Secret-42", "db/password", "redis-pass"):
        assert secret not in written
    assert "ZZHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9" not in written
    assert "AbCdEf123_-xyz" not in written
    assert f"/start {MASK}" in written
    assert MASK in str(lines(stream)[-1]["exception"])


def test_known_secrets_come_from_the_settings() -> None:
    settings = Settings(
        bot_token=TOKEN,  # type: ignore[arg-type]
        database_url="postgresql://u:p%40ssword@h/d",
    )
    secrets = known_secrets(settings)
    assert TOKEN in secrets
    assert "p@ssword" in secrets
    nothing = Settings(
        bot_token=None, database_url="sqlite+aiosqlite:///x.db", redis_url=None, webhook_url=None
    )
    assert known_secrets(nothing) == []


def test_text_format_stays_the_default() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("tests.logs.text")
    handler = build_handler(Settings(), stream)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("plain")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    assert stream.getvalue().rstrip().endswith("WARNING tests.logs.text: plain")
