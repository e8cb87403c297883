"""/results: the digest (who answered, the ranking with per-level counts), its chart as a
photo, a switch to count drafts, a refresh, and the files (/export). The chart and the files
are jobs (dialogs/jobs.py): they follow the window when the job runner has made them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiogram import Bot
from aiogram.types import BufferedInputFile, CallbackQuery, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import ChatEvent, Dialog, DialogManager, ShowMode
from aiogram_dialog.widgets.kbd import Button, Checkbox, ManagedCheckbox, Row

from dialogs.jobs import WINDOW, JobContext, JobPoster, Maker, chart_coming, file_coming, jobs_of
from dialogs.markup import Markup, render
from dialogs.messages import when
from dialogs.presses import answer_press
from dialogs.screen import screen
from dialogs.secretariat.common import acting, actor, off_the_loop, send_file
from dialogs.states import Results
from dialogs.web_app import open_dashboard_button, page_fields
from dialogs.widgets import Html, T
from reports.files import FORMATS, ResultsData, ResultsFile, results_file
from reports.labels import counted_text, format_score, funnel_phrases, score_rule
from reports.numbers import format_number, format_percentage
from survey.jobs import JobKind
from survey.model import Actor
from survey.questionnaire import Questionnaire
from survey.results import Digest, RecommendationResult
from survey.secretariat import Secretariat

# Widget ids: they travel in callback data, so they are short and never reused.
DRAFTS = "dr"
REFRESH = "rf"
EXPORT = "ex"
NOTICES_ON = "nn"
NOTICES_OFF = "nf"
INCLUDE_DRAFTS = "include_drafts"  # a job's parameters: what the chart or files count
NAME = "name"  # and the member's name, for the audit trail

TOP = 10
BOTTOM = 5
TITLE_WIDTH = 34


def _short(text: str) -> str:
    return text if len(text) <= TITLE_WIDTH else text[: TITLE_WIDTH - 1].rstrip() + "…"


def _line(item: RecommendationResult, questionnaire: Questionnaire, lang: str) -> Markup:
    counts = " · ".join(
        f"{level.label(lang)} {format_number(item.counts.get(level.code, 0), lang)}"
        for level in questionnaire.scale
    )
    return render(
        "{rank}. <b>R{number:02d}</b> {title} · <b>{score}</b>\n    <i>{counts}</i>",
        rank=item.rank,
        number=item.number,
        title=_short(questionnaire.recommendation(item.number).title(lang)),
        score=format_score(item.score, lang),
        counts=counts,
    )


def digest_message(digest: Digest, questionnaire: Questionnaire, lang: str) -> Markup:
    """The digest as one chat message: the Offices, the top and the bottom of the ranking,
    and how the score is computed."""
    funnel = digest.funnel
    offices = " · ".join(funnel_phrases(funnel, lang))
    rate = format_percentage(funnel.submitted / funnel.invited, lang) if funnel.invited else "–"
    parts = [
        render(_("📊 <b>Survey results</b> on {date}"), date=when(digest.generated_at)),
        render(_("Counted: {counted}."), counted=counted_text(digest, lang)),
        render(_("Offices: {offices}."), offices=offices),
        render(_("Response rate: {rate} of the invited Offices have submitted."), rate=rate),
    ]
    ranking = digest.ranking
    if not ranking:
        parts.append(render("\n{text}", text=_("No answers are counted yet.")))
    else:
        top, bottom = ranking[:TOP], ranking[TOP:][-BOTTOM:]
        parts.append(render("\n<b>{title}</b>", title=_("Highest priority")))
        parts.extend(_line(item, questionnaire, lang) for item in top)
        if bottom:
            parts.append(render("\n<b>{title}</b>", title=_("Lowest priority")))
            parts.extend(_line(item, questionnaire, lang) for item in bottom)
    parts.append(render("\n<i>{rule}</i>", rule=score_rule(questionnaire, lang)))
    return Markup("\n".join(parts))


def _include_drafts(manager: DialogManager) -> bool:
    checkbox = manager.find(DRAFTS)
    return isinstance(checkbox, ManagedCheckbox) and checkbox.is_checked()


async def send_chart(
    bot: Bot, chat_id: int, secretariat: Secretariat, who: Actor, lang: str, *, drafts: bool
) -> None:
    from reports.chart import results_chart  # matplotlib: only once someone asks for a chart

    digest = await secretariat.digest(who, include_drafts=drafts)
    questionnaire = secretariat.questionnaire
    png = await off_the_loop(lambda: results_chart(digest, questionnaire, lang))
    await bot.send_photo(chat_id, BufferedInputFile(png, filename="results.png"))


async def results_files_in_a_thread(
    secretariat: Secretariat, who: Actor, lang: str, *, drafts: bool
) -> AsyncIterator[ResultsFile]:
    """The CSV, the workbook and the collated document, read here and each made in a thread
    (dialogs.jobs.ResultsFiles; the bot's process makes them in a process of its own,
    bot/file_worker.py)."""
    data = ResultsData(
        await secretariat.digest(who, include_drafts=drafts),
        await secretariat.export_rows(who),
        await secretariat.office_statuses(who),
        secretariat.in_force.questionnaire,
        secretariat.in_force,
    )
    for kind in FORMATS:
        yield await off_the_loop(lambda kind=kind: results_file(kind, data, lang))  # type: ignore[misc]


async def send_results_files(context: JobContext, who: Actor, lang: str, *, drafts: bool) -> None:
    """The CSV, the workbook and the collated document, as documents in the chat."""
    made = context.results_files(context.secretariat, who, lang, drafts=drafts)
    async for found in made:
        await send_file(context.bot, context.job.chat_id, found.name, found.data)


async def ask_results(
    jobs: JobPoster,
    kind: JobKind,
    chat_id: int,
    user: User,
    lang: str,
    *,
    drafts: bool,
    window: ShowMode | None,
) -> None:
    """The chart or the files as a job; `window`: how the window is shown again below."""
    await jobs.post(
        kind,
        user_id=user.id,
        chat_id=chat_id,
        language=lang,
        parameters={
            INCLUDE_DRAFTS: drafts,
            NAME: user.full_name,
            WINDOW: None if window is None else window.value,
        },
    )


def _member(context: JobContext) -> Actor:
    job = context.job
    return Actor.telegram(job.user_id, str(job.parameters.get(NAME, "")))


async def chart_job(context: JobContext) -> None:
    job = context.job
    drafts = bool(job.parameters.get(INCLUDE_DRAFTS))
    await send_chart(
        context.bot, job.chat_id, context.secretariat, _member(context), job.language,
        drafts=drafts,
    )  # fmt: skip
    await context.show_window_again()


async def export_job(context: JobContext) -> None:
    job = context.job
    drafts = bool(job.parameters.get(INCLUDE_DRAFTS))
    await send_results_files(context, _member(context), job.language, drafts=drafts)
    await context.show_window_again()


def job_makers() -> dict[JobKind, Maker]:
    return {JobKind.CHART: chart_job, JobKind.EXPORT: export_job}


async def results_getter(
    dialog_manager: DialogManager,
    secretariat: Secretariat,
    event_from_user: User,
    i18n: I18n,
    settings: Any,
    **_: Any,
) -> dict[str, Any]:
    lang = i18n.current_locale
    digest = await secretariat.digest(
        actor(event_from_user), include_drafts=_include_drafts(dialog_manager)
    )
    notices = await secretariat.submission_notices(event_from_user.id)
    return {
        "digest": digest_message(digest, secretariat.questionnaire, lang),
        "notices_on": notices,
        "notices_off": not notices,
        **page_fields(settings),
    }


async def _ask(manager: DialogManager, kind: JobKind) -> None:
    """A new chart (or the files) for what the window now counts, and the window again below
    it once it is sent."""
    _secretariat, _who, lang = acting(manager)
    user: User = manager.middleware_data["event_from_user"]
    await ask_results(
        jobs_of(manager),
        kind,
        user.id,
        user,
        lang,
        drafts=_include_drafts(manager),
        window=ShowMode.DELETE_AND_SEND,
    )


async def on_drafts(_event: ChatEvent, _checkbox: ManagedCheckbox, manager: DialogManager) -> None:
    await _ask(manager, JobKind.CHART)  # the window shows the new counts now, the chart follows


async def on_refresh(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    await _ask(manager, JobKind.CHART)
    await answer_press(callback, chart_coming(), alert=False)


async def on_export(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    await _ask(manager, JobKind.EXPORT)
    await answer_press(callback, file_coming(), alert=False)
    manager.show_mode = ShowMode.NO_UPDATE


async def on_notices(callback: CallbackQuery, _button: Button, manager: DialogManager) -> None:
    """Switch the announcement of each submission off, or on again, for this member."""
    secretariat, _who, _lang = acting(manager)
    on = not await secretariat.submission_notices(callback.from_user.id)
    await secretariat.set_submission_notices(callback.from_user.id, on)
    await answer_press(
        callback,
        _("You will be told of each submission.")
        if on
        else _("You will no longer be told of each submission."),
    )


def build_dialog() -> Dialog:
    return Dialog(
        screen(
            Html("{digest}"),
            Checkbox(
                T("☑ Drafts included"),
                T("☐ Include drafts"),
                id=DRAFTS,
                on_state_changed=on_drafts,
            ),
            Row(
                Button(T("🔄 Refresh"), id=REFRESH, on_click=on_refresh),
                Button(T("📎 Files"), id=EXPORT, on_click=on_export),
            ),
            Button(
                T("🔔 Told of each submission: on"),
                id=NOTICES_ON,
                on_click=on_notices,
                when="notices_on",
            ),
            Button(
                T("🔕 Told of each submission: off"),
                id=NOTICES_OFF,
                on_click=on_notices,
                when="notices_off",
            ),
            open_dashboard_button(),
            getter=results_getter,
            state=Results.digest,
        )
    )
