"""Hearth's translations: one active language, `_()` / `ngettext()` / `lazy_gettext()` for Hearth's own strings.

Catalogues are gettext `.po` sources in `app/locale/<lang>/LC_MESSAGES/hearth.po` (English is the source
language and needs none). A `.po` is compiled to `.mo` bytes in memory the first time its language is
used (app/po_catalog.py; a `hearth.mo` beside it, as a build may place, is used instead when not older),
so a translator adds a language by adding one folder. Qt-free; imports nothing else of Hearth.
"""

from __future__ import annotations

import gettext as _gettext
import io
import locale
import logging
import os
import threading
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

DOMAIN = "hearth"
SOURCE_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# Simplified Chinese under its other names (BCP 47 and POSIX spellings); zh_TW / zh_HK are not zh_CN
_ALIASES = {"zh": "zh_CN", "zh_Hans": "zh_CN", "zh_Hans_CN": "zh_CN", "zh_SG": "zh_CN", "zh_Hans_SG": "zh_CN"}
_NEUTRAL = {"C", "POSIX"}

_lock = threading.Lock()
_active: _gettext.NullTranslations = _gettext.NullTranslations()
_active_language = SOURCE_LANGUAGE


def available_languages(locale_dir: Path | None = None) -> tuple[str, ...]:
    """English plus every language with a catalogue under app/locale, sorted."""
    folder = locale_dir or LOCALE_DIR
    found = {p.parent.parent.name for p in folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    found |= {p.parent.parent.name for p in folder.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")}
    return (SOURCE_LANGUAGE, *sorted(found - {SOURCE_LANGUAGE}))


def match_language(tag: str, available: Iterable[str]) -> str | None:
    """The available language a locale name means ("zh_CN.UTF-8", "zh-Hans", "en_GB" ...), or None."""
    available = tuple(available)
    name = tag.split(".")[0].split("@")[0].replace("-", "_").strip()
    if not name:
        return None
    if name in _NEUTRAL:
        return SOURCE_LANGUAGE
    name = _ALIASES.get(name, name)
    if name in available:
        return name
    base = name.split("_")[0]
    if base == "zh":
        return None  # Traditional Chinese (zh_TW, zh_HK, zh_Hant) is not zh_CN: try the next preference
    return base if base in available else None


def system_languages(env: Mapping[str, str] | None = None) -> list[str]:
    """The user's preferred locale names, as gettext reads them: LANGUAGE (a list), LC_ALL, LC_MESSAGES, LANG."""
    env = os.environ if env is None else env
    posix = next((env[name] for name in ("LC_ALL", "LC_MESSAGES", "LANG") if env.get(name)), "")
    if posix.split(".")[0] in _NEUTRAL:
        return [posix]  # gettext ignores LANGUAGE under the C locale
    wanted = [part for part in env.get("LANGUAGE", "").split(":") if part]
    if posix:
        wanted.append(posix)
    if not wanted and env is os.environ:  # Windows, a macOS app bundle: ask the C library
        try:
            name = locale.getlocale()[0]
        except ValueError:
            name = None
        if name:
            wanted.append(name)
    return wanted


def resolve_language(
    choice: str = "system",
    *,
    env: Mapping[str, str] | None = None,
    preferred: Iterable[str] = (),
    locale_dir: Path | None = None,
) -> str:
    """The language to use for the `ui.language` setting: a language itself, or for "system" (or one
    without a catalogue) the first of `preferred` (e.g. Qt's uiLanguages) and the environment's that
    Hearth has; English otherwise."""
    available = available_languages(locale_dir)
    if choice in available:
        return choice
    if choice and choice != "system":
        log.warning("no translation for ui.language=%r; following the system language", choice)
    for tag in (*preferred, *system_languages(env)):
        found = match_language(tag, available)
        if found:
            return found
    return SOURCE_LANGUAGE


@lru_cache(maxsize=8)
def load_translations(language: str, locale_dir: Path | None = None) -> _gettext.NullTranslations:
    """The catalogue of `language` (English: none). A broken catalogue logs a warning and gives English."""
    if language == SOURCE_LANGUAGE:
        return _gettext.NullTranslations()
    from app.po_catalog import compile_po, read_po

    folder = (locale_dir or LOCALE_DIR) / language / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    try:
        if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
            with mo.open("rb") as fh:
                return _gettext.GNUTranslations(fh)
        return _gettext.GNUTranslations(io.BytesIO(compile_po(read_po(po))))
    except (OSError, ValueError) as exc:
        log.warning("the %s translation is unusable (%s); using English", language, exc)
        return _gettext.NullTranslations()


def use_language(language: str) -> str:
    """Make `language` the one `_()` answers in (process-wide); returns it."""
    global _active, _active_language
    translations = load_translations(language)
    with _lock:
        _active, _active_language = translations, language
    return language


def current_language() -> str:
    return _active_language


def gettext(message: str) -> str:
    return _active.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for `n` in the active language's plural rule (English: 1 / other; Chinese: one form)."""
    return _active.ngettext(singular, plural, n)


_ = gettext


class LazyString:
    """A message translated each time it is used, for module-level constants (hints, labels) that
    exist before the language is chosen. `str()`, f-strings, `%` and `+` translate it."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    def __str__(self) -> str:
        return gettext(self.message)

    def __repr__(self) -> str:
        return f"LazyString({self.message!r})"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __mod__(self, args: object) -> str:
        return str(self) % args

    def __add__(self, other: object) -> str:
        return str(self) + str(other)

    def __radd__(self, other: object) -> str:
        return str(other) + str(self)

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.message)


def lazy_gettext(message: str) -> LazyString:
    return LazyString(message)


def translate_argparse() -> None:
    """argparse marks its own strings ("usage: ", "options", its errors) for gettext; answer them from
    Hearth's catalogue, which carries the common ones."""
    import argparse

    argparse._ = gettext  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]
