"""Workbooks made by mutating a genuine one (hypothesis, fixed seed): parts enlarged or
duplicated, many fonts, fills and cell formats, shared strings of any size and character,
long and odd comments, rich text, extra rows, damaged parts. Each is sent through the real
dispatcher to the bounded checker (bot/upload_checker.py).

For every file: the check returns (the worker's caps bound it: no check runs past them);
the person gets a message (the problems, or the changes to confirm), never "something went
wrong"; and nothing in the store changes, since nobody confirms.
"""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

from aiogram.utils.i18n import I18n
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.upload_checker import UploadChecker
from storage.db import create_engine
from survey.questionnaire import Questionnaire
from tests.reports import hostile
from tests.support import Clock, survey_service

from .harness import start_app, verified

WENT_WRONG = "Sorry, something went wrong"
# Characters people and attackers put in cells: invisible fillers and joiners, spaces of
# every kind, emoji, right-to-left text, letters XML 1.0 cannot hold.
ODD = "\u3164\u200b\u2060\ufeff\u00a0\u3000 \t\nאé😀\ufe0f\U000e0067"
texts = st.text(alphabet=st.sampled_from(ODD) | st.characters(codec="utf-8"), max_size=40)
sizes = st.sampled_from([0, 1, 39, 40, 41, 999, 1000, 1001, 20_001])

mutations = st.one_of(
    st.tuples(st.just("styles"), st.sampled_from(["font", "fill", "border", "xf"]), sizes),
    st.tuples(st.just("strings"), st.integers(1, 25_000), st.integers(0, 40_000), texts),
    st.tuples(st.just("comments"), st.integers(0, 2_500), texts, st.integers(1, 2_000)),
    st.tuples(st.just("runs"), st.integers(0, 30_000)),
    st.tuples(st.just("rows"), st.integers(0, 30_000)),
    st.tuples(st.just("double"), st.sampled_from(["styles", "sheet", "id"])),
    st.tuples(st.just("cut"), st.sampled_from(["styles", "sheet", "id"]), st.floats(0, 1)),
)
PARTS = {"styles": hostile.STYLES, "sheet": hostile.SHEET, "id": "xl/worksheets/sheet2.xml"}


def mutate(genuine: bytes, mutation: tuple[Any, ...]) -> bytes:
    kind, *how = mutation
    if kind == "styles":
        tag, count = how
        group = {"font": "fonts", "fill": "fills", "border": "borders", "xf": "cellXfs"}[tag]
        return hostile.repack(
            genuine, {hostile.STYLES: hostile._styles_with(genuine, tag, group, count)}
        )
    if kind == "strings":  # a shared strings table, every comment cell showing one of its strings
        count, length, text = how
        string = _xml_text((text or "x") * (length // max(len(text), 1) + 1))[:length]
        items = f"<si><t>{string}</t></si>" + "<si><t/></si>" * (count - 1)
        rows = hostile._answer_rows(40, 't="s"><v>0</v>')
        return hostile.repack(
            genuine,
            {
                hostile.SHARED: hostile.shared_strings(items, count),
                hostile.SHEET: hostile.sheet(rows),
            },
        )
    if kind == "comments":  # a comment, repeated, in each of `rows` answer rows
        rows, text, repeat = how
        rows = min(rows, 8_000_000 // max(len(text) * repeat, 1))  # a file a test can make
        cell = f't="inlineStr"><is><t xml:space="preserve">{_xml_text(text) * repeat}</t></is>'
        return hostile.repack(
            genuine, {hostile.SHEET: hostile.sheet(hostile._answer_rows(rows, cell))}
        )
    if kind == "runs":
        return hostile.rich_text_runs(genuine, runs=how[0])
    if kind == "rows":
        return hostile.rows(genuine, how[0])
    with zipfile.ZipFile(io.BytesIO(genuine)) as archive:
        content = archive.read(PARTS[how[0]])
    if kind == "double":
        return hostile.repack(genuine, {PARTS[how[0]]: content + content})
    return hostile.repack(genuine, {PARTS[how[0]]: content[: int(len(content) * how[1])]})


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def upload_mutated(
    mutations_: list[tuple[Any, ...]],
    *,
    database: Path,
    settings: Settings,
    i18n: I18n,
    questionnaire: Questionnaire,
    checker: UploadChecker,
    lang: str,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        service = await survey_service(engine, questionnaire, Clock())
        app = start_app(settings, service, i18n, upload_checker=checker)
        person = await verified(app, service, lang=lang)
        await service.answering.record_answer(1, 2, "low")
        await person.send("/workbook")
        name, data = app.bot.files(person.user_id)[-1]
        for mutation in mutations_:
            data = mutate(data, mutation)
        before = (await service.answering.office_answers(1)).answers
        sent = len(app.bot.sent(person.user_id))

        await person.send_document(name, data)

        # A message (the problems, or "changes nothing"), or the window of the changes.
        replies = app.bot.sent(person.user_id)[sent:]
        assert not any(WENT_WRONG in reply for reply in replies)
        if replies:
            too_complex = re.search(r"too complex|trop complexe|demasiado complejo", replies[-1])
            event("refused: too complex" if too_complex else "refused, or changes nothing")
        else:
            assert person.buttons()[0].startswith("✅"), "no answer to the upload"
            event("changes shown for confirmation")
        assert (await service.answering.office_answers(1)).answers == before
    finally:
        await engine.dispose()


def test_mutated_workbooks_are_checked_within_bounds_and_change_nothing_unconfirmed(
    tmp_path: Path,
    sqlite_template: Path,
    settings: Settings,
    i18n: I18n,
    questionnaire: Questionnaire,
    upload_checker: UploadChecker,
) -> None:
    @hypothesis_settings(
        max_examples=40,
        derandomize=True,  # a fixed seed: the same files on every run
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(mutations, min_size=1, max_size=3), st.sampled_from(["en", "fr", "es"]))
    def upload(mutations_: list[tuple[Any, ...]], lang: str) -> None:
        database = tmp_path / "db" / "survey.db"
        database.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        shutil.copy(sqlite_template, database)
        asyncio.run(
            upload_mutated(
                mutations_,
                database=database,
                settings=settings,
                i18n=i18n,
                questionnaire=questionnaire,
                checker=upload_checker,
                lang=lang,
            )
        )

    upload()
