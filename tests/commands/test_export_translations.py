"""`hearth export-rss --translations` (or --with-translations): each translated article's item gets the translated title and the
translated body above the original, from a real SQLite file holding saved translations; without the flag the
export is the original. `--to LANG` picks that language's translations, and says how many articles had none
(exported as they are) and how to make them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import feedparser

from app.ai.task_prompts import TRANSLATE_PROMPT_VERSION
from app.cli import run
from app.models import ParsedItem
from app.storage import open_store
from app.storage.summaries import Translation


def _library(data_dir: Path) -> int:
    store = open_store(data_dir / "hearth.sqlite3")
    try:
        feed = store.add_feed("http://127.0.0.1:9/f.xml", title="Rain")
        (article,) = store.upsert_articles(
            feed.id, [ParsedItem("r", "http://example.org/r", "It rained", content_html="<p>All day.</p>")]
        ).new_ids
        for part, lang, text in (("title", "zh", "下雨了"), ("body", "zh", "<p>下了一整天。</p>"),
                                 ("title", "fr", "Il a plu"), ("body", "fr", "<p>Toute la journée.</p>")):  # fmt: skip
            when = datetime(2026, 11, 30, 9 if lang == "zh" else 8, tzinfo=UTC)
            store.save_translation(
                Translation(article, part, lang, "m#1", TRANSLATE_PROMPT_VERSION, text, when)
            )
        return feed.id
    finally:
        store.close()


def _export(capsys, out: Path, *argv: str) -> feedparser.FeedParserDict:
    assert run(["export-rss", *argv, "-o", str(out)]) == 0
    assert "exported 1 article" in capsys.readouterr().out
    (entry,) = feedparser.parse(out.read_bytes()).entries
    return entry


def test_export_rss_carries_translated_titles_and_bodies(capsys, data_dir: Path, tmp_path: Path) -> None:
    feed = str(_library(data_dir))
    out = tmp_path / "rain.xml"
    plain = _export(capsys, out, "--feed", feed)
    assert plain.title == "It rained" and "下了" not in plain.content[0].value
    newest = _export(capsys, out, "--feed", feed, "--translations")  # the newest language: zh
    assert newest.title == "下雨了"
    body = newest.content[0].value
    assert body.index("下了一整天。") < body.index("It rained") < body.index("All day.")
    older = _export(capsys, out, "--feed", feed, "--with-translations", "--to", "French")  # a name works too
    assert older.title == "Il a plu"
    body = older.content[0].value
    assert body.index("Toute la journée.") < body.index("All day.") and "下了" not in body


def test_export_rss_to_a_language_counts_the_missing_and_says_how_to_make_them(
    capsys, data_dir: Path, tmp_path: Path
) -> None:
    feed = _library(data_dir)
    store = open_store(data_dir / "hearth.sqlite3")
    try:
        (plain,) = store.upsert_articles(
            feed, [ParsedItem("s", "http://example.org/s", "Sunny", content_html="<p>No rain.</p>")]
        ).new_ids
    finally:
        store.close()
    out = tmp_path / "to.xml"
    assert run(["export-rss", "--feed", str(feed), "--to", "fr", "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert "exported 2 articles" in captured.out
    assert f"1 article has no translation into fr and was exported as it is ({plain})" in captured.err
    assert "hearth translate ID --to fr" in captured.err
    entries = {e.link: e for e in feedparser.parse(out.read_bytes()).entries}
    assert entries["http://example.org/r"].title == "Il a plu"
    assert entries["http://example.org/s"].title == "Sunny"
    assert "AI translation" not in entries["http://example.org/s"].content[0].value
    assert run(["export-rss", "--feed", str(feed), "--to", "de", "-o", str(out)]) == 0  # none in German
    assert "2 articles have no translation into de" in capsys.readouterr().err
    assert run(["export-rss", "--feed", str(feed), "--to", "klingon", "-o", str(out)]) != 0
    assert "klingon" in capsys.readouterr().err  # a clear error, no traceback
