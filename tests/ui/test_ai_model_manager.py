"""The model manager dialog against a real loopback server: an interrupted download resumes, its checksum
is verified, the file is inspected and becomes the active model; a corrupt download and a bad file fail
with a message."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.ai.catalog import CatalogModel
from app.ai.download import part_path
from app.config import Paths, Settings
from app.ui.background import TaskPool
from app.ui.model_manager import ModelManagerDialog
from tests.support.ai_fixtures import tiny_checkpoint
from tests.support.http import LocalServer, Reply, Request


class Ctx:
    def __init__(self, data_dir: Path) -> None:
        self.paths = Paths(data_dir)
        self.settings = Settings(data_dir / "settings.json")
        self.tasks = TaskPool()

    def save_settings(self) -> None:
        self.settings.save()


def ranged(blob: bytes, *, cut_first_at: int | None = None):
    """Serves `blob` with Range support; the first full GET dies after `cut_first_at` bytes."""
    state = {"first": True}

    def route(req: Request) -> Reply:
        headers = {"Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"}
        m = re.match(r"bytes=(\d+)-", req.headers.get("range", ""))
        if m:
            start = int(m.group(1))
            headers["Content-Range"] = f"bytes {start}-{len(blob) - 1}/{len(blob)}"
            return Reply(206, body=blob[start:], headers=headers)
        if state["first"] and cut_first_at is not None:
            state["first"] = False
            headers["Content-Length"] = str(len(blob))
            headers["Connection"] = "close"
            return Reply(200, body=blob[:cut_first_at], headers=headers)
        return Reply(200, body=blob, headers=headers)

    return route


@pytest.fixture(scope="module")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tiny_checkpoint(tmp_path_factory.mktemp("small"), n_layer=1, n_embd=64, vocab=1024)
    return path.read_bytes()


@pytest.fixture
def dialog(qtbot, data_dir: Path, server: LocalServer, small_model: bytes):
    ctx = Ctx(data_dir)
    ctx.settings.set("ai.download_base", server.url("/hf"))
    dlg = ModelManagerDialog(ctx)
    qtbot.addWidget(dlg)
    yield dlg
    dlg.done(0)
    ctx.tasks.close()


def use_catalog(dialog: ModelManagerDialog, blob: bytes, sha: str) -> CatalogModel:
    model = CatalogModel(
        "tiny", "Tiny test model", "test/tiny", "tiny.pth", len(blob), 0.001, 1, 64, 4096, "", sha
    )
    dialog.catalog = (model,)
    dialog.table.setRowCount(1)
    dialog.refresh_table()
    dialog.table.selectRow(0)
    return model


def test_download_resumes_verifies_and_becomes_active(qtbot, dialog, server, small_model) -> None:
    sha = hashlib.sha256(small_model).hexdigest()
    server.route(
        "/hf/test/tiny/resolve/main/tiny.pth", ranged(small_model, cut_first_at=len(small_model) // 3)
    )
    model = use_catalog(dialog, small_model, sha)
    dest = dialog.dest_for(model)
    assert dialog.table.item(0, 3).text() in ("GPU", "CPU", "CPU (bf16)")
    qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.job is None, timeout=20000)
    assert "interrupted" in dialog.message.text()
    assert part_path(dest).stat().st_size == len(small_model) // 3 and not dest.exists()
    assert dialog.table.item(0, 4).text() == "partial"
    changed: list[str] = []
    dialog.model_changed.connect(changed.append)
    qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(changed), timeout=30000)
    ranges = [r.headers.get("range") for r in server.requests_to("/hf/test/tiny/resolve/main/tiny.pth")]
    assert ranges == [None, f"bytes={len(small_model) // 3}-"]  # the second request resumed
    assert dest.read_bytes() == small_model and not part_path(dest).exists()
    assert dialog.settings.get("ai.model_path") == str(dest) == changed[0]
    assert "RWKV-7" in dialog.message.text() and dialog.table.item(0, 4).text() == "active"
    assert Settings.load(dialog.ctx.paths.settings_path).get("ai.model_path") == str(dest)


def test_a_corrupt_download_fails_its_checksum(qtbot, dialog, server, small_model) -> None:
    server.route("/hf/test/tiny/resolve/main/tiny.pth", ranged(small_model))
    model = use_catalog(dialog, small_model, "0" * 64)
    qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.job is None, timeout=20000)
    assert "checksum" in dialog.message.text()
    assert not dialog.dest_for(model).exists() and dialog.settings.get("ai.model_path") == ""


def test_cancel_keeps_the_partial_file(qtbot, dialog, server, small_model) -> None:
    headers = {"Content-Type": "application/octet-stream"}
    server.route("/hf/test/tiny/resolve/main/tiny.pth", Reply(200, small_model, headers, chunk_delay=0.05))
    model = use_catalog(dialog, small_model, hashlib.sha256(small_model).hexdigest())
    qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=10000)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.job is None, timeout=20000)
    assert dialog.message.text().startswith("Cancelled")
    part = part_path(dialog.dest_for(model))
    assert 0 < part.stat().st_size < len(small_model) and not dialog.dest_for(model).exists()


def test_opening_a_bad_file_shows_why(qtbot, dialog, tmp_path: Path) -> None:
    bad = tmp_path / "notes.pth"
    bad.write_text("hello")
    dialog.inspect_and_use(bad)
    qtbot.waitUntil(lambda: dialog.message.text().startswith("⚠"), timeout=20000)
    assert dialog.settings.get("ai.model_path") == ""


def test_settings_are_saved(qtbot, dialog) -> None:
    dialog.device.setCurrentText("cpu")
    dialog.dtype.setCurrentText("bf16")
    dialog.threads.setValue(2)
    dialog.presets["creative"][0].setValue(1.3)
    dialog.save_settings()
    saved = Settings.load(dialog.ctx.paths.settings_path)
    assert (saved.get("ai.device"), saved.get("ai.dtype"), saved.get("ai.threads")) == ("cpu", "bf16", 2)
    assert saved.get("ai.creative_temperature") == pytest.approx(1.3)
