"""The Secretariat's questionnaire put into words: what is in force, what a new version
changes (per Recommendation, which texts, in which languages; the structure), why it is
refused, and Recommendation 1 drawn as a representative's window shows it, with the window's
own texts and buttons (dialogs/recommendation.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager
from babel import Locale

from dialogs.markup import Markup, render
from dialogs.messages import language, when
from dialogs.question_buttons import Choices, Switch
from dialogs.recommendation import progress_bar, question_buttons, question_text
from reports.numbers import format_number
from survey.errors import Reason, Refused
from survey.questionnaire import Questionnaire
from survey.questionnaire_diff import QuestionnaireDiff, StructureChange, StructureKind

if TYPE_CHECKING:
    from survey.questionnaire_versions import QuestionnaireChange, QuestionnaireVersion

# The buttons of a preview of a representative's window: they look like theirs and do nothing.
PREVIEW_PRESS = "qpv"
SUMMARY_BUDGET = 3000  # the preview window's share for the list of changes


def who_put_it(version: QuestionnaireVersion, viewer: int) -> str:
    from survey.questionnaire_versions import CONFIGURED_BY

    if version.by_user is not None and version.by_user == viewer:
        return _("you")
    if version.by == CONFIGURED_BY:
        return _("the bot's configuration (the file it started with)")
    kind, _colon, ident = version.by.partition(":")
    if kind == "telegram":
        return render(_("Telegram user {id}"), id=ident)
    if kind == "cli":
        return render(_("the command line ({user})"), user=ident)
    return version.by


def wording_kind(questionnaire: Questionnaire) -> str:
    if questionnaire.is_working_summary:
        return _("the project's working summary, not the official text")
    return _("the official text")


def counts(questionnaire: Questionnaire) -> str:
    lang = language()
    recommendations = ngettext(
        "{count} Recommendation", "{count} Recommendations", len(questionnaire)
    ).format(count=format_number(len(questionnaire), lang))
    levels = ngettext(
        "a scale of {count} level", "a scale of {count} levels", len(questionnaire.scale)
    ).format(count=format_number(len(questionnaire.scale), lang))
    return f"{recommendations}, {levels}"


async def representative_window(
    questionnaire: Questionnaire, number: int, lang: str, manager: DialogManager
) -> tuple[str, InlineKeyboardMarkup]:
    """A Recommendation's window as a representative of an Office that has not answered it
    sees it, in the current language: the window's own texts and buttons
    (dialogs/recommendation.py), with buttons that do nothing here."""
    recommendation = questionnaire.recommendation(number)
    total = len(questionnaire)
    here = [number]
    data: dict[str, Any] = {
        "number": number,
        "total": format_number(total, lang),
        "answered": 0,
        "bar": progress_bar(0, total),
        "title": recommendation.title(lang),
        "statement": recommendation.statement(lang),
        "source": questionnaire.source(lang),
        "level_label": "",
        "has_level": False,
        "no_level": True,
        "comment": "",
        "has_comment": False,
        "wording_updated": "",
        "has_wording_update": False,
        "keep": [],
        "editable": True,
        "read_only": False,
        "add_comment": here,
        "edit_comment": [],
        "prev": here if number != questionnaire.numbers[0] else [],
        "skip": here,
        "next": [],
        "levels": [(item.code, item.label(lang)) for item in questionnaire.scale],
    }
    text = await question_text().render_text(data, manager)
    i18n: I18n = manager.middleware_data["i18n"]
    rows: list[list[InlineKeyboardButton]] = []
    for row in question_buttons().rows:
        line: list[InlineKeyboardButton] = []
        for button in row:
            labels = _labels(button, data, i18n)
            width = button.width if isinstance(button, Choices) else 0
            made = [
                InlineKeyboardButton(text=label, callback_data=PREVIEW_PRESS) for label in labels
            ]
            if width:
                rows += [made[i : i + width] for i in range(0, len(made), width)]
            else:
                line += made
        if line:
            rows.append(line)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def _labels(button: Choices | Switch, data: dict[str, Any], i18n: I18n) -> list[str]:
    if button.when is not None and not data[button.when]:
        return []
    if isinstance(button, Switch):
        return [i18n.gettext(button.label)]
    items = data[button.items]
    if button.label is not None:
        return [i18n.gettext(button.label) for _item in items]
    return [label for _item, label in items]


def language_name(code: str) -> str:
    """As written inside a sentence of the current language ("French", "français")."""
    return str(Locale(language()).languages.get(code, code))


# -- the preview's text ---------------------------------------------------------------------


def part_name(part: str) -> str:
    if part == "title":
        return _("title")
    if part == "statement":
        return _("statement")
    if part == "source":
        return _("source line")
    if part == "source_url":
        return _("link")
    if part == "wording":
        return _("wording kind")
    if part.startswith("label:"):
        return _("label of “{code}”").format(code=part.removeprefix("label:"))
    return part


def _languages(codes: Iterable[str]) -> str:
    return ", ".join(language_name(code) for code in codes)


def text_changes(changes: QuestionnaireDiff) -> list[str]:
    """One line per Recommendation (then one for the rest): which texts changed, in which
    languages."""
    by_number: dict[int | None, list[str]] = {}
    for change in changes.texts:
        part = part_name(change.part)
        if change.languages:
            part = f"{part} ({_languages(change.languages)})"
        by_number.setdefault(change.number, []).append(part)
    lines = [
        _("Recommendation {number}: {parts}").format(number=number, parts="; ".join(parts))
        for number, parts in sorted((n, p) for n, p in by_number.items() if n is not None)
    ]
    if None in by_number:
        lines.append(_("The questionnaire: {parts}").format(parts="; ".join(by_number[None])))
    return lines


def structure_change(change: StructureChange) -> str:
    """Plain text (escaped where it is put into a message)."""
    if change.kind is StructureKind.ID:
        template = _("the questionnaire's id: {before} → {after}")
    elif change.kind is StructureKind.COUNT:
        template = _("the number of Recommendations: {before} → {after}")
    elif change.kind is StructureKind.NUMBERS:
        template = _("the numbering: {before} → {after}")
    elif change.kind is StructureKind.SCALE_CODES:
        template = _("the scale's codes: {before} → {after}")
    else:
        template = _("the scale's scores: {before} → {after}")
    return template.format(before=change.before, after=change.after)


def preview_text(change: QuestionnaireChange) -> str:
    """What the preview window lists: the new version's counts and wording, then what differs
    from the version in force, within the window's share of a message."""
    lang = language()
    new, in_force = change.new, change.in_force
    lines: list[Markup] = [
        render(
            _("Questionnaire {id}: {counts}; {wording}."),
            id=new.id,
            counts=counts(new),
            wording=wording_kind(new),
        ),
        Markup(),
        render(
            _("<b>What differs from version {version}</b> (in force since {at}):"),
            version=format_number(in_force.number, lang),
            at=when(in_force.at),
        ),
    ]
    changed = [render("• {line}", line=line) for line in text_changes(change.diff)]
    changed += [render("• {line}", line=structure_change(item)) for item in change.diff.structure]
    if not changed:
        changed = [render(_("• nothing but the file's form."))]
    shown: list[Markup] = []
    used = 0
    for line in changed:
        if used + len(line) > SUMMARY_BUDGET:
            rest = len(changed) - len(shown)
            more = ngettext("… and {count} more change.", "… and {count} more changes.", rest)
            shown.append(render(more, count=format_number(rest, lang)))
            break
        shown.append(line)
        used += len(line) + 1
    lines += shown
    if change.answers:
        lines += [
            Markup(),
            render(
                ngettext(
                    "{count} answer was given so far: it stays. Representatives are asked to check "
                    "their answer to each Recommendation whose text changes.",
                    "{count} answers were given so far: they stay. Representatives are asked to "
                    "check their answer to each Recommendation whose text changes.",
                    change.answers,
                ),
                count=format_number(change.answers, lang),
            ),
        ]
    return Markup("\n").join(lines)


def refused_text(refusal: Refused) -> str | None:
    """The questionnaire's refusals (survey/questionnaire_versions.py), in the current
    language; None for any other."""
    details = refusal.details
    lang = language()
    if refusal.reason is Reason.QUESTIONNAIRE_IDENTICAL:
        return render(
            _("This questionnaire is the same as version {version}, in force: nothing changes."),
            version=format_number(details.get("in_force", 0), lang),
        )
    if refusal.reason is Reason.QUESTIONNAIRE_CHANGED_SINCE:
        return render(
            _(
                "Version {version} was put in force since your preview, so nothing was "
                "changed. Send your file again to see what it changes against that version."
            ),
            version=format_number(details.get("in_force", 0), lang),
        )
    if refusal.reason is Reason.QUESTIONNAIRE_STRUCTURE_LOCKED:
        answers = int(details.get("answers", 0))
        changes = details.get("changes", ())
        head = ngettext(
            "Refused: {count} answer exists, so the numbering, the number of Recommendations "
            "and the scale's codes and scores can no longer change. This file changes:",
            "Refused: {count} answers exist, so the numbering, the number of Recommendations "
            "and the scale's codes and scores can no longer change. This file changes:",
            answers,
        ).format(count=format_number(answers, lang))
        lines = [render("• {line}", line=structure_change(item)) for item in changes]
        tail = _("Texts may still be corrected: keep the structure of the version in force.")
        return "\n".join([head, *lines, tail])
    return None
