"""The upgrade check's report: what uv.lock pins, what moved, which tests failed, what it prints.

The whole check (resolve, install, run the suite) is slow and needs a registry, so these cover
the parts that decide what the developer reads."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    # scripts/ is not a package: load the file the command runs.
    spec = importlib.util.spec_from_file_location(
        "upgrade_check", ROOT / "scripts/upgrade_check.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


upgrade_check = _load()

LOCK = """
version = 1
revision = 5
requires-python = ">=3.11"

[[package]]
name = "aiogram"
version = "3.31.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "Typing_Extensions"
version = "4.15.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "2.2.6"
source = { registry = "https://pypi.org/simple" }
resolution-markers = ["python_full_version < '3.12'"]

[[package]]
name = "numpy"
version = "2.4.1"
source = { registry = "https://pypi.org/simple" }
resolution-markers = ["python_full_version >= '3.12'"]

[[package]]
name = "cws-ict-survey-bot"
version = "0.1.0"
source = { editable = "." }
"""


def test_the_lock_gives_each_package_its_versions_without_the_project_itself() -> None:
    assert upgrade_check.locked_versions(LOCK) == {
        "aiogram": frozenset({"3.31.0"}),
        "typing-extensions": frozenset({"4.15.0"}),
        "numpy": frozenset({"2.2.6", "2.4.1"}),
    }


def test_the_projects_own_lock_parses_and_pins_what_pyproject_asks_for() -> None:
    versions = upgrade_check.locked_versions((ROOT / "uv.lock").read_text())
    assert {"aiogram", "aiogram-dialog", "sqlalchemy", "redis", "pytest"} <= versions.keys()
    assert "cws-ict-survey-bot" not in versions


def test_only_packages_whose_versions_differ_are_reported_with_old_and_new() -> None:
    old = {
        "aiogram": frozenset({"3.31.0"}),
        "redis": frozenset({"7.1.0"}),
        "numpy": frozenset({"2.2.6", "2.4.1"}),
        "gone": frozenset({"1.0"}),
    }
    new = {
        "aiogram": frozenset({"3.31.0"}),
        "redis": frozenset({"7.2.1"}),
        "numpy": frozenset({"2.2.6", "2.4.10"}),
        "added": frozenset({"0.3"}),
    }
    change = upgrade_check.VersionChange
    assert upgrade_check.version_changes(old, new) == [
        change("added", (), ("0.3",)),
        change("gone", ("1.0",), ()),
        change("numpy", ("2.2.6", "2.4.1"), ("2.2.6", "2.4.10")),
        change("redis", ("7.1.0",), ("7.2.1",)),
    ]


def test_versions_are_listed_in_numeric_order() -> None:
    [change] = upgrade_check.version_changes(
        {"x": frozenset({"1.9.0"})}, {"x": frozenset({"1.10.0", "1.9.0", "1.2.0"})}
    )
    assert change.new == ("1.2.0", "1.9.0", "1.10.0")


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="2" failures="2" tests="5">
<testcase classname="tests.unit.test_rules" name="test_passes" time="0.01"/>
<testcase classname="tests.unit.test_rules" name="test_limit[fr]" time="0.01">
<failure message="AssertionError: assert 3 == 4&#10;  where 3 = count()">traceback</failure>
</testcase>
<testcase classname="tests.storage.test_db.TestEcho.TestInner" name="test_echo" time="0.01">
<failure message="">AttributeError: no _echo
more</failure>
</testcase>
<testcase classname="tests.e2e.test_replicas" name="test_two" time="0.01">
<error message="failed on setup with &quot;ConnectionError: refused&quot;">trace</error>
</testcase>
<testcase classname="" name="tests.unit.test_broken" time="0.00">
<error message="collection failure">ImportError</error>
</testcase>
</testsuite></testsuites>
"""


def test_failed_and_errored_tests_are_named_as_pytest_names_them_with_the_first_line() -> None:
    failure = upgrade_check.TestFailure
    assert upgrade_check.failed_tests(JUNIT) == [
        failure("tests/unit/test_rules.py::test_limit[fr]", "AssertionError: assert 3 == 4"),
        failure(
            "tests/storage/test_db.py::TestEcho::TestInner::test_echo", "AttributeError: no _echo"
        ),
        failure(
            "tests/e2e/test_replicas.py::test_two",
            'error: failed on setup with "ConnectionError: refused"',
        ),
        failure("tests.unit.test_broken", "error: collection failure"),
    ]


def test_the_summary_shows_each_move_and_each_failure() -> None:
    text = upgrade_check.summary(
        [
            upgrade_check.VersionChange("babel", ("2.18.0",), ("2.19.0",)),
            upgrade_check.VersionChange("new-dep", (), ("1.0",)),
        ],
        [upgrade_check.TestFailure("tests/unit/test_x.py::test_y", "AssertionError: boom")],
        passed=False,
    )
    assert text.splitlines() == [
        "Packages that would change (2):",
        "  babel    2.18.0 → 2.19.0",
        "  new-dep  (not locked) → 1.0",
        "Test suite on the newest set: FAILED (1 failed)",
        "  tests/unit/test_x.py::test_y: AssertionError: boom",
    ]


def test_the_summary_of_a_lock_already_newest_and_a_passing_suite_says_so() -> None:
    text = upgrade_check.summary([], [], passed=True)
    assert "none: uv.lock already has the newest releases" in text
    assert text.endswith("Test suite on the newest set: PASSED")


def test_the_suite_runs_with_the_readmes_pytest_arguments() -> None:
    readme = (
        "Run the tests:\n\n<!-- test-command -->\n```sh\n"
        "python3 -m venv .venv && .venv/bin/uv sync --locked && .venv/bin/python -m pytest -x -q\n"
        "```\n"
    )
    assert upgrade_check.readme_pytest_args(readme) == ["-m", "pytest", "-x", "-q"]
    assert upgrade_check.readme_pytest_args("no command here") == ["-m", "pytest"]


def test_the_projects_readme_names_a_pytest_command() -> None:
    args = upgrade_check.readme_pytest_args((ROOT / "README.md").read_text())
    assert args[:2] == ["-m", "pytest"]


def test_uv_is_aimed_at_the_scratch_venv_and_the_test_servers_pass_through(
    tmp_path: Path,
) -> None:
    environ = {
        "VIRTUAL_ENV": "/work/project/.venv",
        "UV_PROJECT_ENVIRONMENT": "/work/project/.venv",
        "UV_LOCKED": "1",
        "UV_INDEX_URL": "https://mirror.example/simple",
        "TEST_POSTGRES_URL": "postgresql+asyncpg://u:p@127.0.0.1/postgres",
        "TEST_REDIS_URL": "redis://127.0.0.1:6379/3",
    }
    env = upgrade_check.scratch_env(environ, tmp_path / ".venv")
    assert env == {
        "UV_PROJECT_ENVIRONMENT": str(tmp_path / ".venv"),
        "UV_INDEX_URL": "https://mirror.example/simple",
        "TEST_POSTGRES_URL": "postgresql+asyncpg://u:p@127.0.0.1/postgres",
        "TEST_REDIS_URL": "redis://127.0.0.1:6379/3",
    }


@pytest.mark.parametrize(
    ("classname", "name", "expected"),
    [
        ("tests.cli.test_backup", "test_a", "tests/cli/test_backup.py::test_a"),
        ("tests.cli.test_backup.TestB", "test_a", "tests/cli/test_backup.py::TestB::test_a"),
    ],
)
def test_junit_names_become_node_ids(classname: str, name: str, expected: str) -> None:
    [found] = upgrade_check.failed_tests(
        f'<testsuite><testcase classname="{classname}" name="{name}">'
        '<failure message="x"/></testcase></testsuite>'
    )
    assert found.test == expected


def test_an_upgrade_that_breaks_collection_is_a_failed_suite_not_a_setup_error() -> None:
    broken = [upgrade_check.TestFailure("tests.unit.test_x", "error: collection failure")]
    assert upgrade_check.check_outcome(0, []) == 0
    assert upgrade_check.check_outcome(1, broken) == 1
    assert upgrade_check.check_outcome(2, broken) == 1
    for nothing_ran in (2, 3, 4, 5):
        with pytest.raises(upgrade_check.SetupError, match=f"pytest exited with {nothing_ran}"):
            upgrade_check.check_outcome(nothing_ran, [])
