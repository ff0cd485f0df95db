"""Light and dark themes: a Fusion palette, the widget stylesheet and the reader's CSS colours."""

from __future__ import annotations

from dataclasses import dataclass
from string import Template

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QToolTip

from app.config import resources_dir


@dataclass(frozen=True, slots=True)
class ThemeColours:
    dark: bool
    text: str
    base: str
    window: str
    sidebar: str
    muted: str
    link: str
    rule: str
    code: str
    highlight: str
    accent: str = "#e8672c"


LIGHT = ThemeColours(
    dark=False,
    text="#1f2328",
    base="#ffffff",
    window="#f3f4f6",
    sidebar="#f5f6f8",
    muted="#6a737d",
    link="#1f6fd1",
    rule="#dcdfe4",
    code="#f2f3f5",
    highlight="#d5e6fb",
)
DARK = ThemeColours(
    dark=True,
    text="#e6e8eb",
    base="#1e2024",
    window="#26292e",
    sidebar="#22252a",
    muted="#9aa3ad",
    link="#6cb2ff",
    rule="#3a3f46",
    code="#2b2f35",
    highlight="#2f4a6b",
)


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def colours_for(mode: str) -> ThemeColours:
    """`mode` is the ui.theme setting: "light", "dark" or "system"."""
    if mode == "dark":
        return DARK
    if mode == "light":
        return LIGHT
    return DARK if system_prefers_dark() else LIGHT


def build_palette(c: ThemeColours) -> QPalette:
    pal = QPalette()
    role = QPalette.ColorRole
    pal.setColor(role.Window, QColor(c.window))
    pal.setColor(role.WindowText, QColor(c.text))
    pal.setColor(role.Base, QColor(c.base))
    pal.setColor(role.AlternateBase, QColor(c.sidebar))
    pal.setColor(role.Text, QColor(c.text))
    pal.setColor(role.Button, QColor(c.window))
    pal.setColor(role.ButtonText, QColor(c.text))
    pal.setColor(role.ToolTipBase, QColor(c.base))
    pal.setColor(role.ToolTipText, QColor(c.text))
    pal.setColor(role.PlaceholderText, QColor(c.muted))
    pal.setColor(role.Highlight, QColor(c.highlight))
    pal.setColor(role.HighlightedText, QColor(c.text))
    pal.setColor(role.Link, QColor(c.link))
    pal.setColor(role.BrightText, QColor("#ff5555"))
    for group in (QPalette.ColorGroup.Disabled,):
        pal.setColor(group, role.Text, QColor(c.muted))
        pal.setColor(group, role.WindowText, QColor(c.muted))
        pal.setColor(group, role.ButtonText, QColor(c.muted))
    return pal


def widget_stylesheet(c: ThemeColours) -> str:
    text = (resources_dir() / "qss" / "base.qss").read_text(encoding="utf-8")
    return Template(text).safe_substitute(_values(c))


def reader_css(c: ThemeColours, font_px: int = 15) -> str:
    text = (resources_dir() / "article" / "reader.css").read_text(encoding="utf-8")
    return Template(text).safe_substitute(_values(c), font_px=str(font_px))


def web_reader_css(c: ThemeColours, font_px: int = 16) -> str:
    """The web reader's stylesheet (resources/article/web.css) for these colours and reading size."""
    text = (resources_dir() / "article" / "web.css").read_text(encoding="utf-8")
    values = dict(_values(c), scheme="dark" if c.dark else "light", font_px=str(font_px))
    return Template(text).safe_substitute(values)


STYLE = "Fusion"  # every theme's widget style: the themes differ in palette and stylesheet only
STYLE_SET = "hearthStyleSet"  # the application property saying STYLE is set (make_application sets it)


def apply_theme(app: QApplication, mode: str) -> ThemeColours:
    """Style the whole application for `mode`; returns the colours chosen (the reader needs them)."""
    colours = colours_for(mode)
    if not app.property(STYLE_SET):  # once (the window's QApplication has it from its arguments)
        app.setStyle(STYLE)
        app.setProperty(STYLE_SET, True)
    palette = build_palette(colours)
    app.setPalette(palette)
    QToolTip.setPalette(palette)  # tooltips (and the tray balloon) keep their own palette otherwise
    app.setStyleSheet(widget_stylesheet(colours))
    return colours


def _values(c: ThemeColours) -> dict[str, str]:
    return {
        "text": c.text,
        "base": c.base,
        "window": c.window,
        "sidebar": c.sidebar,
        "muted": c.muted,
        "link": c.link,
        "rule": c.rule,
        "code": c.code,
        "highlight": c.highlight,
        "accent": c.accent,
    }
