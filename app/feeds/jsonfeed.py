"""JSON Feed 1.0 / 1.1 (https://jsonfeed.org/version/1.1) -> the same `RawFeed` the XML parsers fill."""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, datetime
from typing import Any

from app.errors import FeedParseError
from app.feeds.normalize import MAX_ITEMS, RawEntry, RawFeed, RawText, build_feed
from app.i18n import lazy_gettext
from app.models import ParsedFeed

JSON_TYPES = ("application/feed+json", "application/json")
_HINT = lazy_gettext("check the address: it should point at the feed itself")


def is_json_feed(body: bytes, content_type: str | None) -> bool:
    """JSON Feed by media type, or by a body that opens with `{`."""
    if content_type and content_type.split(";")[0].strip().lower() in JSON_TYPES:
        return True
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def parse_json_feed(body: bytes, *, url: str, max_items: int = MAX_ITEMS) -> ParsedFeed:
    return build_feed(json_feed_raw(body), url, max_items=max_items)


def json_feed_raw(body: bytes) -> RawFeed:
    try:
        doc = json.loads(body.decode("utf-8-sig", errors="replace"))
    except json.JSONDecodeError as exc:
        raise FeedParseError(f"malformed JSON at line {exc.lineno}: {exc.msg}", hint=_HINT) from None
    except RecursionError:
        raise FeedParseError("malformed JSON: nested too deeply to read", hint=_HINT) from None
    except ValueError:  # Python refuses integers of more than 4,300 digits
        raise FeedParseError("malformed JSON: a number too long to read", hint=_HINT) from None
    if not isinstance(doc, dict) or not (
        (_str(doc.get("version")) or "").startswith("https://jsonfeed.org/version/")
        or isinstance(doc.get("items"), list)
    ):
        raise FeedParseError("not a feed: the server sent JSON that is not a JSON Feed", hint=_HINT)
    version = _str(doc.get("version")) or ""
    items = doc.get("items") if isinstance(doc.get("items"), list) else []
    raw = RawFeed(
        version="json11" if version.endswith("/1.1") else "json10",
        title=_plain(doc.get("title")),
        link=_str(doc.get("home_page_url")),
        self_url=_str(doc.get("feed_url")),
        icon=_str(doc.get("favicon")) or _str(doc.get("icon")),
        subtitle=_plain(doc.get("description")),
    )
    feed_author = _author(doc)
    raw.entries = [_entry(item, feed_author) for item in items if isinstance(item, dict)]
    return raw


def _entry(item: dict[str, Any], feed_author: str | None) -> RawEntry:
    html = _str(item.get("content_html"))
    text = _str(item.get("content_text"))
    content = RawText(html, "text/html") if html else (RawText(text, "text/plain") if text else None)
    summary = _plain(item.get("summary"))
    if content is None and summary is not None:
        content, summary = summary, None
    item_id = item.get("id")
    enclosures = []
    attachments = item.get("attachments")
    for att in attachments if isinstance(attachments, list) else ():
        url = _str(att.get("url")) if isinstance(att, dict) else None
        if url:
            enclosures.append((url, _str(att.get("mime_type")) or "", _size(att.get("size_in_bytes"))))
    return RawEntry(
        id=str(item_id)
        if isinstance(item_id, str | int) and not isinstance(item_id, bool) and str(item_id).strip()
        else None,
        link=_str(item.get("url")) or _str(item.get("external_url")),
        title=_plain(item.get("title")),
        author=_author(item) or feed_author,
        published=_date(item.get("date_published")),
        updated=_date(item.get("date_modified")),
        content=content,
        summary=summary,
        enclosures=enclosures,
    )


def _size(value: Any) -> str | None:
    """size_in_bytes as digits: a whole, finite, non-negative number (JSON allows 1e999 = inf)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return None
    return str(int(value)) if 0 <= value < 2**63 else None


def _author(obj: dict[str, Any]) -> str | None:
    authors = obj.get("authors")
    if not isinstance(authors, list) or not authors:
        authors = [obj.get("author")]  # JSON Feed 1.0
    names = [_str(a.get("name")) for a in authors if isinstance(a, dict)]
    joined = ", ".join(n for n in names if n)
    return joined or None


def _date(value: Any) -> time.struct_time | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.astimezone(UTC).timetuple()
    except (ValueError, OverflowError):  # not ISO 8601, or year 1 / 9999 pushed past the range by its offset
        return None


def _str(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _plain(value: Any) -> RawText | None:
    text = _str(value)
    return RawText(text, "text/plain") if text else None
