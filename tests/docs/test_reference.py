"""The reference pages say what the code does: the configuration table names every setting
with its default, every command shown is one the command line accepts (with the options
shown) and every command it has is shown, compose's variables are those compose.yaml reads,
and the metrics named are those /metrics serves."""

from __future__ import annotations

import contextlib
import io
import re
from functools import cache
from pathlib import Path

from bot.cli import build_parser
from bot.commands import REPRESENTATIVE_COMMANDS
from bot.config import Settings
from bot.metrics import Metrics
from bot.secretariat import SECRETARIAT_COMMANDS
from survey.questionnaire import SHIPPED_QUESTIONNAIRE
from tests.docs.pages import DOCS, ROOT, code, name, pages, table

CONFIGURATION = DOCS / "configuration.md"
COMMAND_LINE = DOCS / "command-line.md"
OPERATIONS = DOCS / "operations.md"
IN_TELEGRAM = DOCS / "in-telegram.md"
# Defaults the table says in words, and what they are.
DEFAULTS_IN_WORDS = {"QUESTIONNAIRE_PATH": ("the shipped file", SHIPPED_QUESTIONNAIRE)}


def configuration_rows() -> dict[str, str]:
    """Each setting the table lists, with its default cell (`A` / `B` rows split in two)."""
    rows: dict[str, str] = {}
    for variables, defaults, _meaning in table(CONFIGURATION.read_text(), "| variable |"):
        names = re.findall(r"`([A-Z_]+)`", variables)
        cells = [cell.strip() for cell in defaults.split(" / ")] if len(names) > 1 else [defaults]
        assert len(cells) == len(names), f"{variables}: one default per variable"
        rows.update(zip(names, cells, strict=True))
    return rows


def test_the_configuration_table_lists_every_setting_and_nothing_else() -> None:
    settings = {field.upper() for field in Settings.model_fields}
    listed = set(configuration_rows())
    assert listed - settings == set(), "the table lists settings bot/config.py does not have"
    assert settings - listed == set(), "settings missing from docs/configuration.md"


def test_the_configuration_table_gives_each_default() -> None:
    wrong = []
    for variable, cell in configuration_rows().items():
        default = Settings.model_fields[variable.lower()].default
        if variable in DEFAULTS_IN_WORDS:
            words, value = DEFAULTS_IN_WORDS[variable]
            if (cell, default) != (words, value):
                wrong.append(f"{variable}: {cell!r}, the default is {default!r}")
            continue
        shown = re.fullmatch(r"`([^`]+)`", cell)
        if default is None or default == () or default == frozenset():
            if shown:  # no value, said in words: "none", "the catalogs' text"
                wrong.append(f"{variable}: {cell} for a setting unset by default")
        elif shown is None:
            wrong.append(f"{variable}: {cell!r}, the default is {default!r}")
        elif isinstance(default, Path):
            if Path(shown.group(1)) != default:
                wrong.append(f"{variable}: {cell}, the default is {default}")
        elif type(default)(shown.group(1)) != default:
            wrong.append(f"{variable}: {cell}, the default is {default!r}")
    assert not wrong, "; ".join(wrong)


@cache
def help_of(path: tuple[str, ...]) -> str:
    out = io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(io.StringIO()),
        contextlib.suppress(SystemExit),
    ):
        build_parser().parse_args([*path, "--help"])
    return out.getvalue()


def subcommands(path: tuple[str, ...]) -> list[str]:
    # argparse lists a command's subcommands four spaces in, each with its help.
    return re.findall(r"^    ([a-z][\w-]*)", help_of(path), re.MULTILINE)


def stands_alone(path: tuple[str, ...]) -> bool:
    """Whether `python -m bot PATH` is a whole command (`deadline`), not one that needs an
    action after it (`offices`)."""
    with contextlib.redirect_stderr(io.StringIO()):
        try:
            build_parser().parse_args(list(path))
        except SystemExit:
            return False
    return True


def every_command(path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    children = subcommands(path)
    found = [path] if not children or stands_alone(path) else []
    for child in children:
        found.extend(every_command((*path, child)))
    return found


def commands_shown(text: str) -> list[tuple[tuple[str, ...], list[str], str]]:
    """Each `python -m bot ...` in code: its command path, the options shown, the whole."""
    shown = []
    for piece in code(text):
        for found in re.finditer(r"python -m bot(?![\w.])(.*)", piece):
            words = re.split(r"\s+", found.group(1).strip())
            words = words[: next((i for i, w in enumerate(words) if w in {"&&", "|", "#"}), None)]
            path: list[str] = []
            while words[len(path) :] and re.fullmatch(r"[a-z][\w-]*", words[len(path)]):
                if words[len(path)] not in subcommands(tuple(path)):
                    break
                path.append(words[len(path)])
            rest = words[len(path) :]
            options = [o for w in rest for o in re.findall(r"(?<![\w-])--[a-z][\w-]*", w)]
            shown.append((tuple(path), options, found.group(0)))
    return shown


def test_every_command_line_command_is_in_the_reference() -> None:
    documented = {path for path, _, _ in commands_shown(COMMAND_LINE.read_text())}
    missing = [" ".join(path) for path in every_command() if path not in documented]
    assert not missing, f"docs/command-line.md does not show: {missing}"


def test_every_command_shown_anywhere_is_one_the_command_line_takes() -> None:
    wrong = []
    for page in pages():
        for path, options, whole in commands_shown(page.read_text()):
            if subcommands(path) and not stands_alone(path):
                wrong.append(f"{name(page)}: {whole!r} is not a whole command")
            unknown = [o for o in options if not re.search(rf"{o}\b", help_of(path))]
            if unknown:
                wrong.append(f"{name(page)}: {whole!r}: no {unknown} in `{' '.join(path)}`")
    assert not wrong, "; ".join(wrong)


def test_the_command_checker_sees_a_wrong_command_and_a_wrong_option() -> None:
    shown = commands_shown("`python -m bot offices lst` and `python -m bot results --fmt csv`")
    assert shown[0][0] == ("offices",)
    assert not stands_alone(("offices",))
    assert shown[1][:2] == (("results",), ["--fmt"])
    assert "--fmt" not in help_of(("results",))
    assert "--format" in help_of(("results",))


def test_compose_variables_are_those_compose_yaml_reads() -> None:
    compose = (ROOT / "compose.yaml").read_text()
    text = re.sub(r"\s+", " ", OPERATIONS.read_text())
    said = re.search(
        r"Compose reads `\.env` or the environment: (.*?) are required (.*?) are passed on", text
    )
    assert said, "docs/operations.md no longer says what compose reads"
    required, passed = (set(re.findall(r"`([A-Z_]+)`", part)) for part in said.groups())
    assert required == set(re.findall(r"\$\{([A-Z_]+):\?", compose))
    assert passed == set(re.findall(r"\$\{([A-Z_]+):-", compose))


def test_every_metric_named_is_served() -> None:
    served = set(re.findall(r"\bsurvey_bot_\w+", Metrics().render().decode()))
    named = {
        (page, metric)
        for page in pages()
        for metric in re.findall(r"\bsurvey_bot_\w+", page.read_text())
    }
    assert named, "the operations page names the metrics"
    missing = [f"{name(page)}: {metric}" for page, metric in sorted(named) if metric not in served]
    assert not missing, f"not in /metrics: {missing}"


def test_the_chat_commands_described_are_the_bots() -> None:
    described = {
        found.group(1)
        for piece in code(IN_TELEGRAM.read_text())
        if (found := re.match(r"/([a-z]+)\b", piece))
    }
    assert described == set(REPRESENTATIVE_COMMANDS) | set(SECRETARIAT_COMMANDS)
