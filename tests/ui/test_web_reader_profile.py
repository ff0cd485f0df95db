"""The reader's profile keeps nothing on disk and carries nothing the locked-down reader never uses: off
the record (no storage path, no disk HTTP cache, no persistent cookies), spellcheck off, one profile for
every reader (one set of Chromium state, not one per view)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWebEngineCore import QWebEngineProfile

from app.config import Settings
from app.ui.resource_fetcher import ResourceFetcher


def test_the_reader_profile_is_off_the_record_with_a_memory_cache(qtbot: Any, tmp_path: Path) -> None:
    from app.ui.web_reader import WebReader

    fetcher = ResourceFetcher(tmp_path / "cache", Settings())
    first, second = WebReader(fetcher), WebReader(fetcher)
    qtbot.addWidget(first)
    qtbot.addWidget(second)
    profile = first.page().profile()
    assert second.page().profile() is profile  # one profile for every reader
    assert profile.isOffTheRecord()
    assert profile.storageName() == ""
    assert profile.httpCacheType() == QWebEngineProfile.HttpCacheType.MemoryHttpCache
    assert profile.persistentCookiesPolicy() == QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies
    assert not profile.isSpellCheckEnabled()
    fetcher.close()
