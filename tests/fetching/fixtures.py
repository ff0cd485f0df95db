"""Feed documents for fetch tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime


def rss(
    title: str,
    n: int = 3,
    *,
    prefix: str = "item",
    link_base: str = "http://example.org",
    encoding: str = "utf-8",
    extra_item: str = "",
) -> str:
    now = datetime.now(UTC)
    items = "".join(
        f"<item><title>{prefix} {i}</title><link>{link_base}/{prefix}/{i}</link><guid>{prefix}-{i}</guid>"
        f"<pubDate>{format_datetime(now - timedelta(hours=i), usegmt=True)}</pubDate>"
        f"<description>&lt;p&gt;body {i}&lt;/p&gt;</description>{extra_item}</item>"
        for i in range(n)
    )
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>{link_base}/</link><description>d</description>{items}</channel></rss>"
    )


def atom(title: str, n: int = 2) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries = "".join(
        f"<entry><id>urn:e:{i}</id><title>entry {i}</title><updated>{now}</updated>"
        f'<link href="posts/{i}.html"/><content type="html">&lt;a href="img/{i}.png"&gt;x&lt;/a&gt;</content></entry>'
        for i in range(n)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>{title}</title>'
        f"<id>urn:feed</id><updated>{now}</updated>{entries}</feed>"
    )
