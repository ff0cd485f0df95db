"""The documentation links only what a fresh clone has: every relative link in README.md and docs/*.md
names a file or folder inside the repository (no design notes kept outside it, no stale paths)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def relative_links(text: str) -> list[str]:
    """Targets of Markdown links and images that are paths, not web addresses or anchors."""
    return [
        target.split("#", 1)[0]
        for target in LINK.findall(text)
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) and not target.startswith("#")
    ]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_stay_inside_the_repository(doc: Path) -> None:
    problems = []
    for target in relative_links(doc.read_text(encoding="utf-8")):
        path = (doc.parent / target).resolve()
        if not path.is_relative_to(ROOT):
            problems.append(f"{target}: outside the repository")
        elif not path.exists():
            problems.append(f"{target}: no such file")
    assert problems == [], f"{doc.relative_to(ROOT)} links: {problems}"


def test_the_link_reader_sees_paths_and_skips_addresses() -> None:
    text = (
        "[a](docs/A.md) ![s](shots/x.png) [w](https://example.org/x.md) [m](mailto:a@b.c) [h](#top) "
        '[d](../shared/design/architecture.md "design") [p](packaging/README.md#deb)'
    )
    assert relative_links(text) == [
        "docs/A.md",
        "shots/x.png",
        "../shared/design/architecture.md",
        "packaging/README.md",
    ]
