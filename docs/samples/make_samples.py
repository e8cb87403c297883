"""Regenerate the samples in this folder: 190 Offices answer at random (150 submit) through
the real service on a SQLite file; then the /results message, its chart and the collated
document (DOCX; render it with LibreOffice to look at it)."""

from __future__ import annotations

import asyncio
import random
import tempfile
from pathlib import Path

from bot.i18n import build_i18n
from dialogs.secretariat.results import digest_message
from reports.chart import results_chart
from reports.files import ResultsData, results_file
from storage.db import SqlStoreFactory, create_engine
from storage.migrate import upgrade_async
from survey.model import Actor
from survey.offices import shipped_offices
from survey.questionnaire import load_questionnaire
from survey.service import SurveyService

HERE = Path(__file__).parent
OFFICES = 190
SUBMITTED = 150


async def answer_at_random(service: SurveyService) -> None:
    questionnaire = service.questionnaire
    cli = Actor.cli()
    rng = random.Random(7)  # noqa: S311 - sample data, not a secret
    levels = [level.code for level in questionnaire.scale]
    codes = [office.code for office in shipped_offices()][:OFFICES]
    for user, code in enumerate(codes, start=1):
        issued = await service.secretariat.create_invitation(code, cli)
        await service.enrolment.redeem(user, issued.code, full_name=f"Delegate {code}")
        bias = rng.random()  # some Offices favour the first Recommendations more
        for number in questionnaire.numbers:
            weights = [3 + (40 - number) / 10 * bias, 3, 2 + number / 20, 1]
            level = rng.choices(levels, weights)[0]
            await service.answering.record_answer(user, number, level)
        if user % 9 == 0:
            comment = "We already do this; budget 2027."
            await service.answering.record_comment(user, 1 + user % 40, comment)
        if user <= SUBMITTED:
            await service.answering.submit(user)


async def main() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/survey.db"
        await upgrade_async(url)
        engine = create_engine(url)
        try:
            questionnaire = load_questionnaire()
            service = SurveyService(SqlStoreFactory(engine), questionnaire)
            cli = Actor.cli()
            await service.secretariat.import_offices(shipped_offices(), cli)
            await answer_at_random(service)
            digest = await service.secretariat.digest(cli)
            rows = await service.secretariat.export_rows(cli)
            statuses = await service.secretariat.office_statuses(cli)
        finally:
            await engine.dispose()
    i18n = build_i18n()
    with i18n.context(), i18n.use_locale("en"):
        message = str(digest_message(digest, questionnaire, "en"))
    document = results_file("docx", ResultsData(digest, rows, statuses, questionnaire), "en")
    return {
        "results-digest-190-offices.html.txt": message.encode(),
        "results-chart-190-offices.png": results_chart(digest, questionnaire, "en"),
        "collated-results-190-offices.docx": document.data,
    }


if __name__ == "__main__":
    for name, data in asyncio.run(main()).items():
        (HERE / name).write_bytes(data)
        print(HERE / name)
