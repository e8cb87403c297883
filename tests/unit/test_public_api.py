"""The project uses only the public API of its dependencies (issue 24): no access to a private
attribute (`obj._name`, `getattr(obj, "_name")`, `obj.__dict__`) of another package's object,
no private parameter of its functions (`f(_internal=...)`), and no private import
(`from lib import _name`, `from lib._internal import name`), anywhere in our own Python files,
tests included. A patch release may rename or change what is private; a test run after
`uv lock --upgrade` should be the only surprise, not a bot that breaks in production.

Our own privates are ours to use, in tests too. An access counts as ours when the object is
`self` or `cls`, a name imported from one of our modules (a module, a class, a function), or a
variable the same function (or module) makes from or annotates with such a name
(`storage = SqliteStorage(...)`, `def f(storage: SqliteStorage)`). Anything else that reaches
for an underscore is reported.

The exceptions, written out:
- python-docx's element access (`table._tbl`, `cell._tc`, ...): the library's documented way to
  reach the XML underneath a proxy object, for what its API does not cover. Only the ones we
  use are listed.
- `os._exit`: a documented function of the standard library, named with an underscore.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = frozenset({".venv", ".git", "node_modules", "build", "dist"})

# python-docx proxies' `_element` aliases (docx.table.Table._tbl, _Cell._tc, _Row._tr,
# docx.text.run.Run._r, docx.text.paragraph.Paragraph._p), which its documentation points to.
DOCX_ELEMENTS = frozenset({"_tbl", "_tc", "_tr", "_r", "_p"})
DOCUMENTED_UNDERSCORED = frozenset({"os._exit"})
REFLECTION = frozenset({"getattr", "setattr", "hasattr", "delattr"})


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def own_packages(root: Path) -> frozenset[str]:
    """Our top-level packages and modules: what a file of ours may import privates of."""
    names = {p.name for p in root.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    names |= {p.stem for p in root.glob("*.py")}
    return frozenset(names)


def python_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if any(part in SKIPPED_DIRS or part.startswith(".") for part in parts):
            continue
        if any(part.endswith(".egg-info") for part in parts):
            continue
        yield path


def local_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a scope's body, not those of the functions defined in it."""
    for child in ast.iter_child_nodes(node):
        yield child
        if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from local_nodes(child)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


class FileScan:
    def __init__(self, root: Path, path: Path, packages: frozenset[str]) -> None:
        self.root = root
        self.path = path
        self.rel = path.relative_to(root).as_posix()
        self.packages = packages
        self.tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        self.own_names: set[str] = set()  # bound by imports from our own modules
        self.findings: list[Finding] = []

    def is_own_module(self, module: str | None, level: int) -> bool:
        if level > 0 or module is None:
            return True  # relative: inside our own package
        first = module.split(".")[0]
        # pytest puts a test's directory on sys.path: `from test_migrations import ...`
        return first in self.packages or (self.path.parent / f"{first}.py").exists()

    def report(self, node: ast.AST, what: str) -> None:
        self.findings.append(Finding(self.rel, getattr(node, "lineno", 0), what))

    def run(self) -> list[Finding]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    own = self.is_own_module(alias.name, 0)
                    if own:
                        self.own_names.add((alias.asname or alias.name).split(".")[0])
                    elif any(is_private(part) for part in alias.name.split(".")):
                        self.report(node, f"import {alias.name}")
            elif isinstance(node, ast.ImportFrom):
                if self.is_own_module(node.module, node.level):
                    self.own_names.update(a.asname or a.name for a in node.names)
                    continue
                module = node.module or ""
                if any(is_private(part) for part in module.split(".")):
                    self.report(node, f"from {module} import ...")
                for alias in node.names:
                    if is_private(alias.name):
                        self.report(node, f"from {module} import {alias.name}")
        self.scope(self.tree, frozenset())
        return self.findings

    def made_from_own(self, value: ast.expr | None) -> bool:
        """`OwnClass(...)`, `OwnClass.make(...)`, `await own_function(...)`, or an annotation."""
        while isinstance(value, ast.Await | ast.Call | ast.Attribute | ast.Subscript):
            if isinstance(value, ast.Await | ast.Attribute | ast.Subscript):
                value = value.value
            else:
                value = value.func
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value.split("[")[0].split(".")[0] in self.own_names  # "SqliteStorage"
        return isinstance(value, ast.Name) and value.id in self.own_names

    def scope(self, node: ast.AST, outer: frozenset[str]) -> None:
        """Check `node`'s body with the variables known to hold our own objects in it."""
        own = set(outer)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            arguments = node.args
            for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
                if self.made_from_own(arg.annotation):
                    own.add(arg.arg)
        for child in local_nodes(node):
            if isinstance(child, ast.Assign) and self.made_from_own(child.value):
                own.update(t.id for t in child.targets if isinstance(t, ast.Name))
            elif isinstance(child, ast.AnnAssign) and isinstance(child.target, ast.Name):
                if self.made_from_own(child.annotation) or self.made_from_own(child.value):
                    own.add(child.target.id)
            elif (
                isinstance(child, ast.withitem)
                and isinstance(child.optional_vars, ast.Name)
                and self.made_from_own(child.context_expr)
            ):
                own.add(child.optional_vars.id)
        self.check(node, frozenset(own))

    def check(self, node: ast.AST, own: frozenset[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                self.scope(child, own)
                continue
            if isinstance(child, ast.Attribute) and is_private(child.attr):
                self.attribute(child, child.value, child.attr, own)
            elif (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Name)
                and child.func.id in REFLECTION
                and len(child.args) >= 2
                and isinstance(child.args[1], ast.Constant)
                and isinstance(child.args[1].value, str)
                and is_private(child.args[1].value)
            ):
                self.attribute(child, child.args[0], child.args[1].value, own)
            elif isinstance(child, ast.Attribute) and child.attr == "__dict__":
                self.attribute(child, child.value, child.attr, own)
            elif isinstance(child, ast.Call):
                for keyword in child.keywords:
                    if keyword.arg is not None and is_private(keyword.arg):
                        self.keyword(child, keyword.arg, own)
            self.check(child, own)

    def keyword(self, call: ast.Call, name: str, own: frozenset[str]) -> None:
        """A private parameter (`f(_internal=...)`) of a function not ours."""
        root = call.func
        while isinstance(root, ast.Attribute | ast.Call | ast.Subscript):
            root = root.value if not isinstance(root, ast.Call) else root.func
        if isinstance(root, ast.Name) and (
            root.id in {"self", "cls"} or root.id in self.own_names or root.id in own
        ):
            return
        self.report(call, f"{ast.unparse(call.func)}({name}=...)")

    def attribute(self, node: ast.AST, value: ast.expr, name: str, own: frozenset[str]) -> None:
        if isinstance(value, ast.Name) and (
            value.id in {"self", "cls"} or value.id in self.own_names or value.id in own
        ):
            return
        if name in DOCX_ELEMENTS:
            return
        shown = f"{ast.unparse(value)}.{name}"
        if shown in DOCUMENTED_UNDERSCORED:
            return
        self.report(node, shown)


def private_access(root: Path = ROOT) -> list[Finding]:
    packages = own_packages(root)
    findings: list[Finding] = []
    for path in python_files(root):
        findings.extend(FileScan(root, path, packages).run())
    return findings


def test_no_private_attribute_or_import_of_another_package() -> None:
    found = [str(finding) for finding in private_access()]
    assert found == [], "private API of a dependency:\n" + "\n".join(found)


def scan_of(tmp_path: Path, source: str) -> list[str]:
    (tmp_path / "ours").mkdir()
    (tmp_path / "ours" / "__init__.py").write_text("")
    (tmp_path / "ours" / "module.py").write_text(source)
    return [finding.what for finding in private_access(tmp_path)]


def test_the_scan_reports_what_reaches_into_a_library(tmp_path: Path) -> None:
    source = """
from aiogram.methods.base import _private_helper
from pydantic._internal import _generics
from sqlalchemy.ext.asyncio import AsyncConnection

async def f(connection: AsyncConnection, adapter):
    connection._echo
    getattr(adapter, "_transaction")
    adapter.__dict__
    bot.session._connector_init
    super().prepare_value(value, _dumps_json=False)
"""
    assert scan_of(tmp_path, source) == [
        "from aiogram.methods.base import _private_helper",
        "from pydantic._internal import ...",
        "from pydantic._internal import _generics",
        "connection._echo",
        "adapter._transaction",
        "adapter.__dict__",
        "bot.session._connector_init",
        "super().prepare_value(_dumps_json=...)",
    ]


def test_the_scan_lets_our_own_privates_and_the_docx_elements_be(tmp_path: Path) -> None:
    source = """
import os
from ours.storage import Storage, _helper
from ours import sibling

class Thing:
    def method(self, other: Storage, table):
        self._mine
        cls._also
        other._connection
        sibling._table
        made = Storage()
        made._cache
        table._tbl.append(table.rows[0]._tr)
        os._exit(1)
        self.helper(_internal=True)
        _helper(_internal=True)
"""
    assert scan_of(tmp_path, source) == []
