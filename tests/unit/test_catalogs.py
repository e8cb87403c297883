"""The French and Spanish catalogs: complete, true to the msgid's markup, current, loadable."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from bot.catalogs import KEYWORDS, PROJECT_DIR, SOURCES
from bot.i18n import DOMAIN, LOCALES_DIR, build_i18n

TRANSLATED = ("fr", "es")
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
TAG = re.compile(r"</?(b|i|code)>")


def load(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as po_file:
        return read_po(po_file, locale=locale)


def catalog_path(lang: str) -> Path:
    return LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def entries(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def texts(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def pairs(message: Message) -> list[tuple[str, str]]:
    """(msgid, msgstr) for each form; a plural's extra forms are checked against the plural."""
    ids = texts(message.id)
    return [(ids[min(i, len(ids) - 1)], string) for i, string in enumerate(texts(message.string))]


@pytest.fixture(scope="module", params=TRANSLATED)
def catalog(request: pytest.FixtureRequest) -> Catalog:
    return load(catalog_path(request.param), locale=request.param)


def test_every_entry_is_translated_and_not_fuzzy(catalog: Catalog) -> None:
    untranslated = [
        message.id
        for message in entries(catalog)
        if not texts(message.string) or not all(s.strip() for s in texts(message.string))
    ]
    fuzzy = [message.id for message in entries(catalog) if message.fuzzy]
    assert entries(catalog), "empty catalog"
    assert not untranslated, f"{catalog.locale}: untranslated {untranslated}"
    assert not fuzzy, f"{catalog.locale}: fuzzy {fuzzy}"


def test_placeholders_tags_and_lines_match_the_msgid(catalog: Catalog) -> None:
    problems = []
    for message in entries(catalog):
        for msgid, msgstr in pairs(message):
            if not msgstr:
                continue  # reported by the completeness test
            if set(PLACEHOLDER.findall(msgstr)) != set(PLACEHOLDER.findall(msgid)):
                problems.append(f"placeholders differ: {msgid!r} -> {msgstr!r}")
            # Every window text goes through str.format_map: a stray brace would crash it.
            if (msgstr.count("{"), msgstr.count("}")) != (msgid.count("{"), msgid.count("}")):
                problems.append(f"braces differ: {msgid!r} -> {msgstr!r}")
            tags_id = Counter(m.group(0) for m in TAG.finditer(msgid))
            tags_str = Counter(m.group(0) for m in TAG.finditer(msgstr))
            if tags_id != tags_str:
                problems.append(f"HTML tags differ: {msgid!r} -> {msgstr!r}")
            if msgstr.count("\n") != msgid.count("\n"):
                problems.append(f"line breaks differ: {msgid!r} -> {msgstr!r}")
    assert not problems, f"{catalog.locale}:\n" + "\n".join(problems)


def test_catalogs_hold_every_string_of_the_source(tmp_path: Path) -> None:
    template = tmp_path / f"{DOMAIN}.pot"
    keywords = [part for keyword in KEYWORDS for part in ("-k", keyword)]
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(LOCALES_DIR / "babel.cfg"),
            *keywords,
            "--no-location",
            "-o",
            str(template),
            *(str(PROJECT_DIR / source) for source in SOURCES),
        ]
    )
    extracted = {message.id for message in entries(load(template))}
    assert extracted, "the extraction found no strings"
    for lang in TRANSLATED:
        known = {message.id for message in entries(load(catalog_path(lang), locale=lang))}
        missing = sorted(map(str, extracted - known))
        assert not missing, (
            f"{lang}: not in the catalog (run `python -m bot catalogs update` and translate): "
            f"{missing}"
        )


@pytest.mark.parametrize(
    "msgid",
    ["Choose your language:", "This command is reserved for the Secretariat.", "▶ Start"],
)
def test_compiled_catalogs_translate(msgid: str) -> None:
    i18n = build_i18n()
    assert i18n.gettext(msgid, locale="en") == msgid
    for lang in TRANSLATED:
        translated = i18n.gettext(msgid, locale=lang)
        assert translated, lang
        assert translated != msgid, f"{lang}: {msgid!r} is not translated in the compiled catalog"
