"""`hearth` with no subcommand: one instance per data dir, the QApplication, the controller, the event loop.

HEARTH_BENCH_EXIT_AFTER_PAINT=<idle seconds> (read when run_app runs, for tests/bench/bench_gui.py):
after the first paint print a JSON line (time to paint, whether torch is loaded, RSS), wait that many
idle seconds, print the idle RSS and quit.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import MutableMapping
from typing import Any

from PySide6 import QtWidgets
from PySide6.QtCore import QCoreApplication, QEvent, QLibraryInfo, QObject, Qt, QTimer, QTranslator
from PySide6.QtWidgets import QApplication

from app.config import Paths, Settings
from app.errors import HearthError
from app.i18n import SOURCE_LANGUAGE, _
from app.language import choose_language
from app.ui.fonts import apply_cjk_fallback
from app.ui.icons import app_icon
from app.ui.pyside_signatures import support_from_files, unpack_later
from app.ui.single_instance import InstanceLock, InstanceServer, raise_running_instance
from app.ui.theme import STYLE, STYLE_SET

log = logging.getLogger(__name__)

BENCH_ENV = "HEARTH_BENCH_EXIT_AFTER_PAINT"
BENCH_T0_ENV = "HEARTH_BENCH_T0"
BENCH_ARTICLE_ENV = (
    "HEARTH_BENCH_SHOW_ARTICLE"  # =1: after the paint, open the first article in the web reader
)
GIL_SWITCH_INTERVAL_S = 0.002
# Chromium switches for the web reader. --no-unsandboxed-zygote: Chromium keeps a second zygote only to
# start unsandboxed helpers (a GPU or network process), and QtWebEngine runs both in-process, so it never
# starts one; it cost ~9 MB of the process tree (bench_reader_memory). Children that would use it start by
# fork and exec instead. Chromium meant the switch for memory-tight devices (Cast); its caveat, binaries
# replaced on disk while the browser runs, concerns only such children. Never --no-sandbox here.
CHROMIUM_SWITCHES = ("--no-unsandboxed-zygote",)
CHROMIUM_FLAGS_ENV = "QTWEBENGINE_CHROMIUM_FLAGS"
# not needed to show the window (the bench's report lists those loaded; tests/ui/test_startup_imports.py):
# the refresh's parsers and pool, full text, the AI's Markdown, model and panel (built after the paint),
# every site source and command module, httpx's CLI; nor lxml, asyncio or httpx (favicons download after
# the paint; an icon in the disk cache shows at once)
NOT_FOR_FIRST_PAINT = (
    "feedparser",
    "multiprocessing",
    "trafilatura",
    "markdown_it",
    "numpy",
    "torch",
    "click",
    "pygments",
    "app.sources.registry",
    "app.commands.library",
    "app.ui.ai_panel",
    "lxml",
    "asyncio",
    "httpx",
    "PySide6.QtNetwork",
)
# PySide6 classes the first paint does without: PySide6 makes a class's Python type and its enums (~1 ms
# to ~25 ms) when Python first touches it. QStyle (a delegate reading option.state, setStyle's result),
# dialogs imported at module level, and QMdiSubWindow and QWizard, made only when Python first sees an
# object of a class it has no type for yet (a scroll area's viewport): then it makes every QtWidgets type.
TYPES_NOT_FOR_FIRST_PAINT = (
    "QStyle",
    "QMessageBox",
    "QFileDialog",
    "QInputDialog",
    "QMdiSubWindow",
    "QWizard",
)


def make_application(argv: list[str]) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    # the reader, sign-in window and challenge solver use QtWebEngine, which needs this before the app exists.
    # The reader's hearth: scheme is not registered here: importing QtWebEngineCore before the first paint
    # costs ~0.1 s, and the scheme works unregistered (tests/ui/test_reader_web.py passes either way).
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    # the style as an argument: setStyle() would hand Python a QStyle, whose enums PySide6 then makes (~10 ms)
    app = QApplication(["hearth", *argv, f"-style={STYLE}", *webengine_arguments()])
    app.setProperty(STYLE_SET, True)
    app.setApplicationName("Hearth")
    app.setOrganizationName("Hearth")
    app.setDesktopFileName("org.hearth.Hearth")
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)  # the tray keeps Hearth running
    # worker threads (refresh, database, images) hand the GIL back to the GUI thread sooner
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    return app


def webengine_arguments(environ: MutableMapping[str, str] | None = None) -> list[str]:
    """The QApplication's extra arguments carrying CHROMIUM_SWITCHES to QtWebEngine. QtWebEngine ignores
    them when QTWEBENGINE_CHROMIUM_FLAGS is set, so then the switches are added to that variable instead
    (before any thread runs: the QApplication does not exist yet)."""
    environ = os.environ if environ is None else environ
    flags = environ.get(CHROMIUM_FLAGS_ENV)
    if flags is None:
        return ["--webEngineArgs", *CHROMIUM_SWITCHES]
    missing = [switch for switch in CHROMIUM_SWITCHES if switch not in flags.split()]
    if missing:
        environ[CHROMIUM_FLAGS_ENV] = " ".join([*missing, flags]).strip()  # the user's own come last and win
    return []


def run_app(paths: Paths, argv: list[str]) -> int:
    started = time.perf_counter()
    app = make_application(argv)
    paths.ensure()
    language = choose_language(paths.settings_path, preferred=system_ui_languages())
    install_qt_translations(app, language)
    apply_cjk_fallback(app)  # Chinese titles in the tree and the list get a font with a real bold
    lock = InstanceLock(paths.data_dir)
    if not lock.acquire() and raise_running_instance(paths.data_dir, lock):
        log.info("Hearth is already running for %s; asked it to show its window", paths.data_dir)
        return 0
    try:
        from app.ui.controller import AppController

        controller = AppController(paths, Settings.load(paths.settings_path))
    except HearthError as exc:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(None, _("Hearth cannot start"), exc.user_message())
        lock.release()
        return 1
    servers: list[InstanceServer] = []

    def listen() -> None:  # later starts wait for this (raise_running_instance)
        server = InstanceServer(paths.data_dir, controller)
        server.raise_requested.connect(controller.show_window)
        server.listen()
        servers.append(server)

    bench = os.environ.get(BENCH_ENV)
    if bench is not None:
        FirstPaintProbe(
            controller, started, float(bench or 0), show_article=os.environ.get(BENCH_ARTICLE_ENV) == "1"
        )
    controller.start(show=True if bench is not None else None, schedule=bench is None)
    controller.when_up(listen)
    controller.when_up(unpack_later)  # PySide6's support modules from bytecode from the next start on
    try:
        return app.exec()
    finally:
        for server in servers:
            server.close()
        lock.release()


def system_ui_languages(platform: str = sys.platform) -> list[str]:
    """The languages the desktop asks for, where only Qt knows them (Windows, macOS). Elsewhere they are
    the environment's (LANGUAGE, LC_ALL, LC_MESSAGES, LANG: what Qt reads there too), which
    resolve_language reads itself, without QLocale: PySide6 makes QLocale's ~1,000 enum members into
    Python enums when the class is first used (~12 ms before the first paint)."""
    if platform not in ("win32", "darwin"):
        return []
    from PySide6.QtCore import QLocale

    return list(QLocale.system().uiLanguages())


QT_CATALOGUES = ("qtbase", "qtwebengine", "qtmultimedia")  # Qt's own strings: dialogs, buttons, the web view


def install_qt_translations(app: QCoreApplication, language: str) -> list[QTranslator]:
    """Qt's own dialogs and buttons (file picker, colour dialog, Cancel / Yes) in `language`, from the
    .qm files PySide6 ships; replaces the ones installed before. English needs none."""
    for old in app.findChildren(QTranslator, "hearthQtTranslation"):
        app.removeTranslator(old)
        old.deleteLater()
    if language == SOURCE_LANGUAGE:
        return []
    from PySide6.QtCore import QLocale

    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    installed = []
    for name in QT_CATALOGUES:
        translator = QTranslator(app)
        translator.setObjectName("hearthQtTranslation")
        if translator.load(QLocale(language), name, "_", folder):
            app.installTranslator(translator)
            installed.append(translator)
        else:
            log.info("no Qt translation %s_%s in %s", name, language, folder)
            translator.deleteLater()
    return installed


REPORT_EVENT = QEvent.Type(QEvent.registerEventType())


class FirstPaintProbe(QObject):
    """Reports the first paint of the main window and the first paint of the article list with its rows
    (the window may paint before the library has loaded), bench only; then quits after `idle_s`."""

    LIST_WAIT_MS = 5000  # a library without articles never paints rows

    def __init__(self, controller: Any, started: float, idle_s: float, *, show_article: bool = False) -> None:
        super().__init__(controller)
        self.controller = controller
        self.started = started
        self.idle_s = idle_s
        self.show_article = show_article
        self.done = False
        self.list_done = False
        self._waited_ms = 0
        self._pending: list[Any] = []
        controller.window.installEventFilter(self)
        # not an event filter on the list's viewport: touching it from Python before the paint costs ~25 ms
        controller.window.list.rows_painted.connect(self._on_rows_painted)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and watched is self.controller.window and not self.done:
            self.done = True
            self._post(self._report_paint)
        return False

    def _on_rows_painted(self) -> None:
        if not self.list_done:
            self.list_done = True
            self._post(self._report_list)

    def _post(self, report: Any) -> None:
        """Run `report` once this frame is painted, ahead of work queued meanwhile (the after-paint work
        that the window queues in the same frame would otherwise delay the report, not the paint)."""
        self._pending.append(report)
        QCoreApplication.postEvent(self, QEvent(REPORT_EVENT), Qt.EventPriority.HighEventPriority.value)

    def event(self, event: QEvent) -> bool:
        if event.type() == REPORT_EVENT:
            self._pending.pop(0)()
            return True
        return super().event(event)

    def _report_list(self) -> None:
        report = {
            "event": "list_painted",
            "since_launch_s": since_launch_s(),
            "articles_in_list": self.controller.window.list_model.rowCount(),
        }
        print(json.dumps(report), flush=True)

    def _then(self) -> None:
        """After the first paint and the list's (or LIST_WAIT_MS): open an article or idle."""
        if not self.list_done and self._waited_ms < self.LIST_WAIT_MS:
            self._waited_ms += 20
            QTimer.singleShot(20, self._then)
        elif self.show_article:
            QTimer.singleShot(50, self._open_article)
        else:
            QTimer.singleShot(int(self.idle_s * 1000), self._report_idle)

    def _report_paint(self) -> None:
        report = {
            "event": "first_paint",
            "since_launch_s": since_launch_s(),
            "since_run_app_s": round(time.perf_counter() - self.started, 3),
            "torch_loaded": "torch" in sys.modules,
            "rss_mb": rss_mb(),
            "articles_in_list": self.controller.window.list_model.rowCount(),
            "list_in_first_frame": self.list_done,  # the article list painted its rows in this frame
            "loaded_early": [name for name in NOT_FOR_FIRST_PAINT if sys.modules.get(name) is not None],
            "pyside_support_files": support_from_files(),
            "qt_types_early": [name for name in TYPES_NOT_FOR_FIRST_PAINT if name in vars(QtWidgets)],
            "modules": len(sys.modules),
            "child_processes": child_processes(),
        }
        print(json.dumps(report), flush=True)
        self._then()

    def _open_article(self) -> None:
        """Bench only: wait for the web reader, open the first article, report once it has loaded."""
        window = self.controller.window
        web = window.reader.web
        if web is None:
            QTimer.singleShot(50, self._open_article)
            return
        web.page_loaded.connect(self._on_article_loaded)
        window.select_row(0)

    def _on_article_loaded(self, ok: bool) -> None:
        web = self.controller.window.reader.web
        if web is None or web.article is None:
            return
        web.page_loaded.disconnect(self._on_article_loaded)
        print(json.dumps({"event": "article_shown", "ok": ok, "title": web.article.title}), flush=True)
        QTimer.singleShot(int(self.idle_s * 1000), self._report_idle)

    def _report_idle(self) -> None:
        report = {
            "event": "idle",
            "rss_mb": rss_mb(),
            "side_panels": self.controller.window.side_panels
            is not None,  # the AI panel, built after the paint
            "torch_loaded": "torch" in sys.modules,
            "articles_in_list": self.controller.window.list_model.rowCount(),
            "child_processes": child_processes(),
        }
        print(json.dumps(report), flush=True)
        self.controller.quit()


def since_launch_s() -> float | None:
    """Seconds since HEARTH_BENCH_T0 (the bench's clock just before it started this process)."""
    t0 = os.environ.get(BENCH_T0_ENV)
    return round(time.time() - float(t0), 3) if t0 else None


def child_processes() -> list[str]:
    """The executable names of this process's children (Linux; elsewhere an empty list)."""
    names = []
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children", encoding="ascii") as fh:
                for pid in fh.read().split():
                    try:
                        with open(f"/proc/{pid}/cmdline", "rb") as cmd:
                            names.append(
                                os.path.basename(cmd.read().split(b"\0")[0].decode(errors="replace"))
                            )
                    except OSError:
                        continue  # exited meanwhile
    except OSError:
        return []
    return sorted(names)


def rss_mb() -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    try:
        import resource

        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    except ImportError:
        return None
