"""The 118 real OPML files of awesome-rss-feeds (../shared/corpus): every one is read, and every outline
with a usable xmlUrl is taken, as counted independently from the raw text."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from app.feeds.opml import read_opml
from app.models import Outline

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "awesome-rss-feeds"
FILES = sorted(CORPUS.glob("**/*.opml")) if CORPUS.is_dir() else []
needs_corpus = pytest.mark.skipif(
    not FILES, reason=f"the OPML corpus is not at {CORPUS} (a fresh clone has no ../shared)"
)
# No xmlUrl in this corpus holds a double quote, so a plain scan of the bytes finds each one.
XML_URL = re.compile(rb"""\bxmlUrl\s*=\s*"([^"]*)\"""")


def _usable_urls(data: bytes) -> list[str]:
    values = (html.unescape(raw.decode("utf-8")).strip() for raw in XML_URL.findall(data))
    return [v for v in values if v.lower().startswith(("http://", "https://"))]


def _urls(outlines: list[Outline] | tuple[Outline, ...]) -> list[str]:
    found: list[str] = []
    for outline in outlines:
        found += [outline.url] if outline.url is not None else _urls(outline.children)
    return found


@needs_corpus
@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_each_file_reads_every_usable_outline(path: Path) -> None:
    data = path.read_bytes()
    report = read_opml(data)
    expected = _usable_urls(data)
    assert _urls(report.outlines) == expected  # the same URLs, unmangled, in document order
    assert report.duplicates == 0 and report.skipped == ()


@needs_corpus
def test_the_whole_corpus_figures() -> None:
    read = usable = repaired = 0
    for path in FILES:
        data = path.read_bytes()
        report = read_opml(data)
        read += report.feeds_read
        usable += len(_usable_urls(data))
        repaired += report.repaired is not None
    assert len(FILES) == 118
    assert (read, usable) == (1572, 1572)
    assert repaired == 80  # the files a strict XML parser rejects, now read leniently


@needs_corpus
def test_titles_with_stray_quotes_are_kept_whole() -> None:
    russia = read_opml((CORPUS / "countries/without_category/Russia.opml").read_bytes())
    beauty = read_opml((CORPUS / "recommended/without_category/Beauty.opml").read_bytes())
    titles = {o.url: o.title for o in russia.outlines + beauty.outlines}
    assert titles["https://www.kommersant.ru/RSS/main.xml"] == 'Газета "Коммерсантъ". Главное'
    assert titles["http://feeds.feedburner.com/frmheadtotoe"] == "From Head To Toe"
    assert russia.repaired is not None and "quote inside an attribute value" in russia.repaired
