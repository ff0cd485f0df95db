"""Differential test: random RSS 2.0 / Atom 1.0 documents give the same ParsedFeed on both paths."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.feeds.parse import parse_feed, parse_feed_slow

URL = "https://fuzz.example.com/feed"
_XML_CHARS = st.characters(
    blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"
) | st.sampled_from("\t\n \u0080\u0093\u00e9\u00c3\u00a9")
TEXT = st.text(_XML_CHARS, max_size=30) | st.sampled_from(
    [
        "Tom &amp; Jerry", "<b>bold</b> title", "a < b", "AT&amp;amp;T", "&lt;p&gt;x&lt;/p&gt;", "  spaced  ",
        "café", "Ã©", "<script>x</script>", "<img src='/i.png' onerror=x>", "", "mail@example.com (Name)",
        "<a href='rel/x'>r</a>", "Price: 5 &euro;",
    ]
)  # fmt: skip
URLS = st.sampled_from(
    ["https://ex.com/a", "/rel/path?a=1&b=2", "rel", "", "  https://ex.com/sp  ", "urn:x:1", "tag:x,1"]
)
DATES = st.sampled_from(
    [
        "Mon, 02 Jan 2006 15:04:05 GMT", "Tue, 10 Jun 2025 08:30:00 +0200", "2025-06-01T09:15:30Z",
        "2025-06-01T09:15:30.5+02:00", "garbage", "", "Sun, 31 Dec 1899 23:59:59 -1200", "10 Jun 2025 08:30 EST",
    ]
)  # fmt: skip


def el(tag: str, value: str | None, attrs: str = "") -> str:
    return "" if value is None else f"<{tag}{attrs}>{escape(value)}</{tag}>"


@st.composite
def rss_item(draw: st.DrawFn) -> str:
    parts = [
        el("title", draw(st.none() | TEXT)),
        el("link", draw(st.none() | URLS)),
        el(
            "guid",
            draw(st.none() | URLS | TEXT),
            draw(st.sampled_from(["", ' isPermaLink="false"', ' isPermaLink="true"'])),
        ),
        el("description", draw(st.none() | TEXT)),
        el("content:encoded", draw(st.none() | TEXT)),
        el(draw(st.sampled_from(["author", "dc:creator"])), draw(st.none() | TEXT)),
        el("pubDate", draw(st.none() | DATES)),
        el("dc:date", draw(st.none() | DATES)),
        el("category", draw(st.none() | TEXT)),
    ]
    for _ in range(draw(st.integers(0, 2))):
        parts.append(f"<enclosure url={quoteattr(draw(URLS))} type={quoteattr(draw(st.sampled_from(['audio/mpeg', 'Video/MP4', ''])))}"
                     f" length={quoteattr(draw(st.sampled_from(['12', 'x', ''])))}/>")  # fmt: skip
    return "<item>" + "".join(draw(st.permutations(parts))) + "</item>"


@st.composite
def rss_doc(draw: st.DrawFn) -> bytes:
    head = el("title", draw(TEXT)) + el("link", draw(URLS)) + el("description", draw(st.none() | TEXT))
    if draw(st.booleans()):
        head += f'<atom:link rel="self" href={quoteattr(draw(URLS))}/>'
    items = "".join(draw(st.lists(rss_item(), max_size=4)))
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel>{head}{items}</channel></rss>"
    ).encode()


TYPES = st.sampled_from(["", ' type="text"', ' type="html"'])


@st.composite
def atom_entry(draw: st.DrawFn) -> str:
    parts = [
        el("title", draw(st.none() | TEXT), draw(TYPES)),
        el("id", draw(st.none() | URLS)),
        el("updated", draw(st.none() | DATES)),
        el("published", draw(st.none() | DATES)),
        el("summary", draw(st.none() | TEXT), draw(TYPES)),
        el("content", draw(st.none() | TEXT), draw(TYPES)),
    ]
    for _ in range(draw(st.integers(0, 2))):
        rel = draw(st.sampled_from(["", ' rel="alternate"', ' rel="enclosure"', ' rel="related"']))
        parts.append(f"<link{rel} href={quoteattr(draw(URLS))}/>")
    if draw(st.booleans()):
        name = el("name", draw(st.none() | TEXT))
        email = el("email", draw(st.none() | st.sampled_from(["a@b.com", ""])))
        parts.append(f"<author>{name}{email}</author>")
    return "<entry>" + "".join(draw(st.permutations(parts))) + "</entry>"


@st.composite
def atom_doc(draw: st.DrawFn) -> bytes:
    head = el("title", draw(TEXT), draw(TYPES)) + el("id", draw(st.none() | URLS))
    head += f"<link href={quoteattr(draw(URLS))}/>" + el(
        draw(st.sampled_from(["icon", "logo"])), draw(st.none() | URLS)
    )
    entries = "".join(draw(st.lists(atom_entry(), max_size=4)))
    return f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">{head}{entries}</feed>'.encode()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rss_doc() | atom_doc())
def test_random_documents_parse_the_same_on_both_paths(body: bytes) -> None:
    assert parse_feed(body, url=URL) == parse_feed_slow(body, url=URL)
