"""Labels and values every report writes the same way: R-numbers, titles, level labels, the
Office funnel and times (ISO 8601 in UTC); and, in the reader's language, dates, what was
counted, the score rule and the status of an answer or an Office."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_decimal

from reports.i18n import report_language, translations
from reports.numbers import format_number
from survey.model import ExportRow, Funnel, OfficeStatus, ResponseStatus
from survey.offices import office_name
from survey.questionnaire import Questionnaire
from survey.results import Digest

__all__ = [
    "RowLabels",
    "counted_text",
    "format_score",
    "funnel_counts",
    "funnel_labels",
    "funnel_phrases",
    "iso_utc",
    "level_label",
    "long_date",
    "office_kind_label",
    "office_state",
    "recommendation_label",
    "responses_text",
    "score_rule",
    "score_weights",
    "status_label",
    "title",
]


def recommendation_label(number: int) -> str:
    """``R01`` .. ``R40``."""
    return f"R{number:02d}"


def funnel_counts(funnel: Funnel) -> list[tuple[str, int]]:
    """The Office funnel as (label, count) pairs, from listed to submitted."""
    return [
        ("listed", funnel.offices),
        ("invited", funnel.invited),
        ("verified", funnel.verified),
        ("started", funnel.started),
        ("submitted", funnel.submitted),
    ]


def iso_utc(moment: datetime | None) -> str:
    """ISO 8601 in UTC; a naive time (as SQLite returns them) is taken to be UTC already."""
    if moment is None:
        return ""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="seconds")


def title(questionnaire: Questionnaire, number: int, lang: str) -> str:
    """The Recommendation's title, or "" for a number the questionnaire does not have."""
    if not questionnaire.has_recommendation(number):
        return ""
    return questionnaire.recommendation(number).title(lang)


def level_label(questionnaire: Questionnaire, code: str | None, lang: str) -> str:
    """The level's label in ``lang``; "" for no level, the code itself for an unknown one."""
    if not code:
        return ""
    level = questionnaire.level(code)
    return level.label(lang) if level is not None else code


# English in WIPO's British style: "1 June 2026", "High = 3, Medium = 2 and Low = 1".
_BABEL_LOCALES = {"en": "en_GB"}


def _babel_locale(lang: str) -> str:
    lang = report_language(lang)
    return _BABEL_LOCALES.get(lang, lang)


def long_date(moment: datetime, lang: str) -> str:
    """The day of ``moment`` (in UTC) written out: "1 June 2026", "1 juin 2026"..."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return format_date(moment.date(), "long", locale=_babel_locale(lang))


def format_score(score: float | None, lang: str) -> str:
    """A score with two decimals in the reader's notation ("2.50", "2,50"); "–" for none."""
    if score is None:
        return "–"
    return format_decimal(score, "0.00", locale=report_language(lang))


# Message contexts (literal, for the extraction): French and Spanish words agree with what
# they describe: "offices" a count of Offices, "office" one Office, "response" its response.


def funnel_labels(funnel: Funnel, lang: str) -> list[tuple[str, int]]:
    """The Office funnel as (label in ``lang``, count) pairs, from listed to submitted."""
    tr = translations(lang)
    return [
        (tr.pgettext("offices", "listed"), funnel.offices),
        (tr.pgettext("offices", "invited"), funnel.invited),
        (tr.pgettext("offices", "verified"), funnel.verified),
        (tr.pgettext("offices", "started"), funnel.started),
        (tr.pgettext("offices", "submitted"), funnel.submitted),
    ]


def funnel_phrases(funnel: Funnel, lang: str) -> list[str]:
    """The Office funnel as counted phrases in ``lang``, from listed to submitted: "1 invité",
    "2 invités" (the labels of `funnel_labels` agree with their count here)."""
    tr = translations(lang)
    phrases = [
        (
            tr.npgettext("offices", "{count} listed", "{count} listed", funnel.offices),
            funnel.offices,
        ),
        (
            tr.npgettext("offices", "{count} invited", "{count} invited", funnel.invited),
            funnel.invited,
        ),
        (
            tr.npgettext("offices", "{count} verified", "{count} verified", funnel.verified),
            funnel.verified,
        ),
        (
            tr.npgettext("offices", "{count} started", "{count} started", funnel.started),
            funnel.started,
        ),
        (
            tr.npgettext("offices", "{count} submitted", "{count} submitted", funnel.submitted),
            funnel.submitted,
        ),
    ]
    return [text.format(count=format_number(count, lang)) for text, count in phrases]


def counted_text(digest: Digest, lang: str) -> str:
    """Which answers the digest counts, as a short phrase."""
    _ = translations(lang).gettext
    if digest.include_drafts:
        return _("submitted answers and drafts")
    return _("submitted answers only (drafts not included)")


def responses_text(digest: Digest, lang: str) -> str:
    """How many Offices' answers are counted: "10 responses submitted", or with the drafts
    "12 responses, drafts included"."""
    tr = translations(lang)
    if digest.include_drafts:
        count = digest.funnel.started
        text = tr.ngettext(
            "{count} response, drafts included", "{count} responses, drafts included", count
        )
    else:
        count = digest.funnel.submitted
        text = tr.ngettext("{count} response submitted", "{count} responses submitted", count)
    return text.format(count=format_number(count, lang))


def score_rule(questionnaire: Questionnaire, lang: str) -> str:
    """How the score and the rank are computed, with the level labels of ``lang``."""
    _ = translations(lang).gettext
    weights = score_weights(questionnaire, lang)
    text = _(
        "Score: the mean of {weights} over the Offices that gave one of these levels. "
        "Equal scores share a rank."
    ).format(weights=weights)
    unscored = [level.label(lang) for level in questionnaire.scale if level.score is None]
    if unscored:
        others = format_list(unscored, locale=_babel_locale(lang))
        text += " " + _("{levels}: counted as answered, not in the score.").format(levels=others)
    return text


def score_weights(questionnaire: Questionnaire, lang: str) -> str:
    """The score of each scored level: "High = 3, Medium = 2 and Low = 1"."""
    return format_list(
        [
            f"{level.label(lang)} = {level.score}"
            for level in questionnaire.scale
            if level.score is not None
        ],
        locale=_babel_locale(lang),
    )


def status_label(status: ResponseStatus | None, lang: str) -> str:
    """An Office's response: "submitted", "draft", or "" when it has none."""
    tr = translations(lang)
    if status is ResponseStatus.SUBMITTED:
        return tr.pgettext("response", "submitted")
    if status is ResponseStatus.DRAFT:
        return tr.pgettext("response", "draft")
    return ""


def office_kind_label(kind: str, lang: str) -> str:
    """national, regional or international (Office), in ``lang``; an unknown kind as it is."""
    tr = translations(lang)
    labels = {
        "national": tr.pgettext("office", "national"),
        "regional": tr.pgettext("office", "regional"),
        "international": tr.pgettext("office", "international"),
    }
    return labels.get(kind, kind)


def office_state(status: OfficeStatus, total: int, lang: str) -> str:
    """Where an Office is in the survey: not invited, invited, verified, in progress n/40, or
    submitted on a day."""
    tr = translations(lang)
    if status.status is ResponseStatus.SUBMITTED:
        if status.submitted_at is None:
            return tr.pgettext("office", "submitted")
        return tr.pgettext("office", "submitted on {date}").format(
            date=long_date(status.submitted_at, lang)
        )
    if status.answered:
        return tr.pgettext("office", "in progress {answered}/{total}").format(
            answered=format_number(status.answered, lang), total=format_number(total, lang)
        )
    if status.representatives:
        return tr.pgettext("office", "verified")
    if status.invited:
        return tr.pgettext("office", "invited")
    return tr.pgettext("office", "not invited")


class RowLabels:
    """The labels of answer rows in one language, each worked out once per Office, level,
    Recommendation and status instead of once per row: ten thousand Offices make 400,000
    rows, and a Babel look-up or a translation per cell would cost seconds."""

    def __init__(self, questionnaire: Questionnaire, lang: str) -> None:
        self._questionnaire = questionnaire
        self._lang = lang
        self._offices: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
        self._titles: dict[int, str] = {}
        self._levels: dict[str | None, str] = {}
        self._statuses: dict[ResponseStatus | None, str] = {}

    def office_name(self, row: ExportRow) -> str:
        names: Mapping[str, str] = row.office_names
        key = (row.office_code, tuple(names.items()))
        name = self._offices.get(key)
        if name is None:
            name = self._offices[key] = office_name(row.office_code, self._lang, names)
        return name

    def title(self, number: int) -> str:
        text = self._titles.get(number)
        if text is None:
            text = self._titles[number] = title(self._questionnaire, number, self._lang)
        return text

    def level(self, code: str | None) -> str:
        label = self._levels.get(code)
        if label is None:
            label = self._levels[code] = level_label(self._questionnaire, code, self._lang)
        return label

    def status(self, status: ResponseStatus | None) -> str:
        label = self._statuses.get(status)
        if label is None:
            label = self._statuses[status] = status_label(status, self._lang)
        return label
