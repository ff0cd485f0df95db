"""Property tests: the JSON Feed parser and the normaliser return a ParsedFeed or raise FeedParseError,
nothing else, for any input; what they return is bounded, storable and has only http(s) links.

Runs are derandomised (the same 200 examples every run) and have no deadline, so they cannot flake."""

from __future__ import annotations

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.errors import FeedParseError
from app.feeds.jsonfeed import parse_json_feed
from app.feeds.normalize import MAX_HTML, MAX_TITLE, RawEntry, RawFeed, RawText, build_feed
from app.models import ParsedFeed

URL = "http://example.org/feed.json"
FUZZ = settings(
    max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

# text with the characters that break naive code: surrogates, NUL, markup, URL punctuation, digits
_ALPHABET = st.characters(codec=None, exclude_categories=()) | st.sampled_from(
    list("<>&\"'[]:/\\?#%\x00²٣\ud800")
)
texts = st.text(_ALPHABET, max_size=40) | st.sampled_from(
    [
        "http://[x",
        "http://example.org/a",
        "data:image/svg+xml;base64,PHN2Zz4=",
        "//x",
        "<p>hi</p>",
        "1e999",
        "",
    ]
)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | texts
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)
ITEM_KEYS = [
    "id", "url", "external_url", "title", "content_html", "content_text", "summary", "date_published",
    "date_modified", "author", "authors", "attachments", "tags", "image",
]  # fmt: skip
DATES = st.sampled_from(
    ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2026-02-30T00:00:00Z", "2026-01-01T12:00:00Z"]
)
attachments = st.lists(
    st.fixed_dictionaries(
        {}, optional={"url": texts | json_values, "mime_type": json_values, "size_in_bytes": json_scalars}
    ),
    max_size=3,
)
items = (
    st.dictionaries(st.sampled_from(ITEM_KEYS), json_values | DATES | attachments, max_size=len(ITEM_KEYS))
    | json_values
)
feeds = st.fixed_dictionaries(
    {
        "version": st.sampled_from(["https://jsonfeed.org/version/1.1", "https://jsonfeed.org/version/1"])
        | json_values
    },
    optional={
        "title": json_values,
        "home_page_url": json_values | texts,
        "feed_url": json_values,
        "favicon": json_values | texts,
        "description": json_values,
        "author": json_values,
        "authors": json_values,
        "items": st.lists(items, max_size=5) | json_values,
    },
)


def _check(feed: ParsedFeed) -> None:
    assert isinstance(feed, ParsedFeed)
    for url in (feed.site_url, feed.feed_url):
        assert url is None or url.startswith(("http://", "https://"))
    for item in feed.items:
        assert item.url is None or item.url.startswith(("http://", "https://"))
        assert len(item.content_html) <= MAX_HTML and len(item.title) <= MAX_TITLE
        assert item.guid
        for enc in item.enclosures:
            assert enc.url.startswith(("http://", "https://"))
            assert enc.length is None or 0 <= enc.length < 2**63
        # storable: SQLite takes UTF-8, so no lone surrogates anywhere
        "".join([item.guid, item.title, item.content_html, item.summary_html, item.author or ""]).encode()
    (feed.title + feed.description).encode()


@FUZZ
@given(feeds)
def test_json_feed_documents_parse_or_raise_feed_parse_error(doc):
    body = json.dumps(doc).encode("utf-8", "surrogatepass")
    try:
        feed = parse_json_feed(body, url=URL)
    except FeedParseError as exc:
        assert exc.message
        return
    _check(feed)


@FUZZ
@given(st.binary(max_size=200).map(lambda b: b"{" + b))
def test_json_feed_bytes_parse_or_raise_feed_parse_error(body):
    try:
        feed = parse_json_feed(body, url=URL)
    except FeedParseError:
        return
    _check(feed)


raw_texts = st.none() | st.builds(
    RawText,
    value=texts,
    type=st.sampled_from(["text/html", "text/plain", "application/xhtml+xml", "html", "image/png", ""])
    | texts,
    base=texts,
)
struct_times = st.none() | st.tuples(*[st.integers(min_value=-(2**40), max_value=2**40)] * 9).map(
    time.struct_time
)
raw_entries = st.builds(
    RawEntry,
    id=st.none() | texts,
    link=st.none() | texts,
    title=raw_texts,
    author=st.none() | texts,
    published=struct_times,
    updated=struct_times,
    content=raw_texts,
    summary=raw_texts,
    enclosures=st.lists(st.tuples(texts, texts, st.none() | texts), max_size=3),
)
raw_feeds = st.builds(
    RawFeed,
    version=st.sampled_from(["rss20", "atom10", "json11", ""]),
    title=raw_texts,
    link=st.none() | texts,
    self_url=st.none() | texts,
    icon=st.none() | texts,
    subtitle=raw_texts,
    entries=st.lists(raw_entries, max_size=6),
)


@FUZZ
@given(raw_feeds, texts | st.just(URL), st.integers(min_value=1, max_value=4))
def test_the_normaliser_returns_a_bounded_feed_for_any_raw_fields(raw, url, max_items):
    try:
        feed = build_feed(raw, url, max_items=max_items)
    except FeedParseError:
        return
    _check(feed)
    assert len(feed.items) == min(len(raw.entries), max_items)
