"""Every relative link in README.md and docs/ leads somewhere: to a file of the repository,
and to a heading of it when the link names one; every docs/ page is reachable from README;
every repository path a page names in code exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.pages import DOCS, README, ROOT, anchors, code, links, name, pages

# Written by another part of the same change (issue 24, item 4); until it lands, README's
# link to it is the one allowed to lead nowhere. Once the file exists it is checked as any.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


# What .gitignore keeps out of the repository at its top (a run's data, caches, builds).
NOT_OURS = frozenset({"data", "build", "dist", "__pycache__"})


def tracked_top_level() -> set[str]:
    """The repository's top-level folders, read from the checkout itself: CI's Debian 13 run
    copies the files without git."""
    return {
        entry.name
        for entry in ROOT.iterdir()
        if entry.is_dir()
        and (entry.name == ".ci" or not entry.name.startswith("."))
        and not entry.name.endswith(".egg-info")
        and entry.name not in NOT_OURS
    }


@pytest.mark.parametrize("page", pages(), ids=name)
def test_every_relative_link_leads_to_a_file_and_its_heading(page: Path) -> None:
    text = page.read_text()
    broken = []
    for target in links(text):
        if _SCHEME.match(target):
            continue  # http(s), mailto: not this repository's business
        path_part, _, anchor = target.partition("#")
        destination = (page.parent / path_part).resolve() if path_part else page
        if not destination.is_relative_to(ROOT):
            broken.append(f"{target}: outside the repository")
            continue
        if not destination.exists():
            broken.append(f"{target}: no such file")
            continue
        if anchor:
            if destination.suffix != ".md":
                broken.append(f"{target}: an anchor in a file that is not Markdown")
            elif anchor not in anchors(destination.read_text()):
                broken.append(f"{target}: {name(destination)} has no heading #{anchor}")
    assert not broken, f"{name(page)}: " + "; ".join(broken)


def test_the_link_checker_sees_a_broken_file_and_a_broken_anchor() -> None:
    text = "[a](docs/nowhere.md) [b](README.md#no-such-heading) `[c](ignored.md)` [d](#map)"
    assert links(text) == ["docs/nowhere.md", "README.md#no-such-heading", "#map"]
    assert "map" in anchors(README.read_text())
    assert "no-such-heading" not in anchors(README.read_text())
    assert anchors("# A `code` title, with: punctuation\n## Twice\n## Twice\n") == {
        "a-code-title-with-punctuation",
        "twice",
        "twice-1",
    }


def test_readme_links_every_docs_page() -> None:
    linked = {
        (README.parent / target.partition("#")[0]).resolve()
        for target in links(README.read_text())
        if not _SCHEME.match(target)
    }
    unlinked = [name(page) for page in sorted(DOCS.glob("*.md")) if page.resolve() not in linked]
    assert not unlinked, f"README.md does not link {unlinked}"


@pytest.mark.parametrize("page", pages(), ids=name)
def test_every_repository_path_named_in_code_exists(page: Path) -> None:
    # `storage/prepared.py`, `tests/e2e/`: a page that names a file the code no longer has
    # sends the reader nowhere. Placeholders (`dialogs/<dialog>.py`) are not paths.
    top = tracked_top_level()
    missing = []
    for piece in code(page.read_text()):
        candidate = piece.strip()
        if not re.fullmatch(r"[\w.-]+(/[\w.-]+)+/?", candidate):
            continue
        if candidate.split("/", 1)[0] not in top:
            continue  # data/files/, ../shared/DESIGN.md: not in the repository
        if not (ROOT / candidate).exists():
            missing.append(candidate)
    assert not missing, f"{name(page)} names paths that do not exist: {missing}"
