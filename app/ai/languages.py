"""The language the AI writes in by default (translations, summaries): `ai.language` ("en", "zh", "zh-Hant", ...)
or, when it is empty or "auto", the interface language (`ui.language`, or the one the system locale chose);
with `ui.language` = system and no Hearth translation for the locale, the locale itself (zh_TW -> Traditional
Chinese, ja -> Japanese ... anything unknown -> English)."""

from __future__ import annotations

import contextlib
import locale
import os

from app.config import Key, Settings
from app.errors import ConfigError
from app.i18n import SOURCE_LANGUAGE, current_language

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


def interface_language(settings: Settings) -> str:
    """The AI's code for the language Hearth's interface speaks: `ui.language` when it names one, else the
    language this process chose from the system (app.language), else the system locale's."""
    choice = settings.get(Key.UI_LANGUAGE)
    if choice and choice != "system":
        with contextlib.suppress(ConfigError):
            return normalise_language(choice)
    active = current_language()
    if active != SOURCE_LANGUAGE:
        with contextlib.suppress(ConfigError):
            return normalise_language(active)
    return system_language()


def preferred_language(settings: Settings) -> str:
    """`ai.language`, or the interface's language when it is empty or "auto"."""
    text = settings.get(Key.AI_LANGUAGE).strip()
    if text and text.lower() != "auto":
        return normalise_language(text)
    return interface_language(settings)


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)
