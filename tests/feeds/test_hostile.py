"""Hostile feed documents: each one parses to a bounded ParsedFeed or raises FeedParseError with a
clear message — never ValueError, TypeError, OverflowError, RecursionError or a 400 MB article."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from app.errors import FeedParseError
from app.feeds.normalize import MAX_HTML, MAX_TITLE
from app.feeds.parse import parse_feed, parse_feed_slow
from app.feeds.sanitize import MAX_DEPTH, sanitize_html
from app.models import ParsedFeed

URL = "http://example.org/feed.xml"


def rss(items: str, prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{prolog}<rss version="2.0"><channel><title>T</title>'
        f"<link>http://example.org/</link>{items}</channel></rss>"
    ).encode()


def item(body: str = "", guid: str = "g") -> str:
    return f"<item><title>x</title><guid>{guid}</guid>{body}</item>"


def json_feed(**item_fields: object) -> bytes:
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [{"id": "1", **item_fields}]}
    return json.dumps(doc).encode()


# -- entity expansion ------------------------------------------------------------------------------
ENTITY_BOMB = rss(
    item("<description>" + "&big;" * 20_000 + "</description>"),
    prolog='<!DOCTYPE rss [<!ENTITY big "' + "A" * 20_000 + '">]>',
)


@pytest.mark.parametrize("parse", [parse_feed, parse_feed_slow])
def test_entity_declarations_are_refused_on_every_path(parse):
    with pytest.raises(FeedParseError, match="declares XML entities"):
        parse(ENTITY_BOMB, url=URL)


def test_entity_declarations_are_found_in_utf16_and_after_comments():
    utf16 = ENTITY_BOMB.decode().replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16")
    with pytest.raises(FeedParseError, match="entities"):
        parse_feed(utf16, url=URL)
    sneaky = rss(item(), prolog='<!-- hi --><!doctype rss [ <!entity  x "y"> ]>')
    with pytest.raises(FeedParseError, match="entities"):
        parse_feed(sneaky, url=URL)


def test_a_doctype_without_entities_and_entity_text_in_content_still_parse():
    plain = rss(item("<description>&amp;lt;!ENTITY x&amp;gt; is XML</description>"), "<!DOCTYPE rss>")
    assert "&lt;!ENTITY x&gt; is XML" in parse_feed(plain, url=URL).items[0].content_html
    cdata = rss(item("<description><![CDATA[<p><!ENTITY x 'y'> in an article</p>]]></description>"))
    assert parse_feed(cdata, url=URL).items[0].title == "x"


# -- huge feeds and articles --------------------------------------------------------------------------
def _dated_items(n: int, shuffle: int = 7919) -> str:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return "".join(
        item(
            f"<pubDate>{format_datetime(start - timedelta(minutes=(i * shuffle) % n), usegmt=True)}</pubDate>",
            f"g{i}",
        )
        for i in range(n)
    )


@pytest.mark.parametrize("parse", [parse_feed, parse_feed_slow])
def test_only_the_newest_items_are_taken_in_document_order(parse):
    body = rss(_dated_items(3000))
    kwargs = {"max_items": 100} if parse is parse_feed else {}
    feed = parse(body, url=URL, **kwargs)
    limit = 100 if parse is parse_feed else 500
    assert len(feed.items) == limit
    newest = datetime(2026, 1, 1, tzinfo=UTC)
    assert {i.published for i in feed.items} == {newest - timedelta(minutes=m) for m in range(limit)}
    order = [int(i.guid[1:]) for i in feed.items]
    assert order == sorted(order)  # the feed's own order is kept


def test_undated_items_fill_the_limit_in_document_order():
    feed = parse_feed(rss("".join(item(guid=f"u{i}") for i in range(50))), url=URL, max_items=10)
    assert [i.guid for i in feed.items] == [f"u{i}" for i in range(10)]


def test_a_20_mb_description_is_cut_at_a_tag_boundary_with_a_note():
    para = "&lt;p&gt;word &lt;b&gt;bold&lt;/b&gt; word&lt;/p&gt;"  # 28 characters once decoded
    n = 20 * 1024 * 1024 // 28
    body = rss(item("<description>" + para * n + "</description>"))
    stored = parse_feed(body, url=URL).items[0].content_html
    assert len(stored) <= MAX_HTML
    assert stored.endswith(f"(article cut: {28 * n / 2**20:.1f} MB, over Hearth's 1 MB limit)</em></p>")
    body_html = stored[: stored.rindex("<p><em>…")]
    assert body_html.endswith("</p>") and body_html.count("<p>") == body_html.count("</p>")


def test_long_titles_guids_and_links_are_bounded():
    long = "t" * 50_000
    feed = parse_feed(
        rss(f"<item><title>{long}</title><guid>{long}</guid><link>http://example.org/{long}</link></item>"),
        url=URL,
    )
    got = feed.items[0]
    assert len(got.title) == MAX_TITLE and got.title.endswith("…")
    assert got.guid.startswith("sha1:") and got.url is None


def test_deep_nesting_is_bounded_and_keeps_the_text():
    deep = "&lt;div&gt;" * 100_000 + "deep text"
    got = parse_feed(rss(item(f"<description>{deep}</description>")), url=URL).items[0]
    assert "deep text" in got.content_html and got.content_html.count("<div>") <= MAX_DEPTH
    nested_xml = rss(item("<description>" + "<x>" * 100_000 + "</x>" * 100_000 + "</description>"))
    assert isinstance(parse_feed(nested_xml, url=URL), ParsedFeed)


def test_shallow_html_is_untouched_by_the_depth_bound():
    html = "<div>" * 50 + "<p>a<p>b<br><br>" * 200 + "</div>" * 50
    assert sanitize_html(html) == sanitize_html(html.replace("</div>" * 50, "</div>" * 50))
    assert sanitize_html(html).count("<div>") == 50


# -- parser exceptions become typed errors --------------------------------------------------------------
def test_an_enclosure_length_of_superscript_two_is_no_length():
    feed = parse_feed(
        rss(item('<enclosure url="http://example.org/a.mp3" length="²" type="audio/mpeg"/>')), url=URL
    )
    assert feed.items[0].enclosures[0].length is None
    huge = parse_feed(
        rss(item('<enclosure url="http://example.org/a.mp3" length="' + "9" * 5000 + '"/>')), url=URL
    )
    assert huge.items[0].enclosures[0].length is None


def test_an_unparsable_xml_base_falls_back_to_the_feed_address():
    body = rss(
        '<item xml:base="http://[x"><title>x</title><guid>g</guid><description>&lt;a href="y"&gt;l&lt;/a&gt;</description></item>'
    )
    assert 'href="http://example.org/y"' in parse_feed(body, url=URL).items[0].content_html


@pytest.mark.parametrize(
    "fields",
    [
        {"attachments": 5},
        {"attachments": [5, None, {"url": 3}, {"url": "http://example.org/a", "size_in_bytes": "big"}]},
        {"attachments": [{"url": "http://example.org/a", "size_in_bytes": 1e308 * 10}]},
        {"date_published": "0001-01-01T00:00:00+01:00", "date_modified": "9999-12-31T23:59:59-01:00"},
        {"authors": 7, "author": "x", "tags": {"a": 1}, "title": ["list"], "url": 9},
        {"id": True, "content_html": "<p>\ud800 lone surrogate</p>", "title": "\udc00"},
    ],
)
def test_hostile_json_feed_items_still_parse(fields):
    feed = parse_feed(json_feed(**fields), url=URL)
    assert len(feed.items) == 1
    got = feed.items[0]
    assert all(e.length is None for e in got.enclosures)
    assert got.published is None and got.updated is None
    "".join([got.title, got.content_html, got.guid]).encode("utf-8")  # storable text: no lone surrogates


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b'{"version": "https://jsonfeed.org/version/1.1", "items": '
            + b"[" * 100_000
            + b"]" * 100_000
            + b"}",
            "nested too deeply",
        ),
        (
            b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": ' + b"9" * 5000 + b"}]}",
            "number too long",
        ),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [}', "malformed JSON"),
    ],
)
def test_unreadable_json_is_a_feed_parse_error(body, message):
    with pytest.raises(FeedParseError, match=message):
        parse_feed(body, url=URL)


def test_json_items_that_are_not_a_list_give_an_empty_feed():
    doc = b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": 5}'
    assert parse_feed(doc, url=URL).items == ()


@pytest.mark.parametrize(
    "date",
    [
        "Mon, 01 Jan 0001 00:00:00 +0100",
        "Fri, 31 Dec 9999 23:59:59 -0100",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
    ],
)
def test_dates_at_the_ends_of_the_calendar_with_offsets(date):
    for tag in ("pubDate", "dc:date"):
        body = rss(item(f"<{tag}>{date}</{tag}>")).replace(
            b"<rss ", b'<rss xmlns:dc="http://purl.org/dc/elements/1.1/" '
        )
        got = parse_feed(body, url=URL).items[0]
        assert got.published is None or got.published.tzinfo is not None
    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>x</id><title>t</title>'
        f"<updated>{date}</updated><published>{date}</published></entry></feed>"
    ).encode()
    assert len(parse_feed(atom, url=URL).items) == 1


# -- sanitiser: no SVG data URLs ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "html",
    [
        '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
        '<img src="DATA:IMAGE/SVG+XML;utf8,&lt;svg onload=alert(1)&gt;">',
        '<img src=" d&#9;a&#10;ta:image/svg+xml;base64,PHN2Zz4=">',
        '<img src="data:image/svg+xml;x=png,AAA">',
        '<a href="data:image/svg+xml;base64,PHN2Zz4=">x</a>',
        '<video poster="data:image/png;base64,iVBORw0KGgo="></video>',
        '<img src="data:text/html;base64,PHNjcmlwdD4=">',
    ],
)
def test_svg_and_other_data_urls_are_dropped(html):
    assert "data:" not in sanitize_html(html, base_url="http://example.org/").lower()


@pytest.mark.parametrize("mime", ["png", "gif", "jpeg", "jpg", "webp"])
def test_raster_data_images_survive(mime):
    html = f'<img src="data:image/{mime};base64,iVBORw0KGgo=" alt="a">'
    assert f'src="data:image/{mime};base64,iVBORw0KGgo="' in sanitize_html(html)


def test_an_svg_data_icon_is_dropped_but_a_png_one_kept():
    def atom(icon: str) -> bytes:
        return (
            f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><icon>{icon}</icon></feed>'.encode()
        )

    assert parse_feed(atom("data:image/svg+xml;base64,PHN2Zz4="), url=URL).icon_url is None
    assert parse_feed(atom("data:image/png;base64,iVBORw0KGgo="), url=URL).icon_url.startswith(
        "data:image/png"
    )


def test_a_100k_item_feed_on_the_feedparser_path_is_read_only_as_far_as_it_needs():
    items = "".join(
        f'<item rdf:about="http://example.org/{i}"><title>n {i}</title><link>http://example.org/{i}</link></item>'
        for i in range(100_000)
    )
    rdf = (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>R</title></channel>'
        f"{items}</rdf:RDF>"
    ).encode()
    feed = parse_feed(rdf, url=URL, max_items=50)
    assert feed.format == "rss10" and feed.title == "R"
    assert [i.title for i in feed.items] == [f"n {i}" for i in range(50)]  # undated: the feed's first
