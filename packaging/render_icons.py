"""Render Hearth's SVG icon to the PNG sizes desktops expect (and .ico/.icns where Qt can write them).

`python packaging/render_icons.py OUT_DIR` writes OUT_DIR/<N>x<N>/org.hearth.Hearth.png for each size,
OUT_DIR/hearth.ico and OUT_DIR/hearth.icns; it runs Qt offscreen, so it needs no display.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
APP_ID = "org.hearth.Hearth"
SVG = Path(__file__).resolve().parent / f"{APP_ID}.svg"


def render(out: Path) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {SVG} is not a valid SVG")
    written = []
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        target = out / f"{size}x{size}" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target), "PNG"):
            raise SystemExit(f"render_icons: could not write {target}")
        written.append(target)
        if size == 256:
            for fmt, name in (("ICO", "hearth.ico"), ("ICNS", "hearth.icns")):
                if image.save(str(out / name), fmt):  # the image-format plugins Qt ships
                    written.append(out / name)
    del app
    return written


if __name__ == "__main__":
    for path in render(Path(sys.argv[1])):
        print(path)
