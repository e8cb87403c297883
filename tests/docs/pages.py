"""Reading the project's Markdown pages as a reader's browser would: the links (outside code),
the headings' anchors as GitHub makes them, the code spans and the lines of code blocks, the
rows of a table."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"

_FENCE = re.compile(r"^```.*?^```[ \t]*$", re.MULTILINE | re.DOTALL)
_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def pages() -> list[Path]:
    """README.md and every page under docs/."""
    return [README, *sorted(DOCS.rglob("*.md"))]


def name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def prose(text: str) -> str:
    """The text without its code blocks and code spans, where a link is not a link."""
    return _SPAN.sub("", _FENCE.sub("", text))


def links(text: str) -> list[str]:
    """Every link target and image source, inline or by reference, outside code."""
    outside = prose(text)
    return _LINK.findall(outside) + _REFERENCE.findall(outside)


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives the headings: lower case, punctuation dropped, spaces to
    hyphens, and -1, -2 ... after the second and later headings of one name."""
    seen: dict[str, int] = {}
    found = set()
    for heading in _HEADING.findall(_FENCE.sub("", text)):
        plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
        slug = re.sub(r"[^\w\- ]", "", plain.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def code(text: str) -> list[str]:
    """Every code span's content and every line of every code block."""
    pieces = []
    for block in _FENCE.findall(text):
        pieces.extend(block.splitlines()[1:-1])
    pieces.extend(match.group(2) for match in _SPAN.finditer(_FENCE.sub("", text)))
    return pieces


def table(text: str, header: str) -> list[list[str]]:
    """The rows of the table whose header row starts with `header`, each a list of cells
    (an escaped pipe, `\\|`, stays inside its cell, unescaped)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
        rows.append([cell.strip().replace("\\|", "|") for cell in cells])
    return rows
