"""The feed server's own pages: the HTML index of everything it serves and the OPML of its feed URLs."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from app import __version__
from app.models import Feed, Folder

Url = Callable[[str], str]  # a server path -> the absolute URL a reader subscribes to


def _feed_path(feed: Feed, rsshub: dict[int, str]) -> str:
    return rsshub.get(feed.id) or f"/feeds/{feed.id}"


def index_html(feeds: Sequence[Feed], folders: Sequence[Folder], rsshub: dict[int, str], url: Url) -> bytes:
    """A plain page listing every feed, folder and view with links a reader can subscribe to."""
    esc = html.escape
    rows = []
    for feed in feeds:
        path = _feed_path(feed, rsshub)
        rows.append(
            f'<li><a href="{esc(url(path))}">{esc(feed.title or feed.url)}</a> '
            f'<small>{esc(path)} · <a href="{esc(url(path + "?format=atom"))}">Atom</a> · '
            f'<a href="{esc(url(path + "?format=json"))}">JSON</a></small></li>'
        )
    folder_rows = [f'<li><a href="{esc(url(f"/folders/{f.id}"))}">{esc(f.name)}</a></li>' for f in folders]
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hearth feed server</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;max-width:52em;margin:2em auto;padding:0 1em}}
small{{color:#666}}</style></head><body>
<h1>Hearth feed server</h1>
<p>Subscribe to any of these in another reader. Sources use RSSHub's paths, so a reader that used RSSHub
only needs this host instead. <a href="{esc(url("/opml"))}">OPML of everything</a>.</p>
<form action="{esc(url("/search"))}"><input name="q" placeholder="search articles"> <button>Search feed</button></form>
<h2>Views</h2><ul><li><a href="{esc(url("/starred"))}">Starred</a></li></ul>
<h2>Folders</h2><ul>{"".join(folder_rows) or "<li>none</li>"}</ul>
<h2>Feeds ({len(feeds)})</h2><ul>{"".join(rows) or "<li>none yet</li>"}</ul>
<p><small>Hearth {esc(__version__)}</small></p>
</body></html>"""
    return body.encode("utf-8")


def opml_listing(feeds: Sequence[Feed], folders: Sequence[Folder], rsshub: dict[int, str], url: Url) -> bytes:
    """OPML 2.0 whose xmlUrl's point at this server (folders nested as in Hearth)."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = "Hearth feeds"
    ET.SubElement(head, "dateCreated").text = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    body = ET.SubElement(root, "body")
    children: dict[int | None, list[Folder]] = {}
    for folder in folders:
        children.setdefault(folder.parent_id, []).append(folder)
    by_folder: dict[int | None, list[Feed]] = {}
    for feed in feeds:
        by_folder.setdefault(feed.folder_id, []).append(feed)
    known = {f.id for f in folders}

    def fill(parent: ET.Element, folder_id: int | None) -> None:
        for folder in children.get(folder_id, []):
            fill(ET.SubElement(parent, "outline", text=folder.name, title=folder.name), folder.id)
        for feed in by_folder.get(folder_id, []):
            attrs = {
                "type": "rss",
                "text": feed.title or feed.url,
                "title": feed.title or feed.url,
                "xmlUrl": url(_feed_path(feed, rsshub)),
            }
            if feed.site_url:
                attrs["htmlUrl"] = feed.site_url
            ET.SubElement(parent, "outline", attrs)

    fill(body, None)
    for feed in feeds:  # a feed whose folder vanished still appears
        if feed.folder_id is not None and feed.folder_id not in known:
            ET.SubElement(body, "outline", type="rss", text=feed.title, xmlUrl=url(_feed_path(feed, rsshub)))
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")
