"""Build real Hearth profiles for UI tests, the GUI benchmark and the README screenshots (via the Store)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.models import ParsedItem
from app.storage import open_store

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)

SAMPLE = {
    "Engineering": [
        (
            "The Morning Paper Review",
            "https://blog.acolyer.example/",
            [
                (
                    "Why local-first software matters",
                    "Martin Kleppmann",
                    "<p>Cloud apps made collaboration easy, but they took away <b>ownership</b>: your data lives on "
                    "someone else's computer. Local-first software keeps the primary copy on your own device and "
                    "syncs in the background.</p><h2>Seven ideals</h2><ol><li>No spinners: your work at your "
                    "fingertips</li><li>Your work is not trapped on one device</li><li>The network is optional</li>"
                    "<li>Seamless collaboration with your colleagues</li><li>The long now</li><li>Security and privacy "
                    "by default</li><li>You retain ultimate ownership and control</li></ol><blockquote>Data "
                    "outlives the apps that created it.</blockquote><p>CRDTs make the sync part tractable; the hard "
                    "part is the user experience around conflicts.</p>",
                ),
                (
                    "SQLite is not a toy database",
                    "Anton Zhiyanov",
                    "<p>SQLite handles more traffic than most people think. With <code>WAL</code> mode, readers "
                    "never block the writer, and a single machine serves thousands of requests per second.</p>"
                    "<pre>PRAGMA journal_mode = wal;\nPRAGMA synchronous = normal;</pre><p>Full-text search with "
                    "FTS5 is built in, and so are JSON functions.</p>",
                ),
                (
                    "Designing calm technology",
                    "Amber Case",
                    "<p>Technology should require the smallest possible amount of attention. A feed reader that "
                    "refreshes in the background and tells you only what matters is a good example.</p>",
                ),
            ],
        ),
        (
            "Rust Blog",
            "https://blog.rust-lang.example/",
            [
                (
                    "Announcing Rust 1.93",
                    "The Rust Release Team",
                    "<p>The Rust team is happy to announce a new version of Rust. Rust is a programming language "
                    "empowering everyone to build reliable and efficient software.</p><h3>What's in 1.93</h3><ul>"
                    "<li>Async closures are stable</li><li>Faster incremental builds</li><li>New lints for "
                    "<code>unsafe</code> blocks</li></ul>",
                ),
                (
                    "Project goals for 2027",
                    "Niko Matsakis",
                    "<p>We are asking the community which goals matter most for the next year.</p>",
                ),
            ],
        ),
    ],
    "News": [
        (
            "Ars Technica",
            "https://arstechnica.example/",
            [
                (
                    "Scientists map the deepest trench in the Atlantic",
                    "Jennifer Ouellette",
                    "<p>A sonar survey mapped the Puerto Rico Trench in unprecedented detail, revealing landslides "
                    "and fault scarps along its walls.</p>",
                ),
                (
                    "A new battery chemistry promises cheaper grid storage",
                    "John Timmer",
                    "<p>Sodium-ion cells are closing the gap with lithium iron phosphate for stationary storage.</p>",
                ),
                (
                    "The best e-readers for 2026",
                    "Andrew Cunningham",
                    "<p>Our picks for reading in the sun, in the bath and in bed.</p>",
                ),
            ],
        ),
        (
            "Hacker News: Front Page",
            "https://news.ycombinator.example/",
            [
                (
                    "Show HN: A feed reader that fetches everything itself",
                    "hearth",
                    "<p>Hearth keeps your subscriptions in SQLite and fetches from your own machine.</p>",
                ),
                (
                    "The unreasonable effectiveness of plain text",
                    "jdoe",
                    "<p>Plain text files outlive every application.</p>",
                ),
            ],
        ),
    ],
    None: [
        (
            "Julia Evans",
            "https://jvns.example/",
            [
                (
                    "How DNS really works",
                    "Julia Evans",
                    "<p>Let's talk about what happens when you type a domain name into your browser. First your "
                    "computer asks a <em>resolver</em>, which asks the root servers, then the TLD servers, then the "
                    "authoritative nameserver.</p><p>Caching happens at every step, which is why DNS changes take "
                    "time to propagate.</p>",
                ),
                ("Some notes on git rebase", "Julia Evans", "<p>Rebasing rewrites history, carefully.</p>"),
            ],
        ),
        (
            "XKCD",
            "https://xkcd.example/",
            [
                (
                    "Standards",
                    "Randall Munroe",
                    "<p>How standards proliferate: there are now 15 competing standards.</p>",
                ),
            ],
        ),
    ],
}


def build_sample(db_path: Path, now: datetime = NOW) -> dict[str, int]:
    """A small, real-looking library: 2 folders, 6 feeds, 13 articles, some read, one starred."""
    ids: dict[str, int] = {}
    with open_store(db_path) as store:
        hours = 0
        for folder_name, feeds in SAMPLE.items():
            folder_id = store.add_folder(folder_name).id if folder_name else None
            for title, site, articles in feeds:
                feed = store.add_feed(site + "feed.xml", title=title, folder_id=folder_id, site_url=site)
                ids[title] = feed.id
                items = []
                for n, (headline, author, body) in enumerate(articles):
                    hours += 3
                    items.append(
                        ParsedItem(
                            guid=f"{site}{n}",
                            url=f"{site}posts/{n}",
                            title=headline,
                            author=author,
                            published=now - timedelta(hours=hours),
                            content_html=body,
                        )
                    )
                result = store.upsert_articles(feed.id, items)
                for headline_id in result.new_ids:
                    ids.setdefault(f"article:{headline_id}", headline_id)
        all_ids = store.query_ids(
            __import__("app.models", fromlist=["ArticleQuery"]).ArticleQuery(smart="all")
        )
        store.mark_read(all_ids[6:9], True)
        store.star(all_ids[1:2], True)
    return ids


def build_large(db_path: Path, articles: int = 100_000, feeds: int = 1, now: datetime = NOW) -> list[int]:
    """`articles` articles spread over `feeds` feeds (the first feed gets the remainder), batched."""
    feed_ids = []
    with open_store(db_path) as store:
        for f in range(feeds):
            feed = store.add_feed(f"https://big{f}.example/feed.xml", title=f"Big feed {f}")
            feed_ids.append(feed.id)
        per_feed = articles // feeds
        for f, feed_id in enumerate(feed_ids):
            count = per_feed + (articles - per_feed * feeds if f == 0 else 0)
            for start in range(0, count, 5000):
                items = [
                    ParsedItem(
                        guid=f"{feed_id}-{i}",
                        url=f"https://big{f}.example/{i}",
                        title=f"Article {i} of feed {f}",
                        published=now - timedelta(minutes=i),
                        content_html=f"<p>Body of article {i}.</p>",
                    )
                    for i in range(start, min(count, start + 5000))
                ]
                store.upsert_articles(feed_id, items)
    return feed_ids
