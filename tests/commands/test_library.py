"""`hearth list|show|search|mark-read|star|remove`, end to end through app.cli.run on a real database."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.cli import run
from app.models import ArticleQuery, FetchState, ParsedItem
from app.storage import open_store

NOW = datetime.now(UTC)


def _item(n: int, title: str, body: str = "", days_ago: float = 0) -> ParsedItem:
    return ParsedItem(guid=f"g{n}", url=f"https://a.example/{n}", title=title, author="Ann",
                      published=NOW - timedelta(days=days_ago), content_html=body or f"<p>Text of {title}</p>")  # fmt: skip


@pytest.fixture
def library(tmp_path: Path) -> dict:
    data = tmp_path / "data"
    data.mkdir()
    with open_store(data / "hearth.sqlite3") as store:
        tech = store.add_folder("Tech News")
        a = store.add_feed("https://a.example/feed", title="Alpha Blog", folder_id=tech.id)
        b = store.add_feed("https://b.example/feed", title="中文博客")
        a_ids = store.upsert_articles(
            a.id,
            [_item(1, "Rust 2.0 released", "<p>The <b>borrow</b> checker &amp; more.</p><p>Second para.</p>"),
             _item(2, "Old post", days_ago=30),
             _item(3, "Older post", days_ago=60)],
        ).new_ids  # fmt: skip
        b_ids = store.upsert_articles(b.id, [_item(4, "人工智能新闻", "<p>今天的中文新闻</p>")]).new_ids
        store.record_fetch(b.id, FetchState(NOW, NOW, 404, error="HTTP 404 Not Found"))
    return {"dir": str(data), "db": data / "hearth.sqlite3", "a": a.id, "b": b.id, "tech": tech.id,
            "a_ids": a_ids, "b_ids": b_ids}  # fmt: skip


def hearth(lib: dict, *argv: str) -> int:
    return run(["--data-dir", lib["dir"], *argv])


def test_list_feeds(library: dict, capsys: pytest.CaptureFixture[str]) -> None:
    assert hearth(library, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "UNREAD", "STATUS", "FOLDER", "TITLE"]
    alpha = next(line for line in lines if "Alpha Blog" in line)
    assert alpha.split()[:3] == [str(library["a"]), "3", "-"] and "  Tech News  " in alpha
    chinese = next(line for line in lines if "中文博客" in line)
    assert (
        chinese.split()[:4] == [str(library["b"]), "1", "404", "x1"]
        and "[error: HTTP 404 Not Found]" in chinese
    )
    # columns line up: every row's TITLE starts where the header's does (CJK counts double)
    assert len({line.index(word) for line, word in zip(lines, ["TITLE", "Alpha", "中文"], strict=True)}) == 1


def test_list_articles_filters(library: dict, capsys: pytest.CaptureFixture[str]) -> None:
    assert hearth(library, "list", "--articles", "--limit", "2") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "DATE", "FLAGS", "FEED", "TITLE"] and len(lines) == 3
    assert hearth(library, "list", "--articles", "--feed", str(library["a"])) == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()[1:]] == [str(i) for i in library["a_ids"]]
    assert "Alpha_Blog" in out and "人工智能" not in out
    with open_store(library["db"]) as store:
        store.mark_read([library["a_ids"][0]])
        store.star([library["a_ids"][1]])
    assert hearth(library, "list", "--articles", "--unread") == 0
    ids = [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]]
    assert str(library["a_ids"][0]) not in ids and len(ids) == 3
    assert hearth(library, "list", "--starred") == 0
    starred = capsys.readouterr().out.splitlines()[1:]
    assert len(starred) == 1 and starred[0].split()[3] == "*N"


def test_show_article(library: dict, capsys: pytest.CaptureFixture[str]) -> None:
    assert hearth(library, "show", str(library["a_ids"][0])) == 0
    out = capsys.readouterr().out
    assert "Title:  Rust 2.0 released" in out and f"Alpha Blog (feed {library['a']})" in out
    assert "Link:   https://a.example/1" in out and "Author: Ann" in out and "Status: unread" in out
    # paragraphs a blank line apart: the one html_to_text (app/text.py) that export and search use too
    assert "The borrow checker & more.\n\nSecond para." in out and "<b>" not in out


def test_search(library: dict, capsys: pytest.CaptureFixture[str]) -> None:
    assert hearth(library, "search", "borrow", "checker") == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [r.split()[0] for r in rows] == [str(library["a_ids"][0])]
    assert hearth(library, "search", "中文") == 0
    assert capsys.readouterr().out.splitlines()[1].split()[0] == str(library["b_ids"][0])
    assert hearth(library, "search", '"unbalanced AND *') == 0
    assert hearth(library, "search", "nothing-like-this") == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "no articles match" in captured.err


def test_mark_read_ids_feed_folder_older_than_and_unread(
    library: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    a_ids = library["a_ids"]
    assert hearth(library, "mark-read", str(a_ids[0])) == 0
    assert capsys.readouterr().out.strip() == "marked 1 article read"
    assert hearth(library, "mark-read", "--feed", str(library["a"]), "--older-than", "45") == 0
    assert capsys.readouterr().out.strip() == "marked 1 article read"  # only the 60-day-old post
    assert hearth(library, "mark-read", "--feed", str(library["a"]), "--unread") == 0
    assert capsys.readouterr().out.strip() == "marked 2 articles unread"
    assert hearth(library, "mark-read", "--folder", str(library["tech"])) == 0
    assert capsys.readouterr().out.strip() == "marked 3 articles read"
    with open_store(library["db"]) as store:
        assert store.unread_counts() == {library["b"]: 1}


def test_star_and_unstar(library: dict, capsys: pytest.CaptureFixture[str]) -> None:
    ids = [str(i) for i in library["a_ids"][:2]]
    assert hearth(library, "star", *ids) == 0
    assert capsys.readouterr().out.strip() == "starred 2 articles"
    assert hearth(library, "star", ids[0], "--off") == 0
    assert capsys.readouterr().out.strip() == "unstarred 1 article"
    with open_store(library["db"]) as store:
        assert store.query_ids(ArticleQuery(smart="starred")) == [library["a_ids"][1]]


def test_remove_feed(library: dict, capsys: pytest.CaptureFixture[str]) -> None:
    assert hearth(library, "remove", str(library["a"])) == 0
    assert capsys.readouterr().out.strip() == f"removed feed {library['a']} (Alpha Blog) and its 3 articles"
    with open_store(library["db"]) as store:
        assert [f.id for f in store.list_feeds()] == [library["b"]]
        assert store.count_articles(ArticleQuery()) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["show", "999"], "no article with id 999"),
        (["remove", "999"], "no feed with id 999"),
        (["star", "1", "998", "999"], "no article with id 998, 999"),
        (["mark-read", "999"], "no article with id 999"),
        (["mark-read", "--feed", "999"], "no feed with id 999"),
        (["mark-read", "--folder", "999"], "no folder with id 999"),
        (["list", "--articles", "--feed", "999"], "no feed with id 999"),
        (["mark-read", "1", "--older-than", "3"], "--older-than needs --feed or --folder"),
    ],
)
def test_unknown_ids_are_one_line_errors(
    library: dict, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert hearth(library, *argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("hearth: ") and message in err and len(err.strip().splitlines()) == 1
    with open_store(library["db"]) as store:  # and nothing changed
        assert store.smart_counts()["starred"] == 0 and store.smart_counts()["unread"] == 4


def test_empty_library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--data-dir", str(tmp_path / "new"), "list"]) == 0
    assert "no feeds yet" in capsys.readouterr().err


def test_cli_smoke_as_a_process(library: dict) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", library["dir"], "list", "--feed", str(library["a"]), "--limit", "1"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 2 and "Rust 2.0 released" in done.stdout
