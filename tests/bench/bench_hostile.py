"""Costs of the hardening, each beside its peer measured in the same run:

- BoundedBody (64 KB steps) against one-shot decoding, for an ordinary 4 MB body in each encoding;
- a 20 MB description through the lxml path (huge_tree) against feedparser (what it fell back to);
- a 100,000-item feed: the streaming lxml path against feedparser.

    python3 tests/bench/bench_hostile.py
"""

from __future__ import annotations

import resource
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import brotli
import zstandard

from app.feeds.parse import parse_feed, parse_feed_slow
from app.fetching.decoding import BoundedBody

MB = 1 << 20


def _best(fn, rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def bench_decoding() -> None:
    data = b"".join(b"<p>line %d of a long article</p>\n" % i for i in range(120_000))
    wires = {
        "gzip": (zlib.compress(data, wbits=31), lambda w: zlib.decompress(w, 31)),
        "deflate": (zlib.compress(data), zlib.decompress),
        "br": (brotli.compress(data, quality=4), brotli.decompress),
        "zstd": (zstandard.ZstdCompressor().compress(data), zstandard.ZstdDecompressor().decompress),
    }
    for name, (wire, one_shot) in wires.items():

        def bounded(wire: bytes = wire, name: str = name) -> None:
            body = BoundedBody(name, cap=len(data))
            for i in range(0, len(wire), 65536):
                body.feed(wire[i : i + 65536])
            assert body.finish() == data

        t_bounded, t_one = _best(bounded), _best(lambda f=one_shot, w=wire: f(w))
        print(
            f"decode {name:8s} {len(data) / MB:.1f} MB: bounded {len(data) / MB / t_bounded:7.0f} MB/s, "
            f"one-shot {len(data) / MB / t_one:7.0f} MB/s"
        )


def _rss(items: str) -> bytes:
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


def bench_parsing() -> None:
    cases = {
        "20 MB description": _rss(
            "<item><title>x</title><guid>g</guid><description>"
            + "&lt;p&gt;word word word&lt;/p&gt;" * (20 * MB // 30)
            + "</description></item>"
        ),
        "100,000 items": _rss(
            "".join(
                f"<item><title>n {i}</title><guid>n{i}</guid><description>b {i}</description></item>"
                for i in range(100_000)
            )
        ),
    }
    url = "http://example.org/feed.xml"
    for name, body in cases.items():
        for label, parse in (("hearth (lxml)", parse_feed), ("feedparser", parse_feed_slow)):
            start = time.perf_counter()
            feed = parse(body, url=url)
            took = time.perf_counter() - start
            print(f"parse {name:18s} {label:14s} {took:6.1f} s, {len(feed.items)} items kept")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    bench_decoding()
    bench_parsing()
