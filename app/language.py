"""Which language Hearth speaks: the `ui.language` setting (system | en | zh_CN) over the system locale,
chosen once per process by the CLI before it builds its parser and again by the window with Qt's list."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path

from app.config import Key, Settings, resolve_paths
from app.errors import HearthError
from app.i18n import resolve_language, translate_argparse, use_language

log = logging.getLogger(__name__)


def language_setting(settings_path: Path) -> str:
    """`ui.language` from a settings file; "system" when the file is missing or unreadable."""
    try:
        return Settings.load(settings_path).get(Key.UI_LANGUAGE)
    except (HearthError, OSError) as exc:
        log.warning("cannot read ui.language from %s (%s); following the system language", settings_path, exc)
        return "system"


def choose_language(
    settings_path: Path, *, preferred: Iterable[str] = (), env: Mapping[str, str] | None = None
) -> str:
    """Make the language the settings (or the system) ask for the active one; returns it."""
    return use_language(resolve_language(language_setting(settings_path), preferred=preferred, env=env))


def choose_cli_language(argv: list[str], env: Mapping[str, str] | None = None) -> str:
    """The CLI's language, before its parser exists (help texts are translated as the parser is built):
    the settings of the data folder that `--data-dir` / $HEARTH_DATA_DIR name, argparse's own strings too."""
    data_dir = None
    for index, arg in enumerate(argv):  # not a parser: a malformed line is the real parser's to report
        if arg == "--":
            break
        if arg == "--data-dir" and index + 1 < len(argv):
            data_dir = argv[index + 1]
        elif arg.startswith("--data-dir="):
            data_dir = arg.partition("=")[2]
    try:
        paths = resolve_paths(data_dir, env=env)
    except (HearthError, OSError) as exc:
        log.warning("cannot find the settings (%s); following the system language", exc)
        translate_argparse()
        return use_language(resolve_language("system", env=env))
    translate_argparse()
    return choose_language(paths.settings_path, env=env)
