"""Weibo posts (mblog objects) as ParsedItems: the text with its links made plain, pictures, video covers, reposts."""

from __future__ import annotations

import re
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import parse_qs, urlsplit

from app.feeds.sanitize import sanitize_html
from app.models import Enclosure, ParsedItem

WEIBO = "https://weibo.com"
_FULL_TEXT_LINK = re.compile(r'<a[^>]*href="[^"]*/status/[^"]*"[^>]*>\s*全文\s*</a>')
_SINAURL = re.compile(r'href="(https?:)?//weibo\.cn/sinaurl\?([^"]+)"')


def esc(value: Any) -> str:
    return escape(str(value), quote=True)


def parse_time(value: Any) -> datetime | None:
    """ "Sat Nov 22 20:15:03 +0800 2025" (the show endpoint and most lists); short forms give None."""
    try:
        return datetime.strptime(str(value), "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        return None


def _unwrap_link(match: re.Match[str]) -> str:
    target = parse_qs(match.group(2).replace("&amp;", "&")).get("u", [""])[0]
    return f'href="{esc(target)}"' if target else match.group(0)


def clean_text(html: str) -> str:
    """Drop the "全文" (full text) link, and send weibo.cn/sinaurl redirects straight to their target."""
    html = _FULL_TEXT_LINK.sub("", html)
    return _SINAURL.sub(_unwrap_link, html)


def pictures(mblog: dict[str, Any]) -> list[str]:
    """`pics` is a list or an object keyed "0", "1", ...; the large size when there is one."""
    pics = mblog.get("pics") or []
    if isinstance(pics, dict):
        pics = [pics[k] for k in sorted(pics, key=lambda k: int(k) if str(k).isdigit() else 0)]
    urls = []
    for pic in pics:
        if isinstance(pic, dict):
            large = pic.get("large") if isinstance(pic.get("large"), dict) else {}
            url = large.get("url") or pic.get("url")
            if url:
                urls.append(str(url))
    return urls


def video_cover(mblog: dict[str, Any]) -> tuple[str, str, str]:
    """(cover, page url, title) of a video card, else empty strings."""
    info = mblog.get("page_info")
    if not isinstance(info, dict) or info.get("type") != "video":
        return "", "", ""
    cover = (info.get("page_pic") or {}).get("url") or ""
    return str(cover), str(info.get("page_url") or ""), str(info.get("title") or info.get("page_title") or "")


def post_link(mblog: dict[str, Any]) -> str:
    user = mblog.get("user") or {}
    bid = mblog.get("bid") or mblog.get("mblogid") or mblog.get("id")
    return f"{WEIBO}/{user.get('id')}/{bid}" if user.get("id") else f"https://m.weibo.cn/status/{bid}"


def body_html(mblog: dict[str, Any], text: str) -> str:
    html = f"<div>{clean_text(text)}</div>"
    html += "".join(f'<p><img src="{esc(url)}" alt=""></p>' for url in pictures(mblog))
    cover, page, title = video_cover(mblog)
    if cover:
        html += f'<p><a href="{esc(page or post_link(mblog))}"><img src="{esc(cover)}" alt="{esc(title)}"></a></p>'
        html += f"<p>视频：{esc(title)}</p>" if title else ""
    return html


def post_item(mblog: dict[str, Any], *, full_text: str | None = None) -> ParsedItem:
    """One post; `full_text` is the long post's whole text (from statuses/show) when it was fetched."""
    user = mblog.get("user") or {}
    text = full_text or str(mblog.get("text") or "")
    html = body_html(mblog, text)
    repost = mblog.get("retweeted_status")
    if isinstance(repost, dict):
        who = (repost.get("user") or {}).get("screen_name")
        source = f'<a href="{esc(post_link(repost))}">@{esc(who)}</a>' if who else "原微博已删除"
        html += f"<blockquote><p>转发 {source}：</p>{body_html(repost, str(repost.get('text') or ''))}</blockquote>"
    plain = re.sub(r"<[^>]+>", "", clean_text(text)).strip()
    cover = video_cover(mblog)[0]
    return ParsedItem(
        guid=str(mblog.get("bid") or mblog.get("id")),
        url=post_link(mblog),
        title=(plain[:80] or "微博").replace("\n", " "),
        author=user.get("screen_name"),
        published=parse_time(mblog.get("created_at")),
        content_html=sanitize_html(html),
        enclosures=(Enclosure(cover, "image/jpeg"),) if cover else (),
    )


def scheme_bid(card: dict[str, Any]) -> str:
    """A card's mblogid from its `scheme` when `bid` is empty (RSSHub's fallback)."""
    query = parse_qs(urlsplit(str(card.get("scheme") or "")).query)
    return (query.get("mblogid") or [""])[0]
