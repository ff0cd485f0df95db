"""Entry point: `hearth` / `python -m app` — the GUI by default, subcommands for headless use.

Before anything else it moves Hearth 0.1's data folder into the platform's folders once, and before
Qt starts it checks that there is a display and that Qt's X11 libraries load, so a missing one is a
one-line message saying what to install instead of Qt's abort.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from app.errors import HearthError

if TYPE_CHECKING:
    from app.config import Paths, Settings

# soname -> (Debian/Ubuntu package, Fedora package): what Qt's xcb platform plugin loads
XCB_LIBRARIES: dict[str, tuple[str, str]] = {
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
}
WAYLAND_LIBRARIES: dict[str, tuple[str, str]] = {
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
}
# Modules Hearth's libraries import only because they happen to be installed, which Hearth never uses:
# httpx's command-line client (click, pygments, rich: ~10 MB) and httpcore's trio backend (Hearth's
# loops are asyncio: ~12 MB, 0.4 s). Both libraries treat an ImportError as "not installed".
UNUSED_OPTIONAL_MODULES = ("httpx._main", "trio")
HEADLESS = "the headless commands work without a display (`hearth --help`: add, refresh, list, serve ...)"


def loads(soname: str) -> bool:
    """Whether the dynamic linker finds `soname` (a bundle also ships some next to its executable)."""
    candidates = [soname]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates += [os.path.join(bundle, soname), os.path.join(bundle, "PySide6", "Qt", "lib", soname)]
    for candidate in candidates:
        try:
            ctypes.CDLL(candidate)
            return True
        except OSError:
            continue
    return False


def display_problem(
    env: Mapping[str, str] | None = None,
    platform: str | None = None,
    load: Callable[[str], bool] = loads,
) -> str | None:
    """Why Qt could not open a window here (one line, with what to install), or None if it can."""
    env = os.environ if env is None else env
    platform = platform or sys.platform
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return None
    qpa = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip().lower()
    if qpa and qpa not in ("xcb", "wayland", "wayland-egl"):
        return None  # offscreen, minimal, vnc, eglfs ...: nothing to check
    wayland, x11 = bool(env.get("WAYLAND_DISPLAY")), bool(env.get("DISPLAY"))
    if wayland and qpa != "xcb":
        missing_wayland = [lib for lib in WAYLAND_LIBRARIES if not load(lib)]
        if not missing_wayland:
            return None
        if not x11 or qpa.startswith("wayland"):
            return _missing("Wayland", missing_wayland, WAYLAND_LIBRARIES)
    if not x11:
        return (
            "no display to open the window on ($DISPLAY and $WAYLAND_DISPLAY are not set): start Hearth "
            f"from a desktop session, or under `xvfb-run`; {HEADLESS}"
        )
    missing = [lib for lib in XCB_LIBRARIES if not load(lib)]
    return _missing("X11 (xcb)", missing, XCB_LIBRARIES) if missing else None


def _missing(what: str, missing: list[str], table: Mapping[str, tuple[str, str]]) -> str:
    debian = " ".join(dict.fromkeys(table[lib][0] for lib in missing))
    fedora = " ".join(dict.fromkeys(table[lib][1] for lib in missing))
    return (
        f"Qt's {what} support cannot start: {', '.join(missing)} not found; install it with "
        f"`sudo apt install {debian}` (Debian/Ubuntu) or `sudo dnf install {fedora}` (Fedora); {HEADLESS}"
    )


def _preparse(argv: list[str]) -> argparse.Namespace:
    """The real parser plus the packaging options, so `--help` lists them and bad options fail here (a plain
    launch, the window, is read by the global options alone)."""
    from app.cli import build_parser, parse_plain_launch
    from app.language import choose_cli_language

    choose_cli_language(argv)  # before the parser exists: help texts are translated as they are added
    plain = parse_plain_launch(argv, more=(_desktop_options,))
    if plain is not None:
        return plain
    parser = build_parser()
    _desktop_options(parser)
    return parser.parse_args(argv)


def _desktop_options(parser: argparse.ArgumentParser) -> None:
    from app.i18n import _

    group = parser.add_argument_group(_("desktop integration"))
    group.add_argument(
        "--install-desktop-entry",
        action="store_true",
        help=_("add Hearth to the desktop's menu (for pip installs)"),
    )
    group.add_argument("--remove-desktop-entry", action="store_true", help=_("remove that menu entry again"))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _preparse(argv)
    if args.install_desktop_entry or args.remove_desktop_entry:
        return _desktop_entry(install=args.install_desktop_entry)
    if not args.data_dir and not os.environ.get("HEARTH_DATA_DIR"):
        code = _move_legacy_data()
        if code:
            return code
    if getattr(args, "func", None) is None:
        problem = display_problem()
        if problem:
            print(f"hearth: {problem}", file=sys.stderr)
            return 1
    from app.cli import Windows, run

    return run(argv, windows=Windows(start=_start_app, sign_in=_sign_in))


def skip_unused_optional_imports(modules: dict[str, object] | None = None) -> list[str]:
    """Mark UNUSED_OPTIONAL_MODULES absent (None in sys.modules: importing one raises ImportError) unless
    already loaded; returns those marked."""
    modules = sys.modules if modules is None else modules  # type: ignore[assignment]
    skipped = [name for name in UNUSED_OPTIONAL_MODULES if name not in modules]
    for name in skipped:
        modules[name] = None
    return skipped


def _start_app(paths: Paths, argv: list[str]) -> int:
    skip_unused_optional_imports()  # the window's process only: its memory is what users see
    from app.ui.application import run_app

    return run_app(paths, argv)


def _sign_in(paths: Paths, settings: Settings, site: str) -> bool:
    """`hearth cookies signin SITE`: a browser window on the site's login page; its cookies go to the vault."""
    from importlib.util import find_spec

    if find_spec("PySide6.QtWebEngineCore") is None:  # distributions may package QtWebEngine apart from Qt
        raise HearthError(
            "the sign-in window needs QtWebEngine (PySide6.QtWebEngineCore)",
            hint="install PySide6 with QtWebEngine, or paste the cookie with `hearth cookies set`",
        )
    from app.ui.signin import run_signin

    return run_signin(paths, settings, site)


def _desktop_entry(*, install: bool) -> int:
    from app.desktop_entry import install_desktop_entry, remove_desktop_entry

    try:
        paths = install_desktop_entry() if install else remove_desktop_entry()
    except OSError as exc:
        print(f"hearth: could not write the menu entry: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(("wrote " if install else "removed ") + str(path))
    return 0


def _move_legacy_data() -> int:
    from app.config import legacy_data_dir, platform_paths
    from app.data_move import move_legacy_data

    paths, legacy = platform_paths(), legacy_data_dir()
    try:
        move_legacy_data(paths, legacy)
    except OSError as exc:
        print(
            f"hearth: could not move your data from {legacy} to {paths.data_dir} ({exc}); nothing was lost: "
            f"free some space and start again, or keep using the old folder with `--data-dir {legacy}`",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
