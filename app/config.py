"""Where Hearth keeps its data (platformdirs, overridable) and the one settings file in it.

Settings are flat dotted keys ("fetch.concurrency") declared once in `SETTING_SPECS` with a type,
a default and a line of help; `hearth config set KEY VALUE` and the settings dialog both go through
`Settings.set_text`. Nothing here reads the environment at import time.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

from app.errors import ConfigError

log = logging.getLogger(__name__)
T = TypeVar("T")

APP_NAME = "Hearth"
DATA_DIR_ENV = "HEARTH_DATA_DIR"
LINUX_DIR_NAME = "hearth"  # XDG folders are lower case; macOS and Windows use APP_NAME


@dataclass(frozen=True, slots=True)
class Paths:
    """Where each kind of file lives: settings (config_dir), the library (data_dir), rebuildable files (cache_dir).

    `Paths(folder)` keeps everything in one folder, as `--data-dir` and `$HEARTH_DATA_DIR` do.
    """

    data_dir: Path
    config_dir: Path = None  # type: ignore[assignment]  # None: data_dir
    cache_dir: Path = None  # type: ignore[assignment]  # None: data_dir / "cache"

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        object.__setattr__(self, "config_dir", Path(self.config_dir or self.data_dir))
        object.__setattr__(self, "cache_dir", Path(self.cache_dir or self.data_dir / "cache"))

    @property
    def db_path(self) -> Path:
        return self.data_dir / "hearth.sqlite3"

    @property
    def settings_path(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def states_dir(self) -> Path:
        return self.cache_dir / "states"

    @property
    def log_path(self) -> Path:
        return self.cache_dir / "hearth.log"

    @property
    def single_folder(self) -> bool:
        return self.config_dir == self.data_dir and self.cache_dir == self.data_dir / "cache"

    def ensure(self) -> Paths:
        for folder in (self.data_dir, self.config_dir, self.cache_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def resolve_paths(
    data_dir: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    platform: str | None = None,
) -> Paths:
    """`--data-dir` wins, then `$HEARTH_DATA_DIR` (both: one folder), then the platform's own folders."""
    env = os.environ if env is None else env
    if data_dir:
        return Paths(Path(data_dir).expanduser().resolve())
    if env.get(DATA_DIR_ENV):
        return Paths(Path(env[DATA_DIR_ENV]).expanduser().resolve())
    return platform_paths(env, platform)


def platform_paths(env: Mapping[str, str] | None = None, platform: str | None = None) -> Paths:
    """Linux: $XDG_CONFIG_HOME/hearth, $XDG_DATA_HOME/hearth, $XDG_CACHE_HOME/hearth; elsewhere platformdirs."""
    env = os.environ if env is None else env
    platform = platform or sys.platform
    if platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return Paths(
            _xdg(env, "XDG_DATA_HOME", ".local/share") / LINUX_DIR_NAME,
            config_dir=_xdg(env, "XDG_CONFIG_HOME", ".config") / LINUX_DIR_NAME,
            cache_dir=_xdg(env, "XDG_CACHE_HOME", ".cache") / LINUX_DIR_NAME,
        )
    import platformdirs

    return Paths(
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        cache_dir=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
    )


def legacy_data_dir(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """The one folder Hearth 0.1 kept everything in: platformdirs.user_data_dir("Hearth")."""
    env = os.environ if env is None else env
    platform = platform or sys.platform
    if platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return _xdg(env, "XDG_DATA_HOME", ".local/share") / APP_NAME
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def _xdg(env: Mapping[str, str], name: str, fallback: str) -> Path:
    value = env.get(name, "")
    if value and Path(value).is_absolute():  # the XDG spec says relative values are to be ignored
        return Path(value)
    return Path(env.get("HOME") or Path.home()) / fallback


def resources_dir() -> Path:
    """The package's `resources/` folder (icons, css, vocabularies, catalog): checkout, wheel or bundle."""
    here = Path(__file__).resolve().parent
    candidates = [here / "resources"]
    bundle = getattr(sys, "_MEIPASS", None)  # a PyInstaller bundle
    if bundle:
        candidates.append(Path(bundle) / "app" / "resources")
    for candidate in candidates:
        if (candidate / "icons").is_dir():
            return candidate
    raise ConfigError(
        "Hearth's resources folder is missing (looked in " + ", ".join(map(str, candidates)) + ")",
        hint="reinstall Hearth: `pip install --force-reinstall hearth-reader`, or the package you installed it from",
    )


@dataclass(frozen=True, slots=True)
class SettingSpec(Generic[T]):
    """One setting: its dotted key, type, default, a line of help and (for some) the values it takes.

    A spec is also the setting's typed key: `settings.get(Key.FETCH_CONCURRENCY)` is an `int` to a type
    checker, and a misspelt `Key.` name fails at import (AttributeError) and in mypy/pyright.
    """

    key: str
    type: type[T]
    default: T
    help: str
    choices: tuple[str, ...] = ()


class Key:
    """Every setting, in the order `hearth config list` and the file show them (the one declaration).

    Only the user's preferences: what the app remembers by itself lives in the database (app.storage.app_state).
    """

    # refreshing and fetching
    REFRESH_INTERVAL_MINUTES = SettingSpec(
        "refresh.interval_minutes", int, 60, "default time between refreshes of a feed"
    )
    REFRESH_PAUSED = SettingSpec("refresh.paused", bool, False, "pause background refreshing")
    FETCH_CONCURRENCY = SettingSpec(
        "fetch.concurrency", int, 16, "feeds fetched at once (one connection per host)"
    )
    FETCH_HOST_SPACING_SECONDS = SettingSpec(
        "fetch.host_spacing_seconds", float, 0.0, "minimum time between two requests to one host"
    )
    FETCH_USER_AGENT = SettingSpec(
        "fetch.user_agent", str, "", "default User-Agent (empty: Hearth's honest one)"
    )
    FETCH_PROXY = SettingSpec(
        "fetch.proxy", str, "", "proxy URL for all fetches (http://, socks5://), empty for none"
    )
    FETCH_MAX_BODY_MB = SettingSpec("fetch.max_body_mb", int, 20, "a feed larger than this errors")
    FETCH_MAX_ITEMS_PER_FEED = SettingSpec(
        "fetch.max_items_per_feed", int, 500, "items taken from one feed per refresh (the newest)"
    )
    FETCH_CONNECT_TIMEOUT = SettingSpec("fetch.connect_timeout", float, 10.0, "seconds to connect")
    FETCH_TIMEOUT = SettingSpec("fetch.timeout", float, 60.0, "seconds for a whole request")
    RETENTION_DAYS = SettingSpec(
        "retention.days", int, 90, "drop read, unstarred articles older than this (0 keeps all)"
    )
    # sites without feeds
    ZHIHU_WWW_BASE = SettingSpec("zhihu.www_base", str, "https://www.zhihu.com", "Zhihu web/API base URL")
    ZHIHU_API_BASE = SettingSpec("zhihu.api_base", str, "https://api.zhihu.com", "Zhihu api host base URL")
    BILIBILI_API_BASE = SettingSpec(
        "bilibili.api_base", str, "https://api.bilibili.com", "Bilibili API base URL"
    )
    WEIBO_M_BASE = SettingSpec("weibo.m_base", str, "https://m.weibo.cn", "Weibo mobile web/API base URL")
    WEIBO_MIN_SPACING_SECONDS = SettingSpec(
        "weibo.min_spacing_seconds", float, 10.0, "minimum spacing between Weibo requests"
    )
    SITES_MIN_SPACING_SECONDS = SettingSpec(
        "sites.min_spacing_seconds", float, 5.0, "minimum spacing between requests to a cookie site"
    )
    SITES_MAX_PER_HOUR = SettingSpec(
        "sites.max_per_hour", int, 120, "cap on requests per hour to a cookie site"
    )
    SCRIPT_TIMEOUT = SettingSpec("script.timeout", float, 60.0, "seconds a script source may run")
    # local feed server
    SERVER_PORT = SettingSpec("server.port", int, 1200, "port of the local feed server (127.0.0.1 only)")
    SERVER_ENABLED = SettingSpec("server.enabled", bool, False, "run the feed server while the app is open")
    SERVER_ACCESS_KEY = SettingSpec(
        "server.access_key", str, "", "optional ?key= required by the feed server"
    )
    SERVER_MAX_AGE_MINUTES = SettingSpec(
        "server.max_age_minutes", int, 30, "serve from the database when fetched this recently"
    )
    # the desktop app
    UI_THEME = SettingSpec("ui.theme", str, "system", "colour theme", ("system", "light", "dark"))
    UI_LANGUAGE = SettingSpec("ui.language", str, "system", "interface language", ("system", "en", "zh_CN"))
    UI_START_MINIMISED = SettingSpec("ui.start_minimised", bool, False, "start in the tray")
    UI_CLOSE_TO_TRAY = SettingSpec(
        "ui.close_to_tray", bool, True, "closing the window keeps Hearth in the tray"
    )
    UI_NOTIFICATIONS = SettingSpec("ui.notifications", bool, True, "notify of new articles")
    UI_NOTIFY_MANUAL_REFRESH = SettingSpec(
        "ui.notify_manual_refresh", bool, False, "notify after a refresh you start"
    )
    UI_TRAY_COUNT = SettingSpec("ui.tray_count", bool, True, "show the unread count on the tray icon")
    UI_AUTOSTART = SettingSpec("ui.autostart", bool, False, "start Hearth on login")
    UI_HIDE_READ = SettingSpec("ui.hide_read", bool, False, "hide read articles in lists")
    UI_LIST_COMPACT = SettingSpec("ui.list_compact", bool, False, "one line per article, no snippets")
    UI_MARK_READ_ON_SELECT = SettingSpec(
        "ui.mark_read_on_select", bool, True, "mark an article read when it is opened"
    )
    # local AI
    AI_ENABLED = SettingSpec("ai.enabled", bool, True, "local AI on (off: torch is never loaded)")
    AI_MODEL_PATH = SettingSpec("ai.model_path", str, "", "the active model file (.pth / .safetensors)")
    AI_BACKEND = SettingSpec(
        "ai.backend", str, "rwkv", "model source: the built-in engine or your own server", ("rwkv", "openai")
    )
    AI_ENDPOINT = SettingSpec(
        "ai.endpoint", str, "", "your OpenAI-compatible server's base URL (empty: nothing is sent)"
    )
    AI_ENDPOINT_MODEL = SettingSpec(
        "ai.endpoint_model", str, "", "the model to ask on that server (empty: its first)"
    )
    AI_LANGUAGE = SettingSpec("ai.language", str, "", "language the AI writes in (empty: the interface's)")
    AI_DEVICE = SettingSpec("ai.device", str, "auto", "where the model runs", ("auto", "cuda", "cpu"))
    AI_DTYPE = SettingSpec(
        "ai.dtype", str, "auto", "precision", ("auto", "fp32", "fp16", "bf16", "int8", "int4")
    )
    AI_KERNELS = SettingSpec(
        "ai.kernels",
        str,
        "auto",
        "CPU kernels",
        ("auto", "avx512", "avx2", "neondot", "neon", "portable", "torch"),
    )
    AI_THREADS = SettingSpec("ai.threads", int, 0, "CPU threads for the model (0: auto, GUI leaves a core)")
    AI_DOWNLOAD_BASE = SettingSpec(
        "ai.download_base", str, "https://huggingface.co", "base URL for model downloads"
    )
    AI_CONTEXT_TOKENS = SettingSpec(
        "ai.context_tokens", int, 4096, "longest article text fed to the model, in tokens"
    )
    AI_SUMMARY_TEMPERATURE = SettingSpec("ai.summary_temperature", float, 1.0, "temperature for summaries")
    AI_SUMMARY_TOP_P = SettingSpec("ai.summary_top_p", float, 0.3, "top-p for summaries")
    AI_CHAT_TEMPERATURE = SettingSpec("ai.chat_temperature", float, 1.0, "temperature for chat")
    AI_CHAT_TOP_P = SettingSpec("ai.chat_top_p", float, 0.3, "top-p for chat")
    AI_MAX_TOKENS = SettingSpec("ai.max_tokens", int, 400, "longest answer in tokens")
    AI_CREATIVE_TEMPERATURE = SettingSpec(
        "ai.creative_temperature", float, 1.2, "temperature for free generation"
    )
    AI_CREATIVE_TOP_P = SettingSpec("ai.creative_top_p", float, 0.7, "top-p for free generation")
    AI_RULES_PER_REFRESH = SettingSpec(
        "ai.rules_per_refresh", int, 10, "most model runs the per-feed AI rules make per refresh"
    )
    AI_READ_AHEAD = SettingSpec("ai.read_ahead", bool, True, "read new unread articles ahead when idle")
    AI_BRIEFING_TIME = SettingSpec("ai.briefing_time", str, "", "daily briefing time, HH:MM (empty: off)")
    AI_BRIEFING_SCOPE = SettingSpec("ai.briefing_scope", str, "all", "the daily briefing's scope")


SETTING_SPECS: tuple[SettingSpec[Any], ...] = tuple(
    value for value in vars(Key).values() if isinstance(value, SettingSpec)
)
SPECS_BY_KEY: dict[str, SettingSpec[Any]] = {spec.key: spec for spec in SETTING_SPECS}
# The temperature and top-p of each sampling preset ("summary", "chat", "creative"), typed.
SAMPLING_KEYS: dict[str, tuple[SettingSpec[float], SettingSpec[float]]] = {
    "summary": (Key.AI_SUMMARY_TEMPERATURE, Key.AI_SUMMARY_TOP_P),
    "chat": (Key.AI_CHAT_TEMPERATURE, Key.AI_CHAT_TOP_P),
    "creative": (Key.AI_CREATIVE_TEMPERATURE, Key.AI_CREATIVE_TOP_P),
}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_value(spec: SettingSpec[Any], text: str) -> Any:
    """Turn the text a user typed into the setting's type, or raise ConfigError saying why."""
    text = text.strip()
    try:
        if spec.type is bool:
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError
        value = spec.type(text)
    except ValueError:
        raise ConfigError(
            f"{spec.key} takes {'an' if spec.type is int else 'a'} {spec.type.__name__}, not {text!r}",
            hint=f"e.g. {spec.default!r}",
        ) from None
    if spec.choices and value not in spec.choices:
        raise ConfigError(f"{spec.key} must be one of {', '.join(spec.choices)}")
    return value


class Settings:
    """The settings file: a JSON object of dotted keys; unknown keys in the file are kept but ignored."""

    def __init__(self, path: Path | None = None, values: Mapping[str, Any] | None = None) -> None:
        self.path = path
        self._values: dict[str, Any] = dict(values or {})

    @classmethod
    def load(cls, path: Path) -> Settings:
        values: dict[str, Any] = {}
        if path.exists():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(loaded, dict):
                    values = loaded
                else:
                    log.warning("settings file %s is not an object; using defaults", path)
            except (OSError, ValueError) as exc:
                log.warning("settings file %s is unreadable (%s); using defaults", path, exc)
        return cls(path, values)

    @overload
    def get(self, key: SettingSpec[T]) -> T: ...
    @overload
    def get(self, key: str) -> Any: ...
    def get(self, key: SettingSpec[Any] | str) -> Any:
        """The setting's value in its type; a value of the wrong type in the file reads as the default.

        Code asks with a typed key (`Key.FETCH_CONCURRENCY` -> int); a string key (the CLI's, the dialog's)
        gets the same value untyped, and an unknown one is a ConfigError naming it.
        """
        spec = self._spec(key)
        value = self._values.get(spec.key, spec.default)
        if not isinstance(value, spec.type) or (spec.type is int and isinstance(value, bool)):
            try:
                return parse_value(spec, str(value))
            except ConfigError:
                return spec.default
        return value

    def __getitem__(self, key: SettingSpec[Any] | str) -> Any:
        return self.get(key)

    @overload
    def set(self, key: SettingSpec[T], value: T) -> None: ...
    @overload
    def set(self, key: str, value: Any) -> None: ...
    def set(self, key: SettingSpec[Any] | str, value: Any) -> None:
        spec = self._spec(key)
        if not isinstance(value, spec.type) or (spec.type is not bool and isinstance(value, bool)):
            if spec.type is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            else:
                value = parse_value(spec, str(value))
        elif spec.choices and value not in spec.choices:
            raise ConfigError(f"{spec.key} must be one of {', '.join(spec.choices)}")
        self._values[spec.key] = value

    def set_text(self, key: SettingSpec[Any] | str, text: str) -> Any:
        spec = self._spec(key)
        value = parse_value(spec, text)
        self._values[spec.key] = value
        return value

    def raw(self, key: str) -> Any:
        """What the file holds under `key`, declared or not (None when absent): for moving old keys' values."""
        return self._values.get(key)

    def items(self) -> Iterator[tuple[SettingSpec[Any], Any]]:
        for spec in SETTING_SPECS:
            yield spec, self.get(spec.key)

    def save(self) -> None:
        """Write atomically (temp file + rename), so a crash never leaves half a settings file."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".settings-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self._values, fh, indent=2, sort_keys=True, ensure_ascii=False)
        os.replace(tmp, self.path)

    @staticmethod
    def _spec(key: SettingSpec[Any] | str) -> SettingSpec[Any]:
        name = key.key if isinstance(key, SettingSpec) else key
        spec = SPECS_BY_KEY.get(name) if isinstance(name, str) else None
        if spec is None or (isinstance(key, SettingSpec) and spec != key):
            raise ConfigError(f"unknown setting {name!r}", hint="`hearth config list` shows them all")
        return spec
