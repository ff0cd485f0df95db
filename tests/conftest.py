"""Shared fixtures. Qt runs offscreen; QtWebEngine needs --no-sandbox because tests run as root in CI."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
# tests assert English (the source language) whatever the machine's locale: gettext and Qt read LANGUAGE first
os.environ["LANGUAGE"] = "en"
os.environ.pop("HEARTH_DATA_DIR", None)
# Native kernels compile once per test session into a private folder, never into the user's cache.
os.environ.setdefault("HEARTH_NATIVE_DIR", tempfile.mkdtemp(prefix="hearth-native-"))

from tests.support.http import LocalServer


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh Hearth data dir; HEARTH_DATA_DIR points at it so nothing touches a real profile."""
    d = tmp_path / "hearth-data"
    d.mkdir()
    monkeypatch.setenv("HEARTH_DATA_DIR", str(d))
    return d


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


from tests.support.keyring_daemon import _secret_service_daemon, secret_service  # noqa: E402, F401
