"""The window in Chinese: Qt's own dialogs from the .qm files PySide6 ships, Hearth's tray and feed
banner from the zh_CN catalogue, and the article list's dates — with the language chosen from the
profile's `ui.language` setting as `hearth` does at start."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from app.i18n import current_language, use_language
from app.language import choose_language
from app.models import Feed
from app.ui.application import install_qt_translations
from app.ui.article_model import DATE
from app.ui.feed_banner import FeedBanner
from app.ui.tray import TrayIcon
from tests.ui.conftest import make_controller, wait_loaded

LONG_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日 星期[一二三四五六日] \d\d:\d\d")
LIST_DATE = re.compile(r"(\d{4}年)?\d{1,2}月\d{1,2}日$|\d\d:\d\d$")


@pytest.fixture
def chinese(qapp: QApplication, sample_dir: Path) -> Iterator[Path]:
    """The sample profile with ui.language = zh_CN, chosen and installed as run_app does; English after."""
    settings = sample_dir / "settings.json"
    values = json.loads(settings.read_text(encoding="utf-8")) if settings.exists() else {}
    settings.write_text(json.dumps({**values, "ui.language": "zh_CN"}), encoding="utf-8")
    language = choose_language(settings, env={"LANG": "C.UTF-8"})
    install_qt_translations(qapp, language)
    yield sample_dir
    install_qt_translations(qapp, "en")
    use_language("en")


def _button_texts(box: QDialogButtonBox) -> set[str]:
    return {button.text() for button in box.buttons()}


def test_qt_dialogs_use_the_translations_pyside6_ships(qtbot, chinese: Path) -> None:
    assert current_language() == "zh_CN"
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
    qtbot.addWidget(buttons)
    assert _button_texts(buttons) == {"保存", "取消"}
    box = QMessageBox(
        QMessageBox.Icon.Question, "t", "?", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    )
    qtbot.addWidget(box)
    assert {b.text() for b in box.buttons()} == {"是(&Y)", "否(&N)"}


def test_qt_translations_go_back_to_english(qtbot, qapp: QApplication) -> None:
    assert install_qt_translations(qapp, "zh_CN")
    assert install_qt_translations(qapp, "en") == []
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    qtbot.addWidget(buttons)
    assert _button_texts(buttons) == {"Cancel"}


def test_tray_and_banner_speak_chinese(qtbot, chinese: Path) -> None:
    tray = TrayIcon()
    assert [a.text() for a in tray.menu.actions() if a.text()] == [
        "打开 Hearth",
        "全部刷新",
        "暂停刷新",
        "退出",
    ]
    tray.set_paused(True)
    assert tray.pause_action.text() == "继续刷新"
    tray.set_unread(3)
    assert tray.tray.toolTip() == "Hearth——3 篇未读"
    banner = FeedBanner(lambda feed_id: None, lambda: None)
    qtbot.addWidget(banner)
    feed = Feed(id=7, url="https://example.org/feed.xml", title="Ex", consecutive_errors=3, last_error="boom")
    banner.show_for(SimpleNamespace(kind="feed", feed=feed, badge="error", tooltip=""))
    assert banner.title.text() == "此订阅源无法刷新（已连续失败 3 次）：boom"
    assert banner.detail.text().endswith("地址：https://example.org/feed.xml")
    assert banner.retry_button.text() == "重试" and banner.edit_button.text() == "修改地址…"


def test_the_window_shows_dates_in_chinese(qtbot, chinese: Path) -> None:
    ctl = make_controller(chinese)
    qtbot.addWidget(ctl.window)
    ctl.start(show=True, schedule=False)
    try:
        wait_loaded(qtbot, ctl)
        model = ctl.window.list_model
        qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=5000)
        tips = [
            model.data(model.index(row, DATE), Qt.ItemDataRole.ToolTipRole) for row in range(model.rowCount())
        ]
        dated = [tip for tip in tips if tip]
        assert dated and all(LONG_DATE.match(tip) for tip in dated), dated[:3]
        shown = [model.data(model.index(row, DATE)) for row in range(model.rowCount())]
        assert all(LIST_DATE.match(text) for text in shown if text), shown[:3]
    finally:
        ctl.refresher.cancel()
        ctl.refresher.wait(10)
        ctl.shutdown()
