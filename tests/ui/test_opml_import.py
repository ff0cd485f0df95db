"""Importing OPML through the window: a file's command outlines are shown and asked about (default no),
a refresh afterwards runs only what the user said yes to, and what was skipped is shown."""

from __future__ import annotations

import html
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.storage import open_store
from tests.support.http import Reply
from tests.ui.conftest import make_controller

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Real</title><link>https://r.example/</link>
<item><guid>r1</guid><title>One</title><link>https://r.example/1</link></item></channel></rss>"""
SPELLINGS = (
    'hearth:kind="script" xmlUrl="exec:{cmd}"',
    'xmlUrl="exec:{cmd}"',
    'type="rss" xmlUrl="  EXEC:{cmd}"',
)


def _touch(marker: Path) -> str:
    line = shlex.join(
        [sys.executable, "-c", "import pathlib, sys; pathlib.Path(sys.argv[1]).touch()", str(marker)]
    )
    return html.escape(line, quote=True)


@pytest.fixture
def hostile(tmp_path: Path, server) -> tuple[Path, list[Path]]:
    server.route("/feed.xml", Reply(200, body=RSS, headers={"Content-Type": "application/rss+xml"}))
    markers = [tmp_path / f"ran-{n}" for n in range(len(SPELLINGS))]
    outlines = "".join(
        f'<outline text="Tool {n}" {spelling.format(cmd=_touch(marker))}/>'
        for n, (spelling, marker) in enumerate(zip(SPELLINGS, markers, strict=True))
    )
    path = tmp_path / "downloaded.opml"
    path.write_text(
        '<?xml version="1.0"?><opml version="2.0" xmlns:hearth="https://hearth.invalid/ns/opml/1.0"><body>'
        f'<outline text="Real" xmlUrl="{server.url("/feed.xml")}"/><outline text="Tools">{outlines}</outline>'
        "</body></opml>",
        encoding="utf-8",
    )
    return path, markers


@pytest.fixture
def fresh(qtbot, data_dir: Path) -> Iterator[object]:
    ctl = make_controller(data_dir)
    qtbot.addWidget(ctl.window)
    ctl.start(show=True, schedule=False)
    yield ctl
    ctl.refresher.cancel()
    ctl.refresher.wait(10)
    ctl.shutdown()


def _open_question(qtbot, ctl, path: Path):
    dialogs = ctl.window.dialogs
    ctl.window.library.import_opml(str(path))
    qtbot.waitUntil(
        lambda: dialogs.script_outlines is not None and dialogs.script_outlines.isVisible(), timeout=5000
    )
    return dialogs.script_outlines


def _feeds(ctl) -> list[tuple[str, str]]:
    with open_store(ctl.paths.db_path) as store:
        return sorted((f.kind, f.url) for f in store.list_feeds())


def test_the_window_shows_each_command_and_enter_means_no(qtbot, fresh, hostile, server) -> None:
    ctl, (path, markers) = fresh, hostile
    dialog = _open_question(qtbot, ctl, path)
    shown = [dialog.commands.item(i).text() for i in range(dialog.commands.count())]
    assert len(shown) == 3
    for n, (text, marker) in enumerate(zip(shown, markers, strict=True)):
        assert text.startswith(f"Tool {n}:") and text.endswith(str(marker))
    assert dialog.skip_button.isDefault() and not dialog.add_button.isDefault()
    with qtbot.waitSignal(ctl.refresher.finished, timeout=30000) as finished:
        qtbot.keyClick(dialog, Qt.Key.Key_Return)  # the default answer
    assert finished.args[0].done == 1
    assert _feeds(ctl) == [("feed", server.url("/feed.xml"))]
    assert "/feed.xml" in [r.path for r in server.requests]  # the refresh ran
    assert [m for m in markers if m.exists()] == []
    notes = ctl.window.dialogs.import_notes
    assert notes is not None and "3 skipped" in notes.text()
    assert notes.detailedText().count("Not added (runs a command): Tool") == 3


def test_escape_also_declines(qtbot, fresh, hostile) -> None:
    ctl, (path, markers) = fresh, hostile
    dialog = _open_question(qtbot, ctl, path)
    with qtbot.waitSignal(ctl.refresher.finished, timeout=30000):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert [kind for kind, _ in _feeds(ctl)] == ["feed"]
    assert [m for m in markers if m.exists()] == []


def test_saying_yes_adds_the_commands_and_the_refresh_runs_them(qtbot, fresh, hostile) -> None:
    ctl, (path, markers) = fresh, hostile
    dialog = _open_question(qtbot, ctl, path)
    with qtbot.waitSignal(ctl.refresher.finished, timeout=30000) as finished:
        qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert finished.args[0].done == 4
    assert sorted(kind for kind, _ in _feeds(ctl)) == ["feed", "script", "script", "script"]
    assert [m for m in markers if not m.exists()] == []
    assert ctl.window.dialogs.import_notes is None  # nothing was skipped


def test_a_malformed_file_is_imported_with_a_note_of_what_was_skipped(qtbot, fresh, tmp_path: Path) -> None:
    ctl = fresh
    ctl.refresh = lambda ids=None: None  # the feeds' hosts are not real
    path = tmp_path / "messy.opml"
    path.write_bytes(
        b'<opml version="1.0"><body><outline text="News">'
        b'<outline text="A" description="Jen "quoted" <p>" xmlUrl="https://a.example/rss?x=1&y=2"/>'
        b'<outline text="B" type="rss"/></outline></body></opml>'
    )
    dialogs = ctl.window.dialogs
    ctl.window.library.import_opml(str(path))
    qtbot.waitUntil(
        lambda: dialogs.import_notes is not None and dialogs.import_notes.isVisible(), timeout=5000
    )
    assert dialogs.script_outlines is None
    details = dialogs.import_notes.detailedText()
    assert "read leniently" in details and "Skipped line 1: outline 'B' has no xmlUrl" in details
    assert _feeds(ctl) == [("feed", "https://a.example/rss?x=1&y=2")]
    qtbot.waitUntil(lambda: len(ctl.window.tree_model.feeds()) == 1, timeout=5000)


def test_the_question_spells_out_invisible_characters(qtbot) -> None:
    from app.models import Outline
    from app.ui.dialogs.opml_import import ScriptOutlinesDialog

    sneaky = Outline("news\u202e", url="exec:rm -rf ~/x \recho harmless", kind="script")
    dialog = ScriptOutlinesDialog([sneaky])
    qtbot.addWidget(dialog)
    assert dialog.commands.item(0).text() == r"news\u202e:  rm -rf ~/x \recho harmless"
