"""Property tests of the OPML reader: any bytes give outlines or Hearth's OPMLError, never another
exception; Hearth's own exports round-trip strictly; the faults real files have are read back.

Bounded and derandomized (a fixed seed per test), so every run tries the same cases.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.errors import OPMLError
from app.feeds.opml import OPMLReport, read_opml, split_commands, write_opml
from app.models import FeedKind, Outline

FUZZ = settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
ROUND_TRIP = settings(max_examples=60, deadline=None, derandomize=True, database=None)

# Pieces of OPML and of the ways real files break it, so generated inputs reach the lenient path.
PIECES = st.sampled_from(
    [
        '<?xml version="1.0"?>', '<?xml version="1.0" encoding="latin-1"?>', '<?xml encoding="bogus-enc"?>',
        "<opml>", '<opml version="2.0" xmlns:hearth="https://hearth.invalid/ns/opml/1.0">', "</opml>",
        "<head>", "</head>", "<body>", "</body>", "<outline", "</outline>", "<outline/>", " text=", " title=",
        " xmlUrl=", " htmlUrl=", ' hearth:kind="script"', ' type="rss"', '"', "'", "=", ">", "/>", "<", "&",
        "&amp;", "&nbsp;", "&#0;", "&#x110000;", "&#xD800;", "&#9;", "https://a.example/?a=1&b=2", "exec:id",
        " EXEC:touch x", "filter:f:https://b.example/", "feed://c.example/", "mailto:x", "<!-- c -->",
        "<![CDATA[x]]>", "<!DOCTYPE opml>", "<!DOCTYPE opml [", "]>", "<!ENTITY", "<?pi x?>", "\x00", "\x1b",
        "\r\n", "\t", " ", "é", "中", "\ufeff", "\u202e", "\ud7ff",
    ]
)  # fmt: skip
MARKUP = st.lists(st.one_of(PIECES, st.text(max_size=6)), max_size=40).map("".join)
ENCODINGS = st.sampled_from(["utf-8", "utf-16", "utf-16-be", "utf-32", "latin-1"])


def _check(report: OPMLReport) -> None:
    """What every accepted file must look like, however broken its bytes were."""

    def walk(outlines: list[Outline] | tuple[Outline, ...]) -> None:
        for outline in outlines:
            if outline.url is None:
                assert outline.kind == FeedKind.FEED
                walk(outline.children)
            elif outline.kind == FeedKind.SCRIPT:
                assert outline.url.startswith("exec:") and outline.url[5:].strip()
            else:
                assert re.match(r"https?:", outline.url, re.I), outline.url

    walk(report.outlines)
    kept, _commands = split_commands(report.outlines)
    assert all(o.kind != FeedKind.SCRIPT for o in kept)
    assert report.feeds_read >= 0 and all(s.reason for s in report.skipped)


def _read(data: bytes) -> OPMLReport | None:
    try:
        report = read_opml(data)
    except OPMLError as exc:
        assert str(exc) and exc.line is not None and exc.line >= 1
        return None
    _check(report)
    return report


@FUZZ
@given(st.binary(max_size=400))
@example(b"<outlinehttps://a.example/?a=1&b=2")  # a lenient parse made a tag name lxml's QName refuses
def test_arbitrary_bytes_give_outlines_or_the_typed_error(data: bytes) -> None:
    _read(data)


@FUZZ
@given(MARKUP, ENCODINGS)
def test_broken_opml_gives_outlines_or_the_typed_error(markup: str, encoding: str) -> None:
    report = _read(markup.encode(encoding, errors="replace"))
    if "<!entity" in markup.lower():
        assert report is None  # entity declarations are refused, whatever the encoding and the rest


@FUZZ
@given(MARKUP)
def test_a_valid_opml_wrapper_around_garbage_never_escapes_the_error_tree(inner: str) -> None:
    _read(f'<?xml version="1.0"?><opml version="2.0"><body>{inner}</body></opml>'.encode())


TITLES = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12).map(str.strip).filter(bool) | st.sampled_from(
    ["A & B", "<tag>", '"quoted"', "it's", "中文 标题", "emoji 🔥", "&amp;", "a ]]> b"]
)  # fmt: skip
FEEDS = st.builds(
    Outline,
    title=TITLES,
    url=st.integers(0, 30).map(lambda n: f"https://feeds{n}.example.org/feed?a=1&b={n}"),
    site_url=st.none() | st.just("https://site.example.org/?x=1&y=2"),
    kind=st.sampled_from([FeedKind.FEED, "zhihu.people.activities"]),
)
SCRIPTS = st.builds(
    Outline,
    title=TITLES,
    url=st.sampled_from(["exec:make-feed --since 1d", 'exec:sh -c "echo <rss/> & wait"', "exec:~/bin/x"]),
    kind=st.just(FeedKind.SCRIPT),
)
TREES = st.recursive(
    FEEDS | SCRIPTS,
    lambda kids: st.builds(Outline, title=TITLES, children=st.lists(kids, max_size=4).map(tuple)),
    max_leaves=14,
)


def _dedupe(outlines: list[Outline] | tuple[Outline, ...], seen: set[tuple[str, str]]) -> list[Outline]:
    out: list[Outline] = []
    for outline in outlines:
        if outline.url is None:
            out.append(Outline(outline.title, children=tuple(_dedupe(outline.children, seen))))
        elif (outline.kind, outline.url) not in seen:
            seen.add((outline.kind, outline.url))
            out.append(outline)
    return out


@ROUND_TRIP
@given(st.lists(TREES, max_size=5))
def test_exports_round_trip_strictly_with_their_commands_kept_apart(tree: list[Outline]) -> None:
    report = read_opml(write_opml(tree))
    assert report.repaired is None and report.skipped == ()
    assert report.outlines == _dedupe(tree, set())
    kept, commands = split_commands(report.outlines)
    assert all(o.kind == FeedKind.SCRIPT for o in commands)
    assert len(commands) + len(split_commands(kept)[0]) >= 0 and split_commands(kept)[1] == []


@ROUND_TRIP
@given(st.lists(TREES, max_size=5))
def test_exports_with_raw_ampersands_in_urls_read_back_the_same(tree: list[Outline]) -> None:
    data = write_opml(tree)
    broken = re.sub(rb'(xmlUrl|htmlUrl)="([^"]*)"', lambda m: m.group(0).replace(b"&amp;", b"&"), data)
    report = read_opml(broken)
    assert report.outlines == _dedupe(tree, set())
    if broken != data:
        assert report.repaired is not None
