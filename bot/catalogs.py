"""`python -m bot catalogs`: pybabel extract, then init or update each language, then compile."""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface

from bot.i18n import DOMAIN, LOCALES_DIR, compile_catalogs
from survey.questionnaire import LANGUAGES

PROJECT_DIR = LOCALES_DIR.parent
# Where user-facing strings live; the command line is operator-facing and stays English.
SOURCES = (
    "bot/commands.py",
    "bot/descriptions.py",
    "bot/errors.py",
    "bot/guards.py",
    "bot/secretariat.py",
    "bot/runner.py",
    "bot/upload_checker.py",
    "dialogs",
    "webapp",
    "reports",  # the fixed wording of the chart, the collated results document, the workbook
)
KEYWORDS = ("_", "gettext", "T", "__", "N_", "Plural:1,2")


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])  # type: ignore[no-untyped-call]


def update_catalogs() -> list[Path]:
    template = LOCALES_DIR / f"{DOMAIN}.pot"
    keywords = [part for keyword in KEYWORDS for part in ("-k", keyword)]
    _pybabel(
        "extract",
        "-F",
        str(LOCALES_DIR / "babel.cfg"),
        *keywords,
        "--no-location",
        "--sort-output",
        "--project",
        "cws-ict-survey-bot",
        "-o",
        str(template),
        *(str(PROJECT_DIR / source) for source in SOURCES),
    )
    written = []
    for lang in LANGUAGES:
        po = LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        action = "update" if po.exists() else "init"
        extra = ["--no-fuzzy-matching", "--ignore-obsolete"] if action == "update" else []
        _pybabel(
            action, "-D", DOMAIN, "-i", str(template), "-d", str(LOCALES_DIR), "-l", lang, *extra
        )
        written.append(po)
    compile_catalogs()
    return written
