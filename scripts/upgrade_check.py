"""Try the newest releases that pyproject.toml allows before locking them.

Copies the project's tracked files to a scratch directory, runs `uv lock --upgrade` there, installs
the upgraded lock into a fresh venv of that copy, runs the README's pytest command in it, and
prints which packages moved and which tests failed. The project's own uv.lock and .venv are never
written: every uv command runs in the copy, with UV_PROJECT_ENVIRONMENT pointing at the copy's
venv, and the script checks afterwards that both are as they were.

    .venv/bin/python scripts/upgrade_check.py [--keep] [--scratch DIR] [-- PYTEST_ARGS...]

Exit code: 0 when the suite passes on the newest set, 1 when it does not, 2 when the check could
not be set up (no uv, the resolution or the install failed, the project changed under it).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_SETUP = 2

# Settings that would make `uv lock --upgrade` refuse to write the lock, or aim uv at a venv
# other than the scratch one (the project's own, when the caller has it activated).
_UV_ENV_DROPPED = ("UV_LOCKED", "UV_FROZEN", "UV_NO_SYNC", "VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")

DEFAULT_PYTEST = ("-m", "pytest")


class SetupError(Exception):
    """The check could not run; the message says which step and why."""


@dataclass(frozen=True)
class VersionChange:
    name: str
    old: tuple[str, ...]  # empty: the package is new in the resolved set
    new: tuple[str, ...]  # empty: the resolved set no longer has it


@dataclass(frozen=True)
class TestFailure:
    test: str
    cause: str


def normalize_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions(lock_text: str) -> dict[str, frozenset[str]]:
    """Package name -> the versions uv.lock pins (one per name, or one per Python range for the
    packages that need markers), leaving out the project itself and other local sources."""
    versions: dict[str, set[str]] = {}
    for package in tomllib.loads(lock_text).get("package", []):
        source = package.get("source", {})
        if "editable" in source or "virtual" in source or "version" not in package:
            continue
        versions.setdefault(normalize_name(package["name"]), set()).add(package["version"])
    return {name: frozenset(found) for name, found in versions.items()}


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    # Numbers compare as numbers (1.10 after 1.9) without needing `packaging` installed.
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"[.+-]", version)
    )


def _ordered(versions: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(versions, key=_version_key))


def version_changes(
    old: Mapping[str, frozenset[str]], new: Mapping[str, frozenset[str]]
) -> list[VersionChange]:
    """Every package whose pinned versions differ between the two locks, by name."""
    return [
        VersionChange(name, _ordered(old.get(name, ())), _ordered(new.get(name, ())))
        for name in sorted(old.keys() | new.keys())
        if old.get(name, frozenset()) != new.get(name, frozenset())
    ]


def _test_id(classname: str, name: str) -> str:
    """pytest's node id from a JUnit test case: `tests.unit.test_x.TestY` + `test_z` becomes
    `tests/unit/test_x.py::TestY::test_z`."""
    if not classname:  # collection errors name the file itself
        return name
    parts = classname.split(".")
    # Test classes are CamelCase and modules are not: the capitalised tail is the classes.
    classes = 0
    while classes < len(parts) - 1 and parts[len(parts) - 1 - classes][:1].isupper():
        classes += 1
    module = "/".join(parts[: len(parts) - classes]) + ".py"
    return "::".join([module, *parts[len(parts) - classes :], name])


def failed_tests(junit_xml: str) -> list[TestFailure]:
    """The failed and errored tests of a pytest JUnit report, each with the first line of why."""
    failures = []
    for case in ET.fromstring(junit_xml).iter("testcase"):  # noqa: S314 (pytest's own report)
        for outcome in ("failure", "error"):
            element = case.find(outcome)
            if element is None:
                continue
            message = element.get("message") or (element.text or "").strip() or outcome
            cause = next((line.strip() for line in message.splitlines() if line.strip()), outcome)
            test = _test_id(case.get("classname", ""), case.get("name", ""))
            failures.append(TestFailure(test, cause if outcome == "failure" else f"error: {cause}"))
    return failures


def summary(changes: Sequence[VersionChange], failures: Sequence[TestFailure], passed: bool) -> str:
    lines = [f"Packages that would change ({len(changes)}):"]
    width = max((len(change.name) for change in changes), default=0)
    for change in changes:
        old = ", ".join(change.old) or "(not locked)"
        new = ", ".join(change.new) or "(removed)"
        lines.append(f"  {change.name:<{width}}  {old} → {new}")
    if not changes:
        lines.append("  none: uv.lock already has the newest releases pyproject.toml allows")
    if passed:
        lines.append("Test suite on the newest set: PASSED")
    else:
        lines.append(f"Test suite on the newest set: FAILED ({len(failures)} failed)")
        lines.extend(f"  {failure.test}: {failure.cause}" for failure in failures)
    return "\n".join(lines)


def check_outcome(pytest_code: int, failures: Sequence[TestFailure]) -> int:
    """The check's exit code from pytest's: an upgrade that breaks collection is a failed suite
    (pytest says 2, interrupted), while pytest stopping with nothing to show is a setup error."""
    if pytest_code == 0:
        return EXIT_PASSED
    if pytest_code == 1 or (pytest_code == 2 and failures):
        return EXIT_FAILED
    # 2 without a failure (Ctrl-C), 3 internal error, 4 usage error, 5 no tests collected.
    raise SetupError(f"pytest exited with {pytest_code}: the suite did not run")


def readme_pytest_args(readme: str) -> list[str]:
    """The pytest part of the README's test command (the block after `<!-- test-command -->`,
    which CI runs word for word), as arguments for a Python interpreter."""
    marker = readme.find("<!-- test-command -->")
    block = re.search(r"```[^\n]*\n(.*?)```", readme[marker:], re.S) if marker != -1 else None
    if block:
        for command in re.split(r"&&|;|\n", block.group(1)):
            words = shlex.split(command)
            for i in range(len(words) - 1):
                if words[i] == "-m" and words[i + 1] == "pytest":
                    return words[i:]
    return list(DEFAULT_PYTEST)


def scratch_env(environ: Mapping[str, str], venv: Path) -> dict[str, str]:
    """The caller's environment (uv's own settings, TEST_POSTGRES_URL, TEST_REDIS_URL, ...) with
    uv aimed at the scratch venv and allowed to rewrite the scratch lock."""
    env = {key: value for key, value in environ.items() if key not in _UV_ENV_DROPPED}
    env["UV_PROJECT_ENVIRONMENT"] = str(venv)
    return env


def _run(command: Sequence[str | Path], cwd: Path, env: Mapping[str, str], step: str) -> None:
    print(f"+ {shlex.join(map(str, command))}", flush=True)
    if subprocess.run(command, cwd=cwd, env=env, check=False).returncode != 0:  # noqa: S603
        raise SetupError(f"{step} failed (see the output above)")


def _find_uv() -> str:
    beside_python = Path(sys.executable).with_name("uv")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("uv")
    if found is None:
        raise SetupError("no uv: run this with the project's .venv/bin/python (uv is a test extra)")
    return found


def _tracked_files(root: Path) -> list[str]:
    listing = subprocess.run(  # noqa: S603
        ["git", "-C", str(root), "ls-files", "-z"],  # noqa: S607
        capture_output=True,
        check=False,
    )
    if listing.returncode != 0:
        raise SetupError(f"git ls-files failed: {listing.stderr.decode(errors='replace').strip()}")
    return [name for name in listing.stdout.decode().split("\0") if name]


def _copy_tracked(root: Path, target: Path) -> None:
    for name in _tracked_files(root):
        source = root / name
        if source.is_file():  # a tracked file deleted in the work tree is left out
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _fingerprint(root: Path) -> str:
    """What must not change: uv.lock's bytes and the set of distributions in .venv."""
    digest = hashlib.sha256()
    lock = root / "uv.lock"
    digest.update(lock.read_bytes() if lock.exists() else b"")
    for dist in sorted((root / ".venv").glob("lib/python*/site-packages/*.dist-info")):
        digest.update(dist.name.encode())
    return digest.hexdigest()


def check(root: Path, scratch: Path, pytest_args: Sequence[str]) -> int:
    project = scratch / "project"
    venv = project / ".venv"
    project.mkdir(parents=True)
    env = scratch_env(os.environ, venv)
    uv = _find_uv()
    before = _fingerprint(root)

    _copy_tracked(root, project)
    _run(
        [uv, "lock", "--upgrade"], project, env, "resolving the newest releases (uv lock --upgrade)"
    )
    _run([sys.executable, "-m", "venv", venv], project, env, "creating the scratch venv")
    _run(
        [uv, "sync", "--locked", "--all-extras", "--compile-bytecode"],
        project,
        env,
        "installing the newest releases (uv sync)",
    )

    readme = project / "README.md"
    args = readme_pytest_args(readme.read_text() if readme.exists() else "")
    junit = scratch / "junit.xml"
    command: list[str | Path] = [
        venv / "bin" / "python",
        *args,
        f"--junitxml={junit}",
        *pytest_args,
    ]
    print(f"+ {shlex.join(map(str, command))}", flush=True)
    result = subprocess.run(command, cwd=project, env=env, check=False)  # noqa: S603

    if _fingerprint(root) != before:
        raise SetupError(f"the project's uv.lock or .venv changed during the check ({root})")
    changes = version_changes(
        locked_versions((root / "uv.lock").read_text()),
        locked_versions((project / "uv.lock").read_text()),
    )
    failures = failed_tests(junit.read_text()) if junit.exists() else []
    code = check_outcome(result.returncode, failures)
    passed = code == EXIT_PASSED
    print("\n" + summary(changes, failures, passed), flush=True)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path, help="work in this new directory (kept)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    options = parser.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    scratch = options.scratch or Path(tempfile.mkdtemp(prefix="upgrade-check-"))
    keep = options.keep or options.scratch is not None
    code = EXIT_SETUP
    try:
        if options.scratch is not None and scratch.exists() and any(scratch.iterdir()):
            raise SetupError(f"--scratch {scratch} is not empty")
        code = check(root, scratch, options.pytest_args)
    except SetupError as error:
        print(f"upgrade check: {error}", file=sys.stderr)
    finally:
        if keep or code != EXIT_PASSED:
            print(f"scratch directory kept: {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
