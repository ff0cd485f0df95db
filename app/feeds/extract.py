"""Full text for teaser feeds: telling a teaser feed from one that carries its articles, and turning an
article's web page into safe, bounded article HTML (trafilatura finds the text; our sanitiser cleans it).

Nothing here runs what a page carries: trafilatura parses with lxml and keeps text, links, images and
tables; scripts, styles, frames and handlers are dropped again by `sanitize_html`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from app.errors import FeedParseError
from app.feeds.normalize import bounded_html
from app.feeds.sanitize import sanitize_html
from app.i18n import _
from app.models import ParsedItem
from app.text import html_to_text

log = logging.getLogger(__name__)

TEASER_CHARS = 500  # an item's text shorter than this may be a teaser
MIN_ARTICLE_CHARS = 200  # a page whose article text is shorter holds no article worth replacing a teaser
MIN_ITEMS = 2  # detection needs at least this many items with links
HTML_TYPES = ("text/html", "application/xhtml+xml")
_READ_MORE = re.compile(
    r"(?:\.\.\.|…|\[…\]|\[\.\.\.\]|read more|continue reading|read the full|more\s*»|more\s*>>|"
    r"full (?:story|article)|阅读全文|查看全文|阅读更多|继续阅读|更多)\W*$",
    re.I,
)


def _text(html: str) -> str:
    return " ".join(html_to_text(html).split())


def looks_like_teaser(item: ParsedItem) -> bool:
    """A short text that ends in an ellipsis or a "read more", or one that only repeats the summary,
    on an item that links to a web page."""
    if not item.url or not item.url.lower().startswith(("http://", "https://")):
        return False
    content = _text(item.content_html)
    summary = _text(item.summary_html)
    text = content or summary
    if len(text) >= TEASER_CHARS:
        return False
    if not text:
        return False  # a title and a link: a link blog as often as a teaser
    same = bool(content) and bool(summary) and content == summary
    return same or bool(_READ_MORE.search(text))


def is_teaser_feed(items: Sequence[ParsedItem]) -> bool:
    """Most of the items that link to a page are teasers (and there are at least MIN_ITEMS of them)."""
    linked = [item for item in items if item.url and item.url.lower().startswith(("http://", "https://"))]
    if len(linked) < MIN_ITEMS:
        return False
    teasers = sum(1 for item in linked if looks_like_teaser(item))
    return teasers * 2 > len(linked)


def is_html(content_type: str | None) -> bool:
    """No content type counts as HTML (many servers omit it); anything else must say HTML."""
    if not content_type:
        return True
    return content_type.split(";", 1)[0].strip().lower() in HTML_TYPES


def extract_article(page: bytes, url: str) -> str:
    """The article in `page` (the raw bytes; trafilatura finds the encoding) as sanitised HTML of at most
    the article bound, relative links resolved against `url`. Raises FeedParseError when there is none."""
    import trafilatura  # imported on first use: a refresh without full-text feeds never pays for it

    try:
        extracted = trafilatura.extract(
            page,
            url=url,
            output_format="html",
            include_links=True,
            include_images=True,
            include_tables=True,
            include_comments=False,
            deduplicate=False,
        )
    except Exception as exc:  # a parser bug on one hostile page must cost one article, not the refresh
        log.info("trafilatura failed on %s: %r", url, exc)
        raise FeedParseError(
            f"the page at {url} could not be read as an article ({type(exc).__name__})",
            hint=_("the feed's own text is kept"),
        ) from None
    body = _body_of(extracted or "")
    if len(_text(body)) < MIN_ARTICLE_CHARS:
        raise FeedParseError(
            f"no article text found on {url}",
            hint=_("the page may need JavaScript or a sign-in; the feed's own text is kept"),
        )
    return bounded_html(body, lambda v: sanitize_html(v, base_url=url))


_BODY = re.compile(r"<body\b[^>]*>(.*)</body\s*>", re.I | re.S)


def _body_of(document: str) -> str:
    """trafilatura's HTML output is a whole document; the article is what its <body> holds."""
    match = _BODY.search(document)
    return (match.group(1) if match else document).strip()
