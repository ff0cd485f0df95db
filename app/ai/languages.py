"""The user's language for translations: `ai.language` ("en", "zh", "zh-Hant", ...) or, when it is empty, the
system locale (zh_CN -> Chinese, zh_TW -> Traditional Chinese, ... anything unknown -> English)."""

from __future__ import annotations

import contextlib
import locale
import os

from app.config import Key, Settings
from app.errors import ConfigError

LANGUAGE_NAMES = {
    "en": "English",
    "zh": "Simplified Chinese",
    "zh-Hant": "Traditional Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "pt": "Portuguese",
    "ru": "Russian",
    "it": "Italian",
}
_ALIASES = {
    "english": "en",
    "chinese": "zh",
    "zh-cn": "zh",
    "zh-hans": "zh",
    "zh-sg": "zh",
    "zh-tw": "zh-Hant",
    "zh-hk": "zh-Hant",
    "zh-mo": "zh-Hant",
    "zh-hant": "zh-Hant",
    "cn": "zh",
}


def normalise_language(text: str) -> str:
    """A language code from what a user typed ("zh_CN", "Chinese", "EN"); ConfigError when unknown."""
    key = text.strip().replace("_", "-").split(".")[0].lower()
    if key in _ALIASES:
        return _ALIASES[key]
    by_name = {name.lower(): code for code, name in LANGUAGE_NAMES.items()}
    if key.replace("-", " ") in by_name:
        return by_name[key.replace("-", " ")]
    if key in LANGUAGE_NAMES:
        return key
    base = key.split("-")[0]
    if base in LANGUAGE_NAMES:
        return base
    raise ConfigError(f"unknown language {text!r}", hint="use one of " + ", ".join(LANGUAGE_NAMES))


def system_language() -> str:
    """The language of the system locale (LC_ALL / LC_MESSAGES / LANG, then Python's locale), else English."""
    candidates = [os.environ.get(name, "") for name in ("LC_ALL", "LC_MESSAGES", "LANG")]
    with contextlib.suppress(ValueError):
        candidates.append(locale.getlocale()[0] or "")
    for text in candidates:
        if text and text not in ("C", "POSIX") and not text.startswith("C."):
            try:
                return normalise_language(text)
            except ConfigError:
                continue
    return "en"


def preferred_language(settings: Settings) -> str:
    """`ai.language`, or the system's when it is empty."""
    text = settings.get(Key.AI_LANGUAGE).strip()
    return normalise_language(text) if text else system_language()


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)
