"""Render the golden screenshots from the real window on a generated profile, under a real X server.

    QTWEBENGINE_CHROMIUM_FLAGS=--no-sandbox xvfb-run -s "-screen 0 1920x1080x24" \
        python docs/screenshots/make_screenshots.py

The profile is the sample library plus the reader corpus (tests/fixtures/reader) with its images served
by a local HTTP server, a podcast episode and a broken feed. Writes, for light and dark:
`{theme}-{800x600,1280x800,1920x1080}.png` (an article with wide images), `{theme}-1280x800-{scene}.png`
for code, table, cjk, rtl, embeds, podcast, broken-feed, ai-panel and compact (the list's one-line rows), and `main-{theme}.png` for the
README. Captured from the X screen (QScreen.grabWindow), which includes the QtWebEngine view.

With `--lang zh_CN` (issue 16) the interface is in that language (ui.language, Qt's own translations, the
CJK font fallback) and it writes `zh_CN-main-{theme}.png`, `zh_CN-ai-panel.png`,
`zh_CN-error-banner.png`, `zh_CN-settings.png` and `zh_CN-settings-ai.png` (the dialog over the window) at
1280x800 instead.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QPointF
from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter
from PySide6.QtWidgets import QApplication, QTabWidget

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.config import Paths, Settings  # noqa: E402
from app.i18n import use_language  # noqa: E402
from app.models import Enclosure, FetchState, ParsedItem  # noqa: E402
from app.storage import open_store  # noqa: E402
from app.ui.application import install_qt_translations, make_application  # noqa: E402
from app.ui.controller import AppController  # noqa: E402
from app.ui.fonts import apply_cjk_fallback  # noqa: E402
from tests.support.http import LocalServer, Reply  # noqa: E402
from tests.ui.sample_profile import NOW, build_sample  # noqa: E402

OUT = Path(__file__).resolve().parent
CORPUS = ROOT / "tests" / "fixtures" / "reader"
SIZES = ((800, 600), (1280, 800), (1920, 1080))
SCENES = ("code", "table", "cjk", "rtl", "embeds", "podcast", "broken-feed", "ai-panel")
TITLES = {
    "wide_images": "A photo essay: the coast at dawn",
    "code": "Profiling a Python hot loop",
    "table": "Small language models compared",
    "blockquote": "On plain text",
    "cjk": "本地人工智能如何改变新闻阅读",
    "rtl": "مرحبا بكم في هيرث",
    "embeds": "Conference talk: local-first software",
    "remote": "One small picture",
}


def picture(width: int, height: int) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    gradient = QLinearGradient(QPointF(0, 0), QPointF(width, height))
    gradient.setColorAt(0, QColor("#f6a35c"))
    gradient.setColorAt(1, QColor("#3b6ea8"))
    painter.fillRect(image.rect(), gradient)
    painter.setPen(QColor("white"))
    painter.drawText(image.rect(), 0x84, f"{width} × {height}")  # AlignCenter
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


def build_profile(data_dir: Path, server: LocalServer) -> dict[str, int]:
    build_sample(data_dir / "hearth.sqlite3")
    ids: dict[str, int] = {}
    with open_store(data_dir / "hearth.sqlite3") as store:
        feed = store.add_feed(server.url("/corpus.xml"), title="Reader corpus")
        items = [
            ParsedItem(
                guid=name,
                url=server.url(f"/post/{name}"),
                title=TITLES.get(name, name),
                author="Hearth tests",
                published=NOW - timedelta(minutes=n),
                content_html=(CORPUS / f"{name}.html").read_text(encoding="utf-8"),
            )
            for n, name in enumerate(sorted(TITLES))
        ]
        items.append(
            ParsedItem(
                guid="podcast",
                url=server.url("/post/podcast"),
                title="Episode 42: feeds that last",
                author="The Hearth Show",
                published=NOW - timedelta(minutes=30),
                content_html="<p>We talk about RSS, OPML and why plain feeds keep working.</p>",
                enclosures=(
                    Enclosure(server.url("/img/cover.png"), "image/png"),
                    Enclosure(server.url("/episode42.mp3"), "audio/mpeg", 48_000_000),
                ),
            )
        )
        result = store.upsert_articles(feed.id, items)
        for item, article_id in zip(items, result.new_ids, strict=True):
            ids[item.guid] = article_id
        ids["corpus_feed"] = feed.id
        broken = store.add_feed("https://gone.example/feed.xml", title="A feed that moved")
        when = datetime(2026, 11, 20, 8, tzinfo=UTC)
        for _ in range(3):
            store.record_fetch(broken.id, FetchState(when, when, 404, error="HTTP 404 Not Found"))
        ids["broken_feed"] = broken.id
    return ids


class Shooter:
    def __init__(self, app: QApplication, controller: AppController, ids: dict[str, int]) -> None:
        self.app, self.ctl, self.ids = app, controller, ids
        self.w = controller.window
        self.wanted = (0, 0)

    def settle(
        self, seconds: float = 0.3, until: Callable[[], bool] | None = None, limit: float = 15.0
    ) -> None:
        end = time.monotonic() + limit
        quiet = time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.processEvents()
            time.sleep(0.01)
            if time.monotonic() >= quiet and (until is None or until()):
                return

    def page_ready(self) -> bool:
        web = self.w.reader.web
        if web is None or not web.loaded:
            return False
        answer: list[object] = []
        web.evaluate("Array.from(document.images).every(i => i.complete)", answer.append)
        end = time.monotonic() + 2
        while not answer and time.monotonic() < end:
            self.app.processEvents()
        return bool(answer and answer[0])

    def open(self, guid: str) -> None:
        w = self.w
        w.tree.setCurrentIndex(w.tree_model.index_of("feed", self.ids["corpus_feed"]))
        self.settle(0.2)
        row = w.list_model.row_of(self.ids[guid])
        assert row is not None, guid
        w.select_row(row)
        self.settle(0.4, self.page_ready)

    def size(self, width: int, height: int) -> None:
        self.wanted = (width, height)
        self.w.resize(width, height)
        self.w.move(0, 0)
        self.settle(0.4, lambda: self.w.width() == width)

    def save(self, name: str) -> None:
        self.settle(0.5, self.page_ready)
        if (self.w.width(), self.w.height()) != self.wanted:  # e.g. a panel's minimum grew the window
            raise SystemExit(f"{name}: the window is {self.w.width()}x{self.w.height()}, not {self.wanted}")
        screen = self.w.screen()
        screen.grabWindow(self.w.winId()).save(str(OUT / f"{name}.png"))
        print("wrote", name)


def shoot(app: QApplication, theme: str, data_dir: Path, ids: dict[str, int]) -> None:
    settings = Settings.load(data_dir / "settings.json")
    settings.set("ui.theme", theme)
    settings.set("ai.enabled", True)
    controller = AppController(Paths(data_dir), settings, tray_available=False)
    shooter = Shooter(app, controller, ids)
    controller.start(show=True, schedule=False)
    controller.db.wait_idle()
    shooter.settle(1.0, lambda: controller.window.reader.web is not None)
    for width, height in SIZES:
        shooter.size(width, height)
        shooter.open("wide_images")
        shooter.save(f"{theme}-{width}x{height}")
        if (width, height) == (1280, 800):
            shooter.save(f"main-{theme}")
    shooter.size(1280, 800)
    for scene in SCENES:
        w = controller.window
        if scene == "broken-feed":
            w.tree.setCurrentIndex(w.tree_model.index_of("feed", ids["broken_feed"]))
            shooter.settle(0.5)
        elif scene == "ai-panel":
            shooter.open("blockquote")
            w.set_side_panel_visible(True)
            shooter.settle(0.6)
        else:
            shooter.open(scene)
        shooter.save(f"{theme}-1280x800-{scene}")
    w = controller.window
    w.list.set_compact(True)  # the list's compact mode (View > Compact list), one line per article
    shooter.open("wide_images")
    shooter.save(f"{theme}-1280x800-compact")
    w.list.set_compact(False)
    shooter.size(800, 600)
    shooter.open("code")
    shooter.save(f"{theme}-800x600-ai-panel")
    w.set_side_panel_visible(False)
    controller.shutdown()
    w.hide()
    w.deleteLater()


def shoot_language(app: QApplication, language: str, theme: str, data_dir: Path, ids: dict[str, int]) -> None:
    """The main window (both themes), and in light the AI panel, Settings and a feed's error banner."""
    settings = Settings.load(data_dir / "settings.json")
    settings.set("ui.theme", theme)
    settings.set("ui.language", language)
    settings.set("ai.enabled", True)
    controller = AppController(Paths(data_dir), settings, tray_available=False)
    shooter = Shooter(app, controller, ids)
    controller.start(show=True, schedule=False)
    controller.db.wait_idle()
    shooter.settle(1.0, lambda: controller.window.reader.web is not None)
    w = controller.window
    shooter.size(1280, 800)
    shooter.open("cjk")
    shooter.save(f"{language}-main-{theme}")
    if theme == "light":
        w.set_side_panel_visible(True)
        shooter.settle(0.6)
        shooter.save(f"{language}-ai-panel")
        w.set_side_panel_visible(False)
        w.tree.setCurrentIndex(w.tree_model.index_of("feed", ids["broken_feed"]))
        shooter.settle(0.5)
        shooter.save(f"{language}-error-banner")
        w.library.open_settings()
        dialog = w.dialogs.settings
        tabs = dialog.findChild(QTabWidget)
        for index, name in ((0, "settings"), (tabs.count() - 1, "settings-ai")):
            tabs.setCurrentIndex(index)
            dialog.adjustSize()
            dialog.move(w.x() + (1280 - dialog.width()) // 2, w.y() + (800 - dialog.height()) // 3)
            shooter.settle(0.8)
            shot = w.screen().grabWindow(0, 0, 0, 1280, 800)  # the screen: the dialog over the window
            shot.save(str(OUT / f"{language}-{name}.png"))
            print("wrote", f"{language}-{name}")
        dialog.reject()
    controller.shutdown()
    w.hide()
    w.deleteLater()


def main() -> int:
    app = make_application([])
    language = sys.argv[sys.argv.index("--lang") + 1] if "--lang" in sys.argv else ""
    if language:
        use_language(language)
        install_qt_translations(app, language)
        apply_cjk_fallback(app)
    with LocalServer() as server, tempfile.TemporaryDirectory() as tmp:
        for name, (w, h) in {"wide-800.png": (800, 400), "wide-1600.png": (1600, 900), "small.png": (120, 80),
                             "cover.png": (900, 500)}.items():  # fmt: skip
            server.route(f"/img/{name}", Reply(200, picture(w, h), {"Content-Type": "image/png"}))
        for theme in ("light", "dark"):
            data_dir = Path(tmp) / theme
            data_dir.mkdir()
            ids = build_profile(data_dir, server)
            if language:
                shoot_language(app, language, theme, data_dir, ids)
            else:
                shoot(app, theme, data_dir, ids)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
