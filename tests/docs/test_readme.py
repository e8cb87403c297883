"""README.md is a newcomer's first page: short, with the two commands of the quick start, and
the test command where CI reads it (.ci/run and .ci/trixie take it out of README.md with sed,
between the `<!-- test-command -->` marker and the end of the code block after it)."""

from __future__ import annotations

import re
import subprocess

from tests.docs.pages import README, ROOT

TEST_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -q uv && .venv/bin/uv sync --locked "
    "--all-extras --compile-bytecode && .venv/bin/python -m pytest"
)
# The sandbox without BOT_TOKEN: what tests/e2e/test_sandbox_terminal.py runs after the install.
RUN_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -q uv && .venv/bin/uv sync --locked "
    "--inexact --compile-bytecode && .venv/bin/python -m bot"
)


def ci_extraction(script: str) -> str:
    """The shell command with which a CI script takes the test command out of README.md."""
    text = (ROOT / ".ci" / script).read_text()
    found = re.search(r"^test_command=\$\((.*)\)$", text, re.MULTILINE)
    assert found, f".ci/{script} no longer reads the test command from README.md"
    return found.group(1)


def test_ci_reads_the_test_command_from_readme_as_it_is_written() -> None:
    for script in ("run", "trixie"):
        extracted = subprocess.run(
            ["bash", "-c", ci_extraction(script)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert extracted.strip() == TEST_COMMAND, f".ci/{script} gets {extracted!r}"


def test_the_quick_start_shows_the_run_command_then_the_test_command() -> None:
    blocks = re.findall(r"^```sh\n(.*?)\n```$", README.read_text(), re.MULTILINE | re.DOTALL)
    assert blocks[:2] == [RUN_COMMAND, TEST_COMMAND]


def test_readme_stays_a_page_for_the_first_day() -> None:
    # The reference lives in docs/ (README's last section links it): README is read in full.
    size = len(README.read_bytes())
    assert size < 8 * 1024, f"README.md is {size} bytes"
