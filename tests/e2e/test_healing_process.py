"""The real process heals a chat whose dialog state no longer fits: a stranger's press in
someone's private chat changes nothing, and a dialog-state file written by an older version
(its states renamed since) puts the person back where the database says."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from standin.telegram import TelegramStandIn
from survey.service import SurveyService
from tests.support import answer_of

from .conftest import STEP_TIMEOUT, BotProcess, Delegate, Launch, answer, verify

RESTORED = "Your place in the survey was restored"


async def test_a_strangers_press_and_renamed_states_leave_the_person_able_to_go_on(
    launch: Launch,
    bot_process: BotProcess,
    telegram: TelegramStandIn,
    service: SurveyService,
    tmp_path: Path,
) -> None:
    await launch.start()
    eva = Delegate(telegram, 801)
    await verify(eva, service)
    await answer(eva, 1)
    window = await eva.expect("Recommendation 2 of 40")
    markup = window.inline_markup
    assert markup is not None
    high = markup["inline_keyboard"][0][0]["callback_data"]

    # A press by someone else on Eva's window, in Eva's chat: answered, nothing changes.
    message = {
        "message_id": window.message_id,
        "date": window.date,
        "chat": {"id": 801, "type": "private", "first_name": "Eva"},
        "from": {"id": telegram.bot_id, "is_bot": True, "first_name": "Survey"},
        "text": window.text,
        "reply_markup": markup,
    }
    stranger = {"id": 9999, "is_bot": False, "first_name": "Mallory"}
    await telegram.enqueue_update(
        {
            "callback_query": {
                "id": "forged-1",
                "from": stranger,
                "message": message,
                "chat_instance": "x",
                "data": high,
            }
        }
    )
    await telegram.wait_for(lambda t: not t.pending_updates, STEP_TIMEOUT)
    assert (await answer_of(service, 801, 2)).level is None
    assert eva.last() == window  # nothing shown to Eva

    await eva.click("Low")  # Eva herself, as if nothing had happened
    await eva.expect("Recommendation 3 of 40")
    assert (await answer_of(service, 801, 2)).level == "low"

    # Stopped, and its dialog state rewritten as an older version with other state names.
    await telegram.wait_for(lambda t: not t.pending_updates, STEP_TIMEOUT)
    assert bot_process.stop() == 0
    with closing(sqlite3.connect(tmp_path / "data" / "dialog-state.db")) as db, db:
        for key, data in db.execute("SELECT key, data FROM dialog_state WHERE data IS NOT NULL"):
            record = json.loads(data)
            if "state" in record:
                record["state"] = record["state"].replace(":", ":v1_")
                db.execute(
                    "UPDATE dialog_state SET data = ? WHERE key = ?", (json.dumps(record), key)
                )
    await launch.start()
    on_screen = eva.last()
    assert on_screen is not None
    await eva.click("Skip for now ▶")
    await eva.expect("Recommendation 3 of 40", newer_than=on_screen.message_id)
    assert any(RESTORED in (a.text or "") for a in telegram.answers(801))
    await eva.click("High")
    await eva.expect("Recommendation 4 of 40")
    assert (await answer_of(service, 801, 3)).level == "high"
    assert "Traceback" not in bot_process.log()
