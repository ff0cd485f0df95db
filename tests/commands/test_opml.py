"""`hearth import-opml | export-opml | export-rss` end to end through app.cli.run on a real database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from app.cli import run
from app.feeds.opml import parse_opml
from app.feeds.parse import parse_feed
from app.models import ParsedItem
from app.storage import open_store

FIXTURE = Path(__file__).parent.parent / "fixtures" / "feeds" / "subscriptions.opml"
T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    return data


def hearth(data: Path, *argv: str) -> int:
    return run(["--data-dir", str(data), *argv])


def test_import_then_export_gives_the_same_tree(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hearth(data_dir, "import-opml", str(FIXTURE)) == 0
    assert capsys.readouterr().out.strip() == "imported 4 feeds in 3 folders, 1 duplicates merged"
    out = tmp_path / "out.opml"
    assert hearth(data_dir, "export-opml", str(out)) == 0
    assert "exported 4 feeds in 3 folders" in capsys.readouterr().out
    exported = parse_opml(out.read_bytes())
    # storage orders folders first, then feeds by title; compare as sets per level
    assert _shape(exported) == _shape(parse_opml(FIXTURE.read_bytes()))
    assert hearth(data_dir, "import-opml", str(out)) == 0
    assert capsys.readouterr().out.strip() == "imported 0 feeds in 3 folders, 4 duplicates merged"


def test_export_opml_to_stdout(data_dir: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert hearth(data_dir, "import-opml", str(FIXTURE)) == 0
    capsysbinary.readouterr()
    assert hearth(data_dir, "export-opml") == 0
    assert len(parse_opml(capsysbinary.readouterr().out)) == 3


def test_malformed_opml_imports_nothing(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.opml"
    lines = [b'<?xml version="1.0"?>', b'<opml version="2.0">', b"<body>"]
    lines += [b'<outline text="f%d" xmlUrl="https://f%d.example/rss"/>' % (i, i) for i in range(8)]
    lines += [b'<outline text="broken">', b"</body>", b"</opml>"]
    bad.write_bytes(b"\n".join(lines))
    assert hearth(data_dir, "import-opml", str(bad)) == 1
    err = capsys.readouterr().err
    assert "line 13: mismatched tag" in err
    with open_store(data_dir / "hearth.sqlite3") as store:
        assert store.list_feeds() == []


def test_import_missing_file_is_a_clear_error(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert hearth(data_dir, "import-opml", str(data_dir / "nope.opml")) == 1
    assert "cannot read" in capsys.readouterr().err


@pytest.fixture
def library(data_dir: Path) -> dict:
    with open_store(data_dir / "hearth.sqlite3") as store:
        folder = store.add_folder("Reading")
        feed = store.add_feed(
            "https://a.example/feed", title="Alpha", folder_id=folder.id, site_url="https://a.example/"
        )
        items = [
            ParsedItem(guid=f"g{n}", url=f"https://a.example/{n}", title=f"Post {n} about rust" if n % 2 else f"Post {n}",
                       published=T0.replace(day=n), content_html=f"<p>Body {n}</p>")
            for n in range(1, 6)
        ]  # fmt: skip
        ids = store.upsert_articles(feed.id, items).new_ids
        store.star([ids[0], ids[2]])
    return {"feed": feed.id, "folder": folder.id}


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_export_rss_feed(data_dir: Path, library: dict, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"feed.{fmt}"
    assert (
        hearth(data_dir, "export-rss", "--feed", str(library["feed"]), "--format", fmt, "-o", str(out)) == 0
    )
    feed = parse_feed(out.read_bytes(), url="https://hearth.invalid/x")
    assert feed.title == "Alpha"
    assert [i.guid for i in feed.items] == ["g5", "g4", "g3", "g2", "g1"]
    assert feed.items[0].published == T0.replace(day=5)
    assert feed.items[0].content_html == "<p>Body 5</p>"


def test_export_rss_selections(
    data_dir: Path, library: dict, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert hearth(data_dir, "export-rss", "--starred") == 0
    parsed = feedparser.parse(capsysbinary.readouterr().out)
    assert sorted(e.id for e in parsed.entries) == ["g1", "g3"]
    assert hearth(data_dir, "export-rss", "--folder", str(library["folder"]), "--limit", "2") == 0
    assert [e.id for e in feedparser.parse(capsysbinary.readouterr().out).entries] == ["g5", "g4"]
    assert hearth(data_dir, "export-rss", "--search", "rust") == 0
    assert sorted(e.id for e in feedparser.parse(capsysbinary.readouterr().out).entries) == ["g1", "g3", "g5"]


def test_export_rss_unknown_feed(data_dir: Path, library: dict, capsys: pytest.CaptureFixture[str]) -> None:
    assert hearth(data_dir, "export-rss", "--feed", "999") == 1
    assert "999" in capsys.readouterr().err


def _shape(outlines) -> frozenset:
    return frozenset(
        (o.title, o.url, o.site_url, o.kind, _shape(o.children) if o.url is None else None) for o in outlines
    )


def test_export_rss_with_ai_summaries(data_dir: Path, library: dict, tmp_path: Path) -> None:
    from app.models import ArticleQuery, Summary

    with open_store(data_dir / "hearth.sqlite3") as store:
        first, *_ = store.query_ids(ArticleQuery(feed_ids=(library["feed"],), sort="oldest"))
        store.save_summary(Summary(first, "old-model", "v0", "- stale", T0))
        store.save_summary(
            Summary(first, "rwkv7-g1-0.4b", "v1", "- Body one <b>\nGist: about one", T0.replace(day=2))
        )
    out = tmp_path / "with.xml"
    argv = ["export-rss", "--feed", str(library["feed"]), "-o", str(out)]
    assert hearth(data_dir, *argv, "--with-summaries") == 0
    items = {i.guid: i for i in parse_feed(out.read_bytes(), url="https://hearth.invalid/x").items}
    with_summary = items["g1"].content_html
    assert (
        "AI summary" in with_summary and "rwkv7-g1-0.4b" in with_summary and "Gist: about one" in with_summary
    )
    assert "&lt;b&gt;" in with_summary and "stale" not in with_summary  # newest summary, escaped
    assert with_summary.endswith("<p>Body 1</p>")
    assert items["g2"].content_html == "<p>Body 2</p>"
    assert hearth(data_dir, *argv) == 0  # without the flag: the articles as they are
    assert "AI summary" not in out.read_text(encoding="utf-8")
