"""Two real bot processes (`python -m bot run`, webhook mode) on one PostgreSQL database and
one Redis, behind a load balancer that sends each person's updates to the two in turn, so
that consecutive taps of one person are handled by different processes.

A dozen representatives of a dozen Offices answer all 40 at once and submit; a second
representative of one of them switches to French on one replica (the next update, on the
other, speaks French) and presses Submit together with her colleague, each press on a
different replica: one submission. Then one replica is killed with SIGKILL in the middle
of an update, and the other carries on: everyone finishes. Then both start again together
with an automatic reminder due: each representative who has not submitted gets it once.

The stand-in delivers as Telegram does (different chats at once, one chat in order); the
balancer stands for the reverse proxy in front of the replicas.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bot.i18n import build_i18n
from standin.server import SECRET_HEADER
from standin.telegram import TelegramStandIn
from storage.db import SqlStoreFactory, create_engine
from storage.models import AnswerRow, OfficeRow, ReminderClaimRow, ResponseRow
from survey.model import Actor
from survey.questionnaire import load_questionnaire
from survey.service import SurveyService
from tests.support import audit_events, make_postgres_database, stored_rows, stored_values

from .conftest import LEVELS, STEP_TIMEOUT, BotProcess, Delegate, answer, free_port, verify

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SECRET = "replicas_secret-token"
# One representative each, answering at once; EP gets a second one for the Submit race.
FIRST_WAVE = ("EP", "FR", "DE", "JP", "US", "CN", "KR", "GB", "ES", "IT", "BR", "CA")
# Answering when a replica is killed; the last three do not submit (reminded later).
SECOND_WAVE = ("AU", "AT", "CH", "SE", "NO", "MX")
UNSUBMITTED = SECOND_WAVE[3:]
KILL_AFTER = 8  # answers the first of the second wave gives before the press cut short
REMINDER = "A reminder from the CWS Secretariat"


def level_code(number: int) -> str:
    return LEVELS[number % 4].lower().replace(" ", "_")


def user_of(update: dict[str, Any]) -> int | None:
    for value in update.values():
        if isinstance(value, dict) and isinstance(value.get("from"), dict):
            return int(value["from"]["id"])
    return None


@dataclass
class Delivery:
    update_id: int
    user: int | None
    replica: int


@dataclass
class Balancer:
    """The reverse proxy in front of the replicas. Each person's updates go to the replicas
    in turn (the first by the parity of their id); a replica that refuses connections is
    skipped, as by a load balancer's health check; one that dies while handling a request
    gets it a 502, and Telegram then delivers the update again."""

    targets: list[str]
    port: int = field(default_factory=free_port)
    delivered: list[Delivery] = field(default_factory=list)
    refused: Counter[int] = field(default_factory=Counter)
    cut: list[int] = field(default_factory=list)  # update ids answered 502
    cut_presses: set[str] = field(default_factory=set)  # their callback query ids
    _turns: Counter[int] = field(default_factory=Counter)
    _runner: web.AppRunner | None = None
    _session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram/updates"

    async def start(self) -> None:
        # A new connection per request: a killed replica is then "connection refused".
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True),
            timeout=aiohttp.ClientTimeout(total=70),
        )
        app = web.Application()
        app.router.add_post("/telegram/updates", self.forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        update = json.loads(body)
        user = user_of(update)
        first = self.next_replica(user or 0)
        self._turns[user or 0] += 1
        headers = {"Content-Type": "application/json"}
        if SECRET_HEADER in request.headers:
            headers[SECRET_HEADER] = request.headers[SECRET_HEADER]
        for step in range(len(self.targets)):
            replica = (first + step) % len(self.targets)
            try:
                async with self._session.post(
                    self.targets[replica], data=body, headers=headers
                ) as answer:
                    payload = await answer.read()
                    if answer.status < 300:
                        self.delivered.append(Delivery(update["update_id"], user, replica))
                    return web.Response(
                        status=answer.status,
                        body=payload,
                        headers={"Content-Type": answer.headers.get("Content-Type", "text/plain")},
                    )
            except aiohttp.ClientConnectorError:
                self.refused[replica] += 1  # down: the next one
            except aiohttp.ClientError:  # died while handling it
                self.cut.append(update["update_id"])
                if "callback_query" in update:
                    self.cut_presses.add(update["callback_query"]["id"])
                return web.Response(status=502, text="bad gateway")
        return web.Response(status=502, text="no replica")

    def next_replica(self, user: int) -> int:
        """Where this person's next update goes, if that replica is up."""
        return (user + self._turns[user]) % len(self.targets)

    def skip_turn(self, user: int) -> None:
        self._turns[user] += 1

    def last_replica(self, user: int) -> int:
        return [d.replica for d in self.delivered if d.user == user][-1]

    def per_replica(self, since: int = 0) -> list[int]:
        counts = Counter(delivery.replica for delivery in self.delivered[since:])
        return [counts[replica] for replica in range(len(self.targets))]


@dataclass
class Replicas:
    telegram: TelegramStandIn
    balancer: Balancer
    processes: list[BotProcess]
    ports: list[int]

    async def start(self, *which: int) -> None:
        """Start these replicas together and wait until each serves the webhook."""
        for index in which:
            self.processes[index].start(WEBHOOK_LISTEN_PORT=str(self.ports[index]))
        await asyncio.gather(
            *(self.processes[index].wait_for_log("Webhook http") for index in which)
        )

    def logs(self) -> str:
        return "\n".join(process.log() for process in self.processes)


@pytest.fixture
def replicas_database() -> str:
    """A new, empty PostgreSQL database: the replicas migrate it, both at once."""
    return make_postgres_database(f"survey_replicas_{os.getpid()}")


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramStandIn]:
    # A bot id of this test's own: aiogram's Redis keys start with it.
    stand_in = TelegramStandIn(f"{random.randrange(10**9, 10**10)}:replicas")
    await stand_in.start("127.0.0.1", 0)
    yield stand_in
    await stand_in.stop()


@pytest.fixture
async def replicas(
    telegram: TelegramStandIn, replicas_database: str, redis_url: str, tmp_path: Path
) -> AsyncIterator[Replicas]:
    ports = [free_port(), free_port()]
    balancer = Balancer([f"http://127.0.0.1:{port}/telegram/updates" for port in ports])
    await balancer.start()
    env = {
        "BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.url,
        "DATABASE_URL": replicas_database,
        "REDIS_URL": redis_url,
        "WEBHOOK_URL": balancer.url,
        "WEBHOOK_SECRET": SECRET,
        "REMINDER_OFFSETS": "1d",
        "SURVEY_DEADLINE": "",
        "ADMIN_IDS": "",
        "LOG_LEVEL": "INFO",
    }
    processes = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        processes.append(BotProcess(env=env, workdir=tmp_path / name))
    yield Replicas(telegram, balancer, processes, ports)
    for process in processes:
        process.stop()
    await balancer.stop()
    client = Redis.from_url(redis_url)
    try:
        async for name in client.scan_iter(match=f"fsm:{telegram.bot_id}:*"):
            await client.delete(name)
    finally:
        await client.aclose()


@dataclass
class Scenario:
    """What the phases of the test share: the replicas, the stand-in, the Secretariat's side
    of the database (invitations, the deadline, what is stored), and the counts observed."""

    replicas: Replicas
    telegram: TelegramStandIn
    service: SurveyService
    engine: AsyncEngine
    report: dict[str, object] = field(default_factory=dict)

    @property
    def balancer(self) -> Balancer:
        return self.replicas.balancer

    async def stored_levels(self, office: str) -> list[tuple[int, str | None]]:
        rows = await stored_rows(
            self.engine,
            select(col(AnswerRow.recommendation), col(AnswerRow.level))
            .join(ResponseRow, col(ResponseRow.id) == col(AnswerRow.response_id))
            .join(OfficeRow, col(OfficeRow.id) == col(ResponseRow.office_id))
            .where(col(OfficeRow.code) == office)
            .order_by(col(AnswerRow.recommendation)),
        )
        return [(row[0], row[1]) for row in rows]

    async def all_answers_stored_once(self, offices: tuple[str, ...]) -> None:
        """Each Office's 40 answers, each with the level its representative chose, one row
        each (the unique constraint would refuse a second, but nothing may be missing)."""
        for office in offices:
            assert await self.stored_levels(office) == [
                (number, level_code(number)) for number in range(1, 41)
            ], office

    async def submitted(self) -> list[str]:
        return sorted(
            await stored_values(
                self.engine,
                select(col(OfficeRow.code))
                .join(ResponseRow, col(ResponseRow.office_id) == col(OfficeRow.id))
                .where(col(ResponseRow.status) == "submitted"),
            )
        )


async def answer_all(delegate: Delegate, numbers: range) -> None:
    for number in numbers:
        await answer(delegate, number)


async def submit(delegate: Delegate) -> None:
    await delegate.expect("Review: ")
    await delegate.click("✅ Submit final answers")
    await delegate.expect("Submit the final answers")
    await delegate.click("✅ Yes, submit now")
    await delegate.expect("Reference")


def handled_counts(replicas: Replicas) -> Counter[int]:
    """How many times each update id was handled to the end, over both replicas' logs."""
    counts: Counter[int] = Counter()
    for line in replicas.logs().splitlines():
        if "Update id=" in line and " is handled" in line:
            counts[int(line.split("Update id=", 1)[1].split(" ", 1)[0])] += 1
    return counts


async def a_dozen_at_once_and_a_submit_race(run: Scenario) -> list[Delegate]:
    """Twelve representatives of twelve Offices answer all 40 at once and submit; Eva's
    colleague Ben switches to French on one replica (the next update, on the other, speaks
    French) and presses Submit together with her, each press on a different replica."""
    telegram, service, balancer = run.telegram, run.service, run.balancer
    fr = build_i18n()
    delegates = {office: Delegate(telegram, 7001 + i) for i, office in enumerate(FIRST_WAVE)}
    eva, ben = delegates["EP"], Delegate(telegram, 7100)
    eva_done, both_ready = asyncio.Event(), asyncio.Barrier(2)
    presses: dict[int, str] = {}

    async def representative(office: str, delegate: Delegate) -> None:
        await verify(delegate, service, office)
        await answer_all(delegate, range(1, 41))
        if delegate is not eva:
            await submit(delegate)
            return
        eva_done.set()
        await eva.expect("Review: ")
        await eva.click("✅ Submit final answers")
        await eva.expect("Submit the final answers")
        await both_ready.wait()
        presses[eva.user_id] = await eva.click("✅ Yes, submit now")

    async def colleague() -> None:
        code = (await service.secretariat.create_invitation("EP", Actor.cli())).code
        await ben.send(f"/start {code}")
        await ben.expect("You are verified")
        await ben.send("/language")
        await ben.expect("Choose your language")
        await ben.click("Français")
        await ben.send("/continue")  # on the other replica
        await ben.expect("/forgetme")  # the privacy notice, in French, before the first answer
        await ben.click(fr.gettext("✅ I understand, continue", locale="fr"))
        await ben.expect(r"Recommandation \d+ sur 40")
        await eva_done.wait()
        await ben.send("/review")
        await ben.expect("Récapitulatif des réponses")
        await ben.click(fr.gettext("✅ Submit final answers", locale="fr"))
        await ben.expect("Soumettre")
        await both_ready.wait()
        if balancer.next_replica(ben.user_id) == balancer.next_replica(eva.user_id):
            balancer.skip_turn(ben.user_id)  # the two presses go to different replicas
        presses[ben.user_id] = await ben.click(fr.gettext("✅ Yes, submit now", locale="fr"))

    started = len(balancer.delivered)
    await asyncio.gather(*(representative(o, d) for o, d in delegates.items()), colleague())

    await run.all_answers_stored_once(FIRST_WAVE)
    assert await run.submitted() == sorted(FIRST_WAVE)
    submits = await audit_events(run.engine, "response.submit")
    submissions = Counter(row.office_id for row in submits)
    assert list(submissions.values()) == [1] * len(FIRST_WAVE)
    # One press won; the other, on the other replica, was told who had submitted.
    assert balancer.last_replica(eva.user_id) != balancer.last_replica(ben.user_id)
    race = {user: await telegram.wait_answered(q, STEP_TIMEOUT) for user, q in presses.items()}
    told = [answer.text for answer in race.values() if answer.text]
    assert len(told) == 1
    assert "already submitted by" in told[0] or "déjà été soumises" in told[0]
    [winner] = [user for user, answer in race.items() if not answer.text]
    # Every person's updates alternated between the replicas (Ben's last one aside).
    for user in [d.user_id for d in delegates.values()] + [ben.user_id]:
        mine = [d.replica for d in balancer.delivered[started:] if d.user == user]
        if user == ben.user_id:
            mine.pop()
        assert all(a != b for a, b in itertools.pairwise(mine)), (user, mine)
    run.report["first wave: updates per replica (A, B)"] = balancer.per_replica(started)
    run.report["Submit race won on replica"] = "AB"[balancer.last_replica(winner)]
    return [*delegates.values(), ben]


async def one_replica_killed_mid_update(run: Scenario) -> tuple[list[Delegate], int]:
    """Six more answer at once; the replica that gets one person's 9th answer is killed with
    SIGKILL while handling it (the stand-in holds the window's edit: the answer is stored, the
    chat locked in Redis). The others keep answering meanwhile; everyone finishes on the
    other replica, three of them submit. Returns them, and which replica was killed."""
    telegram, service, balancer = run.telegram, run.service, run.balancer
    second = {office: Delegate(telegram, 7201 + i) for i, office in enumerate(SECOND_WAVE)}
    for office, delegate in second.items():
        await verify(delegate, service, office)
    victim = second[SECOND_WAVE[0]]
    started = len(balancer.delivered)
    doomed = -1

    async def keeps_answering(office: str, delegate: Delegate) -> None:
        nonlocal doomed
        await answer_all(delegate, range(1, KILL_AFTER + 1))
        if delegate is victim:
            doomed = balancer.next_replica(delegate.user_id)
            telegram.faults.add(method="editMessageText", chat_id=delegate.user_id, hold=True)
            await delegate.expect(f"Recommendation {KILL_AFTER + 1} of 40")
            cut_short = await delegate.click(LEVELS[(KILL_AFTER + 1) % 4], wait=False)
            await telegram.wait_for(lambda t: t.holding == 1, STEP_TIMEOUT)
            await asyncio.to_thread(run.replicas.processes[doomed].kill9)
            killed_at = asyncio.get_running_loop().time()
            # Delivered again, to the other replica, which waits for the chat's lock to
            # expire (the killed one held it), then shows the next Recommendation.
            await delegate.expect(f"Recommendation {KILL_AFTER + 2} of 40")
            run.report["seconds from the kill until the cut-short press was shown handled"] = round(
                asyncio.get_running_loop().time() - killed_at, 1
            )
            await telegram.wait_answered(cut_short, STEP_TIMEOUT)
            await answer_all(delegate, range(KILL_AFTER + 2, 41))
        else:
            await answer_all(delegate, range(KILL_AFTER + 1, 41))
        if office in UNSUBMITTED:
            await delegate.expect("Review: ")
        else:
            await submit(delegate)

    await asyncio.gather(*(keeps_answering(o, d) for o, d in second.items()))

    await run.all_answers_stored_once(SECOND_WAVE)
    assert await run.submitted() == sorted(
        FIRST_WAVE + tuple(o for o in SECOND_WAVE if o not in UNSUBMITTED)
    )
    assert balancer.cut, "the killed replica had an update in flight"
    run.report["second wave: updates per replica (A, B)"] = balancer.per_replica(started)
    run.report["killed replica"] = "AB"[doomed]
    run.report["updates cut short by the kill (502, delivered again)"] = len(balancer.cut)
    run.report["connections refused by the killed replica"] = balancer.refused[doomed]
    return list(second.values()), doomed


def each_update_and_press_handled_once(run: Scenario) -> None:
    """Every update was handled to the end by one replica, once, and every press answered
    once, except those cut short by the kill: the other replica handled them again."""
    delivered = {d.update_id for d in run.balancer.delivered}
    handled = handled_counts(run.replicas)
    assert delivered <= set(handled)
    twice = {update_id for update_id, count in handled.items() if count > 1}
    assert twice <= set(run.balancer.cut), twice
    answered = Counter(c["callback_query_id"] for c in run.telegram.calls_of("answerCallbackQuery"))
    again = {query for query, count in answered.items() if count > 1}
    assert again <= run.balancer.cut_presses, again
    run.report["updates handled"] = len(handled)
    run.report["updates handled twice (cut short, then delivered again)"] = len(twice)
    run.report["presses answered"] = len(answered)
    run.report["presses answered twice (the second refused as too old)"] = len(again)


async def a_reminder_due_as_both_start(
    run: Scenario, everyone: list[Delegate], recipients: list[Delegate], doomed: int
) -> None:
    """Both replicas start together with an automatic reminder due (the deadline moved to
    12 hours away, REMINDER_OFFSETS=1d): each looks at once, one claims it, and each
    representative of an Office that has not submitted gets it once."""
    telegram = run.telegram
    assert run.replicas.processes[1 - doomed].stop() == 0
    await run.service.secretariat.set_deadline(datetime.now(UTC) + timedelta(hours=12), Actor.cli())
    await run.replicas.start(0, 1)

    def reminders(delegate: Delegate) -> int:
        messages = telegram.history(delegate.user_id)
        return sum(1 for m in messages if m.from_bot and REMINDER in m.text)

    await telegram.wait_for(lambda _: all(reminders(d) for d in recipients), STEP_TIMEOUT)
    await asyncio.sleep(3)  # time for a second copy, were there one
    assert {d.user_id: reminders(d) for d in everyone} == {
        d.user_id: int(d in recipients) for d in everyone
    }
    claims = await stored_rows(
        run.engine, select(col(ReminderClaimRow.offset_seconds), col(ReminderClaimRow.sent))
    )
    assert [tuple(claim) for claim in claims] == [(86_400, True)]
    senders = [
        index
        for index, process in enumerate(run.replicas.processes)
        if "Automatic reminder: posting" in process.last_log()
    ]
    assert len(senders) == 1
    run.report["reminders received per recipient"] = [reminders(d) for d in recipients]
    run.report["reminders received by the others"] = sum(
        reminders(d) for d in everyone if d not in recipients
    )
    run.report["replica that sent them"] = "AB"[senders[0]]


async def test_two_replicas_share_the_survey_survive_a_kill_and_remind_once(
    replicas: Replicas, telegram: TelegramStandIn, replicas_database: str
) -> None:
    # Both start at once on the empty database: one migrates it and loads the Offices.
    await replicas.start(0, 1)
    engine = create_engine(replicas_database)
    service = SurveyService(SqlStoreFactory(engine), load_questionnaire())
    run = Scenario(replicas, telegram, service, engine)
    try:
        first = await a_dozen_at_once_and_a_submit_race(run)
        second, doomed = await one_replica_killed_mid_update(run)
        await telegram.wait_for(lambda t: not t.pending_updates, STEP_TIMEOUT)
        each_update_and_press_handled_once(run)
        unsubmitted = [
            d for d, office in zip(second, SECOND_WAVE, strict=True) if office in UNSUBMITTED
        ]
        await a_reminder_due_as_both_start(run, [*first, *second], unsubmitted, doomed)

        for process in replicas.processes:
            assert "Traceback" not in process.log(), process.log()[-3000:]
        [answers] = await stored_values(engine, select(func.count()).select_from(AnswerRow))
        assert answers == 40 * (len(FIRST_WAVE) + len(SECOND_WAVE))
        run.report["answers stored"] = answers
    finally:
        await engine.dispose()
        print("\ntwo replicas:", json.dumps(run.report))
