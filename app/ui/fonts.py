"""Chinese text in Qt's widgets (the feed tree, the article list, dialogs): the platform's Simplified Chinese
UI font as the fallback after the system font, picked from the families that have a real bold face, so a
bold (unread) title in Chinese is bold and not a regular face Qt found by itself."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

from PySide6.QtGui import QFont, QFontDatabase, QFontInfo
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

# each platform's Simplified Chinese UI fonts, best first (the reader's CSS, app/resources/article, says the same)
CJK_FAMILIES = {
    "darwin": ("PingFang SC", "Hiragino Sans GB", "Heiti SC"),
    "win32": ("Microsoft YaHei UI", "Microsoft YaHei", "DengXian", "SimHei"),
    "linux": (
        "Noto Sans CJK SC",
        "Source Han Sans SC",
        "Noto Sans SC",
        "WenQuanYi Micro Hei",
        "WenQuanYi Zen Hei",
    ),
}


def cjk_families(platform: str = sys.platform) -> tuple[str, ...]:
    """The Chinese UI fonts to try on `platform` (sys.platform's names; other Unixes as Linux)."""
    if platform.startswith("linux") or platform.startswith("freebsd") or platform not in CJK_FAMILIES:
        return CJK_FAMILIES["linux"]
    return CJK_FAMILIES[platform]


def has_bold(family: str) -> bool:
    """Whether `family` ships a bold face (not one Qt would synthesise)."""
    return any(
        QFontDatabase.weight(family, style) >= QFont.Weight.Bold for style in QFontDatabase.styles(family)
    )


def installed_cjk_families(candidates: Iterable[str] | None = None) -> list[str]:
    """The installed candidates, those with a bold face first (each keeps its order)."""
    names = set(QFontDatabase.families())
    found = [f for f in (cjk_families() if candidates is None else candidates) if f in names]
    return sorted(found, key=lambda family: not has_bold(family))


def with_cjk_fallback(font: QFont, candidates: Iterable[str] | None = None) -> QFont:
    """`font` with the installed Chinese UI font after its own family (Latin text keeps the system font)."""
    cjk = installed_cjk_families(candidates)
    if not cjk:
        return font
    own = QFontInfo(font).family()  # the real family: "Sans Serif" is an alias Qt would not fall back from
    result = QFont(font)
    result.setFamilies([own, *[f for f in cjk if f != own]])
    return result


def apply_cjk_fallback(app: QApplication) -> list[str]:
    """Give the application font its Chinese fallback; returns the families now in use."""
    font = with_cjk_fallback(app.font())
    app.setFont(font)
    log.debug("application font families: %s", font.families())
    return list(font.families())
