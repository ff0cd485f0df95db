"""Export stored articles as a feed: RSS 2.0 or Atom 1.0 (feedgen) or JSON Feed 1.1 (our own writer).

Used by `hearth export-rss` and by the local feed server; the output re-parses to the same items.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol

from feedgen.feed import FeedGenerator
from lxml import etree

from app import __version__
from app.errors import HearthError
from app.i18n import _
from app.models import Article, Summary
from app.text import html_to_text

FORMATS = ("rss", "atom", "json")
PLACEHOLDER_LINK = "https://hearth.invalid/"
MEDIA_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
_ATOM = "http://www.w3.org/2005/Atom"
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Translation(Protocol):
    """What an export needs of a stored AI translation (app.storage.summaries.Translation)."""

    language: str
    model_id: str
    text: str  # the translated body, HTML


def export_articles(
    articles: Sequence[Article],
    *,
    title: str,
    link: str | None = None,
    fmt: str = "rss",
    description: str = "",
    self_url: str | None = None,
    ai_summaries: Mapping[int, Summary] | None = None,
    ai_translations: Mapping[int, Translation] | None = None,
    ai_titles: Mapping[int, Translation] | None = None,
) -> bytes:
    """The articles as one feed document in `fmt` ("rss", "atom" or "json"), in the order given.

    `link` is the feed's web page; without one the self URL (or a placeholder) stands in.
    `ai_summaries` (article id -> Summary) puts each article's local AI summary, marked as such, at the
    top of its content, so it travels with the article into any other reader. `ai_translations` (id ->
    the body's Translation) puts the translated body above the original, and `ai_titles` (id -> the title's
    Translation) makes the item's title the translated one (see `with_ai_translation`).
    """
    link = link or self_url or PLACEHOLDER_LINK
    if ai_translations or ai_titles:
        bodies, titles = ai_translations or {}, ai_titles or {}
        articles = [with_ai_translation(a, bodies.get(a.id), titles.get(a.id)) for a in articles]
    if ai_summaries:
        articles = [with_ai_summary(a, ai_summaries[a.id]) if a.id in ai_summaries else a for a in articles]
    if fmt == "json":
        return _json_feed(articles, title=title, link=link, description=description, self_url=self_url)
    if fmt not in FORMATS:
        raise HearthError(f"unknown feed format {fmt!r}", hint=_("use rss, atom or json"))
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.title(_xml(title) or "Hearth")
    fg.link(href=link, rel="alternate")
    fg.description(_xml(description) or _xml(title) or "Hearth")
    fg.id(self_url or link)
    fg.generator("Hearth", version=__version__)
    if self_url:
        fg.link(href=self_url, rel="self")
    newest = max((_stamp(a) for a in articles), default=datetime.now(UTC))
    fg.updated(newest)
    for article in articles:
        _add_entry(fg, article, fmt)
    if fmt == "atom":
        return _restore_atom_link_attributes(fg.atom_str(pretty=True), articles)
    return fg.rss_str(pretty=True)


def with_ai_summary(article: Article, summary: Summary) -> Article:
    """The article with its AI summary as a marked block before its content."""
    lines = "".join(f"<p>{html.escape(line)}</p>" for line in summary.text.splitlines() if line.strip())
    block = (
        f'<aside class="hearth-ai-summary"><p><strong>AI summary</strong> '
        f"<small>({html.escape(summary.model_id)}, made on this computer)</small></p>{lines}</aside><hr>"
    )
    return replace(article, content_html=block + (article.content_html or article.summary_html))


def with_ai_translation(
    article: Article, translation: Translation | None, title: Translation | None = None
) -> Article:
    """The article with its local AI translation as a marked block before the original content.

    A translated `title` becomes the item's title: the title is what a feed reader shows in its list, so the
    list reads in the user's language; the original title is kept in the content, at the head of the
    original, and the item's link still opens the original article. A title in another language than the
    body's translation is left out (one item, one language)."""
    if title is not None and translation is not None and title.language != translation.language:
        title = None
    made = translation or title
    if made is None:
        return article
    block = (
        f'<section class="hearth-ai-translation" lang="{html.escape(made.language)}"><p><strong>AI '
        f"translation</strong> <small>({html.escape(made.model_id)}, made on this computer)</small></p>"
        f"{translation.text if translation is not None else ''}</section><hr>"
    )
    new_title = title.text.strip() if title is not None else ""
    if new_title and article.title:  # the original title heads the original content
        block += f'<p class="hearth-original-title"><strong>{html.escape(article.title)}</strong></p>'
    content = block + (article.content_html or article.summary_html)
    return replace(article, title=new_title or article.title, content_html=content)


def _restore_atom_link_attributes(data: bytes, articles: Sequence[Article]) -> bytes:
    """feedgen 1.0 writes entry <link>s without rel/type/length (a shadowed variable); put them back."""
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    entries = root.findall(f"{{{_ATOM}}}entry")
    for entry, article in zip(entries, articles, strict=True):
        wanted = ([{"rel": "alternate"}] if article.url else []) + [
            {"rel": "enclosure", "type": e.type, "length": str(e.length) if e.length is not None else "0"}
            for e in article.enclosures
        ]
        for node, attrs in zip(entry.findall(f"{{{_ATOM}}}link"), wanted, strict=False):
            for key, value in attrs.items():
                if value:
                    node.set(key, value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _add_entry(fg: FeedGenerator, article: Article, fmt: str) -> None:
    fe = fg.add_entry(order="append")
    fe.id(_xml(article.guid))
    fe.guid(_xml(article.guid), permalink=bool(article.url) and article.guid == article.url)
    fe.title(_xml(article.title) or "(untitled)")
    if article.url:
        fe.link(href=article.url, rel="alternate")
    if article.published:
        fe.published(article.published)
    fe.updated(article.updated or article.published or article.first_seen)
    if article.author:
        if fmt == "atom":
            fe.author({"name": _xml(article.author)})
        else:
            fe.dc.dc_creator(_xml(article.author))
    content = _xml(article.content_html)
    summary = _xml(article.summary_html)
    if fmt == "atom":
        if content:
            fe.content(content, type="html")
        if summary:
            fe.summary(summary, type="html")
    else:
        if content:
            fe.content(content, type="CDATA")
        if summary or content:
            fe.description(summary or content)
        if article.updated and article.updated != article.published:
            fe.dc.dc_date(article.updated.isoformat())
    for index, enclosure in enumerate(article.enclosures):
        length = str(enclosure.length) if enclosure.length is not None else "0"
        if fmt == "atom":
            fe.link(href=enclosure.url, rel="enclosure", type=enclosure.type or None, length=length)
        elif index == 0:  # RSS 2.0 allows one enclosure per item
            fe.enclosure(enclosure.url, length, enclosure.type or "application/octet-stream")


def _json_feed(
    articles: Sequence[Article], *, title: str, link: str, description: str, self_url: str | None
) -> bytes:
    doc: dict[str, object] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": link,
    }
    if self_url:
        doc["feed_url"] = self_url
    if description:
        doc["description"] = description
    items = []
    for a in articles:
        item: dict[str, object] = {"id": a.guid, "title": a.title}
        if a.url:
            item["url"] = a.url
        if a.content_html:
            item["content_html"] = a.content_html
        if a.summary_html:
            item["summary"] = html_to_text(a.summary_html)
        if a.published:
            item["date_published"] = _rfc3339(a.published)
        if a.updated:
            item["date_modified"] = _rfc3339(a.updated)
        if a.author:
            item["authors"] = [{"name": a.author}]
        if a.enclosures:
            item["attachments"] = [
                {"url": e.url, "mime_type": e.type or "application/octet-stream"}
                | ({"size_in_bytes": e.length} if e.length is not None else {})
                for e in a.enclosures
            ]
        items.append(item)
    doc["items"] = items
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


def _rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _stamp(article: Article) -> datetime:
    return article.updated or article.published or article.first_seen


def _xml(text: str | None) -> str:
    return _NOT_XML.sub("", text or "")
