"""Benchmark: parse_feed (lxml fast path) vs plain feedparser on a 50-item feed.

    python tests/bench/bench_parse.py [--items 50] [--rounds 200]

Prints ms/feed for: raw feedparser.parse (its defaults: sanitising on), Hearth's feedparser path
(parse_feed_slow, our sanitiser), Hearth's parse_feed (fast path), and the fast path's extraction alone.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import feedparser

from app.feeds.fastpath import fast_parse
from app.feeds.parse import parse_feed, parse_feed_slow

URL = "https://bench.example.com/feed.xml"


def make_rss(items: int) -> bytes:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<channel><title>Bench feed</title><link>https://bench.example.com/</link>"
        "<description>A typical blog feed</description>"
    ]
    for i in range(items):
        when = (start + timedelta(hours=i)).strftime("%a, %d %b %Y %H:%M:%S +0000")
        body = (
            f"<p>Paragraph one of post {i} with <a href='/p/{i}'>a link</a> and <em>emphasis</em>.</p>"
            f"<p><img src='/img/{i}.png' alt='figure {i}'></p>"
            + "<p>Lorem ipsum dolor sit amet, " * 12
            + "</p>"
        )
        parts.append(
            f"<item><title>Post number {i} &amp; friends</title><link>https://bench.example.com/p/{i}</link>"
            f'<guid isPermaLink="false">bench-{i}</guid><pubDate>{when}</pubDate><dc:creator>Writer {i % 7}</dc:creator>'
            f"<description>Summary of post {i}</description>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def per_call_ms(fn: Callable[[], object], rounds: int) -> float:
    fn()  # warm caches
    start = time.perf_counter()
    for _ in range(rounds):
        fn()
    return (time.perf_counter() - start) / rounds * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=200)
    args = ap.parse_args()
    body = make_rss(args.items)
    assert fast_parse(body) is not None, "the bench feed must take the fast path"
    assert parse_feed(body, url=URL) == parse_feed_slow(body, url=URL)
    raw_fp = per_call_ms(lambda: feedparser.parse(body), args.rounds)
    slow = per_call_ms(lambda: parse_feed_slow(body, url=URL), args.rounds)
    fast = per_call_ms(lambda: parse_feed(body, url=URL), args.rounds)
    extract = per_call_ms(lambda: fast_parse(body), args.rounds)
    print(f"{args.items}-item RSS 2.0 feed, {len(body) / 1024:.0f} KiB, {args.rounds} rounds")
    print(f"feedparser.parse (defaults)        {raw_fp:7.2f} ms/feed")
    print(f"hearth feedparser path             {slow:7.2f} ms/feed")
    print(f"hearth parse_feed (fast path)      {fast:7.2f} ms/feed")
    print(f"  of which lxml extraction         {extract:7.2f} ms/feed")
    print(f"ratio parse_feed / feedparser.parse  {fast / raw_fp:5.2f}  ({raw_fp / fast:.1f}x faster)")


if __name__ == "__main__":
    main()
