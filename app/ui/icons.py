"""Icons from resources/icons (cached), the placeholder feed icon, and the tray icon with a count."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

from app.config import resources_dir


@cache
def icon(name: str) -> QIcon:
    """`name` is a file stem in resources/icons ("feed", "folder", "starred", ...)."""
    path = resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def app_icon() -> QIcon:
    return icon("hearth")


def tray_pixmap(unread: int, *, show_count: bool, size: int = 64) -> QPixmap:
    """The Hearth icon with the unread count painted in a badge (capped at 999+)."""
    pixmap = app_icon().pixmap(size, size)
    if not show_count or unread <= 0:
        return pixmap
    text = "999+" if unread > 999 else str(unread)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(size * (0.42 if len(text) <= 2 else 0.32)))
    painter.setFont(font)
    width = max(int(size * 0.55), painter.fontMetrics().horizontalAdvance(text) + size // 6)
    height = int(size * 0.5)
    badge = QRect(size - width, size - height, width, height)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#d9453d"))
    painter.drawRoundedRect(badge, height / 2, height / 2)
    painter.setPen(QColor("white"))
    painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return pixmap
