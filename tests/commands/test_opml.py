"""`hearth import-opml | export-opml | export-rss` end to end through app.cli.run on a real database."""

from __future__ import annotations

import html
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from app.cli import run
from app.errors import StorageError
from app.feeds.opml import parse_opml
from app.feeds.parse import parse_feed
from app.models import Outline, ParsedItem
from app.storage import open_store
from tests.support.http import Reply

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
    assert capsys.readouterr().out.strip() == "imported 4 feeds in 3 folders, 1 duplicate merged"  # plurals
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


def test_malformed_opml_is_read_leniently_and_says_so(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.opml"
    lines = [b'<?xml version="1.0"?>', b'<opml version="2.0">', b"<body>"]
    lines += [
        b'<outline text="f%d" xmlUrl="https://f%d.example/rss?a=1&b=%d"/>' % (i, i, i) for i in range(8)
    ]
    lines += [b'<outline text="no feed" type="rss"/>', b'<outline text="broken">', b"</body>", b"</opml>"]
    bad.write_bytes(b"\n".join(lines))
    assert hearth(data_dir, "import-opml", str(bad)) == 0
    out, err = capsys.readouterr()
    assert f"{bad} is not well-formed XML (line 4: a raw '&'" in err and "read it leniently" in err
    assert "skipped line 12: outline 'no feed' has no xmlUrl" in err
    assert out.strip() == "imported 8 feeds in 1 folder, 0 duplicates merged, 1 skipped"
    with open_store(data_dir / "hearth.sqlite3") as store:
        assert sorted(f.url for f in store.list_feeds()) == [
            f"https://f{i}.example/rss?a=1&b={i}" for i in range(8)
        ]


def test_opml_with_entities_imports_nothing(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bomb.opml"
    bad.write_bytes(
        b'<?xml version="1.0"?>\n<!DOCTYPE opml [<!ENTITY a "aaaa">]>\n'
        b'<opml><body><outline text="&a;" xmlUrl="https://a.example/"/></body></opml>'
    )
    assert hearth(data_dir, "import-opml", str(bad)) == 1
    assert "line 2: entity declarations are not allowed in OPML" in capsys.readouterr().err
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


# -- outlines that run a command ------------------------------------------------------------------
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Real</title><link>https://r.example/</link>
<item><guid>r1</guid><title>One</title><link>https://r.example/1</link></item></channel></rss>"""
SPELLINGS = (
    'hearth:kind="script" xmlUrl="exec:{cmd}"',
    'xmlUrl="exec:{cmd}"',  # no kind: newsboat's export
    'type="rss" xmlUrl="   EXEC:{cmd}"',
    'hearth:kind="feed" xmlUrl="&#10;Script:{cmd}"',
)


def _touch(marker: Path) -> str:
    """A command line that creates `marker` (what an attacker's `touch /tmp/x` stands for)."""
    line = shlex.join(
        [sys.executable, "-c", "import pathlib, sys; pathlib.Path(sys.argv[1]).touch()", str(marker)]
    )
    return html.escape(line, quote=True)


def _hostile_opml(tmp_path: Path, feed_url: str) -> tuple[Path, list[Path]]:
    markers = [tmp_path / f"ran-{n}" for n in range(len(SPELLINGS))]
    outlines = [
        f'<outline text="Tool {n}" {spelling.format(cmd=_touch(marker))}/>'
        for n, (spelling, marker) in enumerate(zip(SPELLINGS, markers, strict=True))
    ]
    path = tmp_path / "downloaded.opml"
    path.write_text(
        '<?xml version="1.0"?><opml version="2.0" xmlns:hearth="https://hearth.invalid/ns/opml/1.0"><body>'
        f'<outline text="Real" xmlUrl="{feed_url}"/><outline text="Tools">{"".join(outlines)}</outline>'
        "</body></opml>",
        encoding="utf-8",
    )
    return path, markers


def test_a_downloaded_opml_never_adds_a_command_and_a_refresh_runs_nothing(
    data_dir: Path, tmp_path: Path, server, capsys: pytest.CaptureFixture[str]
) -> None:
    server.route("/feed.xml", Reply(200, body=RSS, headers={"Content-Type": "application/rss+xml"}))
    path, markers = _hostile_opml(tmp_path, server.url("/feed.xml"))
    assert hearth(data_dir, "import-opml", str(path)) == 0
    out, err = capsys.readouterr()
    for n, marker in enumerate(markers):
        assert f"skipped script feed 'Tool {n}', which would run: " in err
        assert str(marker) in err
    assert "--allow-scripts" in err
    assert out.strip() == "imported 1 feed in 1 folder, 0 duplicates merged, 4 skipped"
    with open_store(data_dir / "hearth.sqlite3") as store:
        feeds = store.list_feeds()
    assert [(f.kind, f.url) for f in feeds] == [("feed", server.url("/feed.xml"))]
    assert hearth(data_dir, "refresh", "--all", "--quiet") == 0
    assert [r.path for r in server.requests] == ["/feed.xml"]  # the refresh did run
    assert [m for m in markers if m.exists()] == []


def test_allow_scripts_lists_each_command_then_adds_it(
    data_dir: Path, tmp_path: Path, server, capsys: pytest.CaptureFixture[str]
) -> None:
    server.route("/feed.xml", Reply(200, body=RSS, headers={"Content-Type": "application/rss+xml"}))
    path, markers = _hostile_opml(tmp_path, server.url("/feed.xml"))
    assert hearth(data_dir, "import-opml", str(path), "--allow-scripts") == 0
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert len(lines) == 5 and lines[-1] == "imported 5 feeds in 1 folder, 0 duplicates merged"
    for n, (line, marker) in enumerate(zip(lines, markers, strict=False)):
        assert line.startswith(f"adding script feed 'Tool {n}', which runs: ") and line.endswith(str(marker))
    assert "skipped" not in err
    with open_store(data_dir / "hearth.sqlite3") as store:
        scripts = [f for f in store.list_feeds() if f.kind == "script"]
    assert len(scripts) == 4 and all(f.url.startswith("exec:") for f in scripts)
    hearth(data_dir, "refresh", "--all", "--quiet")  # the scripts print no feed, so they fail; they ran
    assert [m for m in markers if not m.exists()] == []


def test_a_command_shown_to_the_user_cannot_hide_behind_control_characters(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sneaky.opml"
    path.write_bytes(
        b'<opml><body><outline text="t" xmlUrl="exec:rm -rf ~/x &#13;echo harmless &#x202e;"/></body></opml>'
    )
    assert hearth(data_dir, "import-opml", str(path)) == 0
    err = capsys.readouterr().err
    assert r"which would run: rm -rf ~/x \recho harmless \u202e" in err
    assert "\r" not in err and "\u202e" not in err


@pytest.mark.parametrize(
    "outline",
    [
        Outline("x", url="exec:touch /tmp/x", kind="script"),
        Outline("x", url="  EXEC:touch /tmp/x"),
        Outline("x", url="https://x.example/", kind="script"),
        Outline("f", children=(Outline("x", url="\u200bscript:touch /tmp/x"),)),
    ],
)
def test_storage_refuses_command_outlines_unless_allowed(data_dir: Path, outline: Outline) -> None:
    with open_store(data_dir / "hearth.sqlite3") as store:
        with pytest.raises(StorageError, match="runs a command"):
            store.import_outlines([Outline("ok", url="https://ok.example/"), outline])
        assert store.list_feeds() == [] and store.list_folders() == []
        assert store.import_outlines([outline], allow_commands=True)[0] == 1
