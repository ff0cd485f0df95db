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
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from app.config import Paths, Settings
from app.i18n import current_language, use_language
from app.language import choose_language
from app.models import Feed
from app.ui.application import install_qt_translations
from app.ui.article_model import DATE
from app.ui.feed_banner import FeedBanner
from app.ui.fonts import cjk_families, has_bold, installed_cjk_families, with_cjk_fallback
from app.ui.language_box import LanguageBox
from app.ui.model_manager import ModelManagerDialog
from app.ui.reader_view import ReaderView
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
        tree = ctl.window.tree_model
        smart = [tree.index(row, 0) for row in range(4)]
        assert [index.data() for index in smart] == ["全部文章", "未读", "收藏", "今天"]
        tips = [index.data(Qt.ItemDataRole.ToolTipRole) for index in smart]
        assert re.fullmatch(r"全部文章——[\d,]+ 篇未读", tips[0]) and tips[2].startswith("收藏的文章——已收藏 ")
    finally:
        ctl.refresher.cancel()
        ctl.refresher.wait(10)
        ctl.shutdown()


def test_reader_model_manager_and_language_choice_speak_chinese(qtbot, chinese: Path) -> None:
    reader = ReaderView(None)
    qtbot.addWidget(reader)
    assert "选择一篇文章，在这里阅读。" in reader.toPlainText()
    reader.show_welcome()
    assert reader.toPlainText().startswith("欢迎使用 Hearth") and "添加第一个订阅源" in reader.toPlainText()
    ctx = SimpleNamespace(paths=Paths(chinese), settings=Settings(chinese / "settings.json"), tasks=None)
    dialog = ModelManagerDialog(ctx)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "AI 模型" and dialog.download_button.text() == "下载"
    headers = [dialog.table.horizontalHeaderItem(c).text() for c in range(dialog.table.columnCount())]
    assert headers == ["模型", "下载", "内存（fp16 / fp32）", "适合", "状态"]
    box = LanguageBox(Settings(chinese / "settings.json", values={"ui.language": "zh_CN"}))
    qtbot.addWidget(box)
    assert box.label == "语言" and box.value() == "zh_CN"
    assert [box.combo.itemText(i) for i in range(box.combo.count())] == [
        "跟随系统语言",
        "English",
        "简体中文",
    ]
    assert box.note.isHidden()
    box.combo.setCurrentIndex(box.combo.findData("en"))
    assert box.value() == "en" and not box.note.isHidden() and "重启" in box.note.text()


def _ink(font: QFont, text: str) -> int:
    """How many pixels `text` darkens, drawn in `font` on white."""
    image = QImage(400, 80, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setFont(font)
    painter.setPen(QColor("black"))
    painter.drawText(10, 55, text)
    painter.end()
    return sum(1 for y in range(80) for x in range(400) if QColor(image.pixel(x, y)).lightness() < 128)


def test_chinese_titles_in_the_list_get_a_font_with_a_real_bold(qapp: QApplication) -> None:
    assert cjk_families("darwin")[0] == "PingFang SC" and cjk_families("win32")[0] == "Microsoft YaHei UI"
    assert cjk_families("linux")[:2] == ("Noto Sans CJK SC", "Source Han Sans SC")
    if not installed_cjk_families():
        pytest.skip("no Simplified Chinese font installed (Debian: fonts-noto-cjk)")
    font = with_cjk_fallback(QFont(qapp.font()))
    font.setPixelSize(32)
    assert font.families()[1:2] == installed_cjk_families()[:1]
    assert has_bold(font.families()[1])  # the fallback ships a bold face: Qt need not fake one
    bold = QFont(font)
    bold.setBold(True)
    regular, heavy = _ink(font, "标题加粗"), _ink(bold, "标题加粗")
    assert regular > 0 and heavy > regular * 1.2, (regular, heavy)  # a real bold face, not the regular one


def test_the_autostart_entry_carries_the_chinese_comment(tmp_path: Path) -> None:
    import shutil
    import subprocess

    from app.ui.autostart import desktop_entry

    entry = desktop_entry(["/usr/bin/hearth", "--minimised"])
    assert "\nComment=Feed reader that fetches everything itself\n" in entry  # the file stays English first
    assert "\nComment[zh_CN]=自己获取一切内容的订阅阅读器\n" in entry
    validate = shutil.which("desktop-file-validate")
    if validate:
        path = tmp_path / "hearth.desktop"
        path.write_text(entry, encoding="utf-8")
        result = subprocess.run([validate, str(path)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and "error" not in result.stdout.lower(), result.stdout


def test_the_ai_panel_list_headers_and_refresh_summary_speak_chinese(qtbot, chinese: Path) -> None:
    from app.ui.tray import new_articles_message

    ctl = make_controller(chinese, ai__enabled=True)
    qtbot.addWidget(ctl.window)
    ctl.start(show=True, schedule=False)
    try:
        wait_loaded(qtbot, ctl)
        panel = ctl.ai_panel
        assert panel is not None
        buttons = (panel.summarise_button, panel.stop_button, panel.copy_button, panel.digest_button)
        assert [b.text() for b in buttons] == ["总结", "停止", "复制摘要", "汇总未读"]
        assert [panel.mode.itemText(i) for i in range(panel.mode.count())] == ["对话", "指令", "自由续写"]
        assert panel.input.placeholderText() == "输入问题…" and panel.send_button.text() == "发送"
        model = ctl.window.list_model
        headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(1, model.columnCount())]
        assert headers == ["标题", "订阅源", "日期"]
        assert ctl.window.status.undo_button.text() == "撤销"
    finally:
        ctl.refresher.cancel()
        ctl.refresher.wait(10)
        ctl.shutdown()
    assert new_articles_message({1: ("甲", 3), 2: ("乙", 2)}) == ("2 个订阅源中有 5 篇新文章", "甲: 3\n乙: 2")
