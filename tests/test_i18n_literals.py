"""No English text reaches the screen unwrapped: an ast scan for string literals handed to Qt's text setters
and constructors (setText, setToolTip, QAction, QLabel, addMenu, addRow ...) that are not `_()` /
`ngettext()` / `lazy_gettext()` calls. The converted modules must be clean; `python -m tests.test_i18n_literals`
prints the count per file for the whole of app/ (what is left to convert)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT_CALLS = {
    *("setText", "setToolTip", "setWindowTitle", "setPlaceholderText", "setStatusTip", "setWhatsThis"),
    *("setTitle", "setLabelText", "setInformativeText", "setDetailedText", "setHeaderLabels"),
    *("setHorizontalHeaderLabels", "setTabText", "setItemText", "setSuffix", "setPrefix"),
    *("setSpecialValueText", "setAccessibleName", "setButtonText", "setHtml", "showMessage", "showText"),
    *("show_message", "_notify", "_end"),  # Hearth's own status-bar and notification helpers
    *("addMenu", "addAction", "addTab", "insertTab", "addItem", "addRow", "addButton", "notify"),
    *("QAction", "QLabel", "QPushButton", "QCheckBox", "QRadioButton", "QGroupBox", "QMenu", "QToolButton"),
    *("information", "warning", "critical", "question", "getText", "getItem"),
    *("getOpenFileName", "getSaveFileName", "getExistingDirectory"),
}
TEXT_KEYWORDS = {"text", "title", "toolTip", "statusTip", "placeholderText"}
LOGGERS = {"log", "logger", "logging", "warnings"}
FILE_DIALOGS = {"getOpenFileName", "getSaveFileName", "getExistingDirectory"}
# the modules whose visible strings all go through the catalogue (issue 16); a module joins when converted
CONVERTED = [
    *("app/ui/application.py", "app/ui/autostart.py", "app/ui/challenge.py", "app/ui/feed_banner.py"),
    *("app/ui/feed_status.py", "app/ui/feed_tree_model.py", "app/ui/feed_tree_view.py"),
    *("app/ui/language_box.py", "app/ui/model_manager.py", "app/ui/reader_html.py", "app/ui/reader_pane.py"),
    *("app/ui/reader_view.py", "app/ui/signin.py", "app/ui/single_instance.py", "app/ui/tray.py"),
    *("app/ui/web_reader.py", "app/ui/main_window.py", "app/ui/window_actions.py", "app/ui/window_menus.py"),
    *("app/ui/list_scope.py",),
    *("app/ui/window_parts.py", "app/ui/library_actions.py", "app/ui/list_actions.py"),
    *("app/ui/library_files.py",),
    *(
        "app/ui/ai_actions.py",
        "app/ui/ai_mount.py",
        "app/ui/ai_panel.py",
        "app/ui/ai_summary_box.py",
        "app/ui/ai_chat_box.py",
        "app/ui/ask_dialog.py",
        "app/ui/briefing_view.py",
    ),
    *("app/ui/controller.py", "app/ui/layout.py", "app/ui/read_ahead_view.py", "app/ui/status_line.py"),
    *("app/ui/title_translation.py", "app/ui/translate_view.py", "app/ui/article_model.py"),
    *("app/ui/markdown_view.py", "app/ui/marking.py", "app/ui/navigation.py"),
    *(f"app/ui/dialogs/{p.name}" for p in sorted((ROOT / "app" / "ui" / "dialogs").glob("*.py"))),
]


def _is_english(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return any(ch.isalpha() for ch in node.value)
    if isinstance(node, ast.JoinedStr):
        return any(
            isinstance(v, ast.Constant) and any(ch.isalpha() for ch in str(v.value)) for v in node.values
        )
    if isinstance(node, ast.BinOp):  # "a" + _("b"): the literal half is still English
        return _is_english(node.left) or _is_english(node.right)
    return False


def unwrapped_literals(path: Path) -> list[tuple[int, str]]:
    """(line, source) of every English literal passed as text to a Qt text call in `path`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name not in TEXT_CALLS:
            continue
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in LOGGERS:
            continue
        args = list(node.args)
        if name == "notify":
            args = args[:2]  # notify(title, message, kind): the kind is a key, no text
        elif name == "addItem" and len(args) >= 2:
            args = args[:-1]  # addItem(text, data) / addItem(icon, text, data): the data is no text
        elif name in FILE_DIALOGS:
            args = args[1:2] + args[3:4]  # (parent, caption, directory or file name, filter)
        args += [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        found += [(node.lineno, ast.unparse(a)[:80]) for a in args if _is_english(a)]
    return found


def test_the_scan_finds_what_it_should(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from app.i18n import _\n"
        "label.setText(_('fine'))\n"
        "log.warning('a log line is no UI')\n"
        "label.setText('Plain English')\n"  # 4
        "menu.addAction(f'Open {name}')\n"  # 5
        "QLabel(text='Hello')\n"  # 6
        "button.setToolTip('Press ' + _('me'))\n"  # 7
        "combo.addItem(_('System'), 'system')\n"
        "tray.notify(_('Ready'), _('Read it'), 'briefing')\n"
        "label.setText('▶ 42')\n"
        "label.setText(name)\n"
        "window.show_message('Saved')\n",  # 12
        encoding="utf-8",
    )
    assert [line for line, _text in unwrapped_literals(sample)] == [4, 5, 6, 7, 12]


def test_converted_modules_pass_qt_no_english_literal() -> None:
    offenders = {name: unwrapped_literals(ROOT / name) for name in CONVERTED}
    offenders = {name: hits for name, hits in offenders.items() if hits}
    assert offenders == {}, "wrap these in _() (app.i18n), then update the catalogue"


def main() -> int:
    total = 0
    for path in sorted((ROOT / "app").rglob("*.py")):
        hits = unwrapped_literals(path)
        if hits:
            total += len(hits)
            print(f"{len(hits):4d}  {path.relative_to(ROOT).as_posix()}")
    print(f"{total:4d}  in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
