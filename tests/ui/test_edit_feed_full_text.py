"""The Edit-feed dialog's full-text checkbox: it shows the stored choice and saves a change."""

from __future__ import annotations

from app.storage import open_store
from tests.ui.conftest import select_node


def _open_dialog(qtbot, ctl, feed_id: int):
    w = ctl.window
    w.dialogs.edit_feed = None
    select_node(qtbot, ctl, "feed", feed_id)
    w.library.edit_current()
    qtbot.waitUntil(lambda: w.dialogs.edit_feed is not None and w.dialogs.edit_feed.full_text.isEnabled())
    return w.dialogs.edit_feed


def test_the_checkbox_reads_and_saves_the_feeds_full_text_choice(qtbot, controller):
    ctl = controller
    feed = ctl.window.tree_model.feeds()[0]
    with open_store(ctl.paths.db_path) as store:
        store.note_teaser_feed(feed.id, True)  # detection saw teasers: automatic means on
    dialog = _open_dialog(qtbot, ctl, feed.id)
    assert dialog.full_text.isChecked() and "teaser feed" in dialog.full_text_note.text()
    dialog.accept()
    ctl.db.wait_idle()
    assert ctl.store.full_text_setting(feed.id).mode == "auto"  # untouched: nothing written

    dialog = _open_dialog(qtbot, ctl, feed.id)
    dialog.full_text.setChecked(False)
    dialog.accept()
    qtbot.waitUntil(lambda: ctl.db.wait_idle(0))
    assert ctl.store.full_text_setting(feed.id).mode == "off"

    dialog = _open_dialog(qtbot, ctl, feed.id)
    assert not dialog.full_text.isChecked() and "Chosen by you" in dialog.full_text_note.text()
    dialog.full_text.setChecked(True)
    dialog.accept()
    qtbot.waitUntil(lambda: ctl.db.wait_idle(0))
    assert ctl.store.full_text_setting(feed.id).mode == "on"
