"""Every catalog entry that shows a count takes its plural form from the reader's language.

A count is a placeholder named in COUNTS (the names the code gives to counts and limits). It
"takes" the plural when a word follows it, in English or in a translation ("{count}
Recommendations", "{limit} caractères", "{answered}/{total} answered"): that word agrees with
the number, so the entry must be a plural entry (ngettext) with every form translated. A
count that stands alone ("Delivered: {sent};", "({people})", "{answered}/{total}", "rank
{rank} of {count}.") needs no plural form. Units ("{size} MB") do not agree with a number.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from bot.i18n import DOMAIN, LOCALES_DIR
from reports.i18n import translations

COUNTS = frozenset(
    {
        "answered",
        "blocked",
        "comments",
        "count",
        "failed",
        "left",
        "length",
        "limit",
        "offices",
        "people",
        "sent",
        "shown",
        "told",
        "total",
        "unverified",
        "uses",
    }
)
UNITS = ("MB", "Mo")
SPACE = "[ \u00a0\u202f]"
# "{a} of {b}" is a fraction, like "{a}/{b}": the preposition does not agree with {a}.
FRACTION = re.compile(rf"(\{{\w+\}}){SPACE}+(?:of|sur|de){SPACE}+(\{{\w+\}})")
FOLLOWED_BY_A_WORD = re.compile(rf"\{{(\w+)\}}(?:</?\w+>)?{SPACE}+(?!{'|'.join(UNITS)}\b)[^\W\d_]")
PERCENT_FORMAT = re.compile(r"%(?:\(\w+\))?[dif]")
PLURAL_FORMS = {
    "fr": "nplurals=2; plural=(n > 1);",  # 0 and 1 take the singular
    "es": "nplurals=2; plural=(n != 1);",
    "en": "nplurals=2; plural=(n != 1);",
}


def load(lang: str) -> Catalog:
    path = Path(LOCALES_DIR) / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po_file:
        return read_po(po_file, locale=lang)


def forms(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if not value:
        return []
    return [value] if isinstance(value, str) else [text for text in value if text]


def agreeing_counts(text: str) -> set[str]:
    """The counts in ``text`` that a word follows."""
    text = FRACTION.sub(r"\1/\2", text)
    return {name for name in FOLLOWED_BY_A_WORD.findall(text) if name in COUNTS}


def entries() -> list[tuple[Message, dict[str, Message]]]:
    """Each entry of the English catalog with its French and Spanish translations."""
    catalogs = {lang: load(lang) for lang in ("fr", "es")}
    found = []
    for message in load("en"):
        if not message.id:
            continue
        translated = {
            lang: catalog.get(message.id, message.context) for lang, catalog in catalogs.items()
        }
        found.append((message, {lang: m for lang, m in translated.items() if m is not None}))
    return found


def test_the_rule_tells_a_count_that_agrees_from_one_that_stands_alone() -> None:
    assert agreeing_counts("✅ Saved ({count} Recommendations).") == {"count"}
    assert agreeing_counts("({limit}\u00a0caractères au plus)") == {"limit"}
    assert agreeing_counts("{bar} {answered}/{total} answered") == {"total"}
    assert agreeing_counts("<b>Offices</b>: {shown} of {total} shown.") == {"total"}
    assert agreeing_counts("Delivered: {sent}; blocked: <b>{blocked}</b>; failed") == set()
    assert agreeing_counts("Score {score}, rank {rank} of {count}.") == set()
    assert agreeing_counts("too large ({size} MB): at most {limit} MB.") == set()
    assert agreeing_counts("Comments: {comments}\n\nThe answers") == set()


def test_every_entry_that_shows_a_count_is_a_plural_entry() -> None:
    singular_only = []
    for message, translated in entries():
        if message.pluralizable:
            continue
        texts = [message.id, *(text for m in translated.values() for text in forms(m.string))]
        agreeing = set().union(*(agreeing_counts(str(text)) for text in texts))
        if agreeing:
            singular_only.append(f"{sorted(agreeing)}: {message.id!r}")
    assert not singular_only, "use ngettext (or Plural) for:\n" + "\n".join(singular_only)


def test_no_entry_formats_a_number_the_printf_way() -> None:
    printf = [
        message.id
        for message, _ in entries()
        if any(PERCENT_FORMAT.search(text) for text in forms(message.id))
    ]
    assert not printf, printf


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_every_plural_entry_has_all_its_forms(lang: str) -> None:
    catalog = load(lang)
    assert catalog.plural_forms == PLURAL_FORMS[lang]
    plurals = [message for message in catalog if message.id and message.pluralizable]
    assert len(plurals) >= 20
    incomplete = [
        message.id
        for message in plurals
        if not isinstance(message.string, tuple)
        or len(message.string) != catalog.num_plurals
        or not all(text.strip() for text in message.string)
        or message.fuzzy
    ]
    assert not incomplete, f"{lang}: {incomplete}"


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_the_plural_forms_header_is_the_languages_rule(lang: str) -> None:
    assert load(lang).plural_forms == PLURAL_FORMS[lang]


@pytest.mark.parametrize(
    ("lang", "counts"),
    [
        ("fr", {0: "0 invité", 1: "1 invité", 2: "2 invités"}),  # French: 0 is singular
        ("es", {0: "0 invitadas", 1: "1 invitada", 2: "2 invitadas"}),
        ("en", {0: "0 invited", 1: "1 invited", 2: "2 invited"}),
    ],
)
def test_a_count_takes_the_form_of_the_languages_plural_rule(
    lang: str, counts: dict[int, str]
) -> None:
    tr = translations(lang)
    for n, expected in counts.items():
        text = tr.npgettext("offices", "{count} invited", "{count} invited", n)
        assert text.format(count=n) == expected
