"""The model manager: the catalog of recommended RWKV models (size, memory, whether it fits here), resumable
checksum-verified downloads into the models folder, "Open a model file…", and the AI settings (active model,
device, precision, threads, sampling presets). Downloads and file checks run off the GUI thread.
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ai.catalog import CatalogModel, fits, load_catalog, system_memory
from app.config import SAMPLING_KEYS, Key
from app.errors import DownloadCancelled, HearthError
from app.i18n import _, lazy_gettext
from app.sizes import format_size

log = logging.getLogger(__name__)

PRESETS = ("summary", "chat", "creative")
FIT_TEXT = {"gpu": "GPU", "cpu": "CPU", "cpu-bf16": "CPU (bf16)", "": lazy_gettext("too big")}
PRESET_LABELS = {
    "summary": lazy_gettext("Summary sampling"),
    "chat": lazy_gettext("Chat sampling"),
    "creative": lazy_gettext("Creative sampling"),
}


def _gib(n: int) -> str:
    return format_size(n, "GiB")


def gpu_memory() -> int:
    """Total GPU memory, only if torch is already loaded (the dialog never imports it for this)."""
    torch = sys.modules.get("torch")
    try:
        if torch is not None and torch.cuda.is_available():
            return int(torch.cuda.get_device_properties(0).total_memory)
    except (RuntimeError, AssertionError):
        pass
    return 0


class DownloadJob(QObject):
    """One download in its own thread; signals come back to the GUI thread."""

    progressed = Signal(int, object)  # bytes done, total or None
    succeeded = Signal(str)
    failed = Signal(str, bool)  # message, cancelled

    def __init__(self, url: str, dest: Path, model: CatalogModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.url, self.dest, self.model = url, dest, model
        self.cancel_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="hearth-download", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def cancel(self) -> None:
        self.cancel_event.set()

    def _run(self) -> None:
        from app.ai.download import download_file

        try:
            path = download_file(
                self.url, self.dest, expected_size=self.model.size, sha256=self.model.sha256,
                progress=lambda done, total: self.progressed.emit(done, total), cancel=self.cancel_event,
            )  # fmt: skip
        except DownloadCancelled as exc:
            self.failed.emit(exc.user_message(), True)
        except HearthError as exc:
            self.failed.emit(exc.user_message(), False)
        except OSError as exc:
            self.failed.emit(_("cannot write {path}: {reason}").format(path=self.dest, reason=exc), False)
        else:
            self.succeeded.emit(str(path))


class ModelManagerDialog(QDialog):
    model_changed = Signal(str)  # the new active model file

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("AI models"))
        self.ctx = ctx
        self.settings = ctx.settings
        self.catalog = load_catalog()
        self.job: DownloadJob | None = None
        self.last_error = ""
        self._build()
        self.refresh_table()

    # layout ---------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.table = QTableWidget(len(self.catalog), 5)
        self.table.setHorizontalHeaderLabels(
            [_("Model"), _("Download"), _("Memory (fp16 / fp32)"), _("Fits"), _("Status")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.download_button = QPushButton(_("Download"))
        self.cancel_button = QPushButton(_("Cancel download"))
        self.cancel_button.setEnabled(False)
        self.use_button = QPushButton(_("Use selected"))
        self.open_button = QPushButton(_("Open a model file…"))
        self.download_button.clicked.connect(self.download_selected)
        self.cancel_button.clicked.connect(self.cancel_download)
        self.use_button.clicked.connect(self.use_selected)
        self.open_button.clicked.connect(self.choose_file)
        self.progress = QProgressBar()
        self.progress.hide()
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.active = QLabel(self.settings.get(Key.AI_MODEL_PATH) or _("none"))
        self.active.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.device = QComboBox()
        self.device.addItems(Key.AI_DEVICE.choices)
        self.device.setCurrentText(self.settings.get(Key.AI_DEVICE))
        self.dtype = QComboBox()
        self.dtype.addItems(Key.AI_DTYPE.choices)
        self.dtype.setCurrentText(self.settings.get(Key.AI_DTYPE))
        self.threads = QSpinBox(minimum=0, maximum=256)
        self.threads.setSpecialValueText(_("auto (all cores but one)"))
        self.threads.setValue(self.settings.get(Key.AI_THREADS))
        self.presets: dict[str, tuple[QDoubleSpinBox, QDoubleSpinBox]] = {}
        form = QFormLayout()
        form.addRow(_("Active model"), self.active)
        form.addRow(_("Device"), self.device)
        form.addRow(_("Precision"), self.dtype)
        form.addRow(_("CPU threads"), self.threads)
        for preset in PRESETS:
            temp = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=3.0, singleStep=0.1)
            temp.setValue(self.settings.get(SAMPLING_KEYS[preset][0]))
            top_p = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=1.0, singleStep=0.05)
            top_p.setValue(self.settings.get(SAMPLING_KEYS[preset][1]))
            row = QHBoxLayout()
            row.addWidget(QLabel(_("temperature")))
            row.addWidget(temp)
            row.addWidget(QLabel(_("top-p")))
            row.addWidget(top_p)
            form.addRow(str(PRESET_LABELS[preset]), row)
            self.presets[preset] = (temp, top_p)
        buttons = QHBoxLayout()
        for b in (self.download_button, self.cancel_button, self.use_button, self.open_button):
            buttons.addWidget(b)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close)
        box.accepted.connect(self.save_settings)
        box.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(_("This machine: {ram} RAM").format(ram=_gib(system_memory())) + self._gpu_note())
        )
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addLayout(form)
        layout.addWidget(box)
        self.resize(820, 560)

    def _gpu_note(self) -> str:
        vram = gpu_memory()
        return f", GPU {_gib(vram)}" if vram else ""

    def dest_for(self, model: CatalogModel) -> Path:
        return self.ctx.paths.models_dir / model.filename

    def refresh_table(self) -> None:
        ram, vram = system_memory(), gpu_memory()
        active = self.settings.get(Key.AI_MODEL_PATH)
        for row, model in enumerate(self.catalog):
            dest = self.dest_for(model)
            status = (
                _("downloaded")
                if dest.exists()
                else (_("partial") if dest.with_name(dest.name + ".part").exists() else "")
            )
            if str(dest) == active:
                status = _("active")
            cells = [
                model.name,
                _gib(model.approx_size),
                f"{_gib(model.memory_needed('fp16'))} / {_gib(model.memory_needed('fp32'))}",
                str(FIT_TEXT[fits(model, ram=ram, vram=vram)]),
                status,
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 0 and model.note:
                    item.setToolTip(model.note)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()

    def selected_model(self) -> CatalogModel | None:
        row = self.table.currentRow()
        return self.catalog[row] if 0 <= row < len(self.catalog) else None

    # downloads ------------------------------------------------------------------------------------
    def download_selected(self) -> None:
        model = self.selected_model()
        if model is None or self.job is not None:
            return
        url = model.url(self.settings.get(Key.AI_DOWNLOAD_BASE))
        self.job = DownloadJob(url, self.dest_for(model), model, self)
        self.job.progressed.connect(self._on_progress)
        self.job.succeeded.connect(self._on_downloaded)
        self.job.failed.connect(self._on_download_failed)
        self.progress.setValue(0)
        self.progress.show()
        self.download_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.message.setText(_("Downloading {name}…").format(name=model.name))
        self.job.start()

    def cancel_download(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _on_progress(self, done: int, total: int | None) -> None:
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(done * 1000 / total))
            self.progress.setFormat(f"{done / 2**20:.1f} / {total / 2**20:.1f} MiB")
        else:
            self.progress.setRange(0, 0)

    def _finish_job(self) -> None:
        self.job = None
        self.download_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.refresh_table()

    def _on_downloaded(self, path: str) -> None:
        self._finish_job()
        self.progress.hide()
        self.message.setText(_("Downloaded and verified: {name}. Checking it…").format(name=Path(path).name))
        self.inspect_and_use(Path(path))

    def _on_download_failed(self, message: str, cancelled: bool) -> None:
        self._finish_job()
        self.last_error = message
        self.message.setText((_("Cancelled: ") if cancelled else "⚠ ") + message)

    # choosing a model -----------------------------------------------------------------------------
    def use_selected(self) -> None:
        model = self.selected_model()
        if model is not None and self.dest_for(model).exists():
            self.inspect_and_use(self.dest_for(model))

    def choose_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self,
            _("Open an RWKV model"),
            str(self.ctx.paths.models_dir),
            _("RWKV models (*.pth *.safetensors)"),
        )
        if path:
            self.inspect_and_use(Path(path))

    def inspect_and_use(self, path: Path) -> None:
        """Check the file is an RWKV checkpoint (off the GUI thread: torch loads), then make it active."""

        def inspect() -> Any:
            from app.ai.checkpoint import inspect_checkpoint

            return inspect_checkpoint(path)

        self.message.setText(_("Checking {name}…").format(name=path.name))
        self.ctx.tasks.submit(inspect, lambda info: self._use(path, info), self._on_inspect_failed)

    def _use(self, path: Path, info: Any) -> None:
        self.settings.set(Key.AI_MODEL_PATH, str(path))
        self.ctx.save_settings()
        self.active.setText(str(path))
        self.message.setText(
            _(
                "Active model: {name} — RWKV-{version}, {layers} layers × {width}, {millions:.0f}M parameters, "
                "{dtype}, {tokenizer} tokenizer; needs {fp16} (fp16) / {fp32} (fp32)"
            ).format(
                name=path.name,
                version=info.version,
                layers=info.n_layer,
                width=info.n_embd,
                millions=info.params / 1e6,
                dtype=info.file_dtype,
                tokenizer=info.tokenizer,
                fp16=_gib(info.memory_needed("fp16")),
                fp32=_gib(info.memory_needed("fp32")),
            )
        )
        self.refresh_table()
        self.model_changed.emit(str(path))

    def _on_inspect_failed(self, exc: Exception) -> None:
        self.last_error = (
            exc.user_message()
            if isinstance(exc, HearthError)
            else _("not a usable model: {reason}").format(reason=exc)
        )
        self.message.setText(f"⚠ {self.last_error}")

    def save_settings(self) -> None:
        s = self.settings
        s.set(Key.AI_DEVICE, self.device.currentText())
        s.set(Key.AI_DTYPE, self.dtype.currentText())
        s.set(Key.AI_THREADS, self.threads.value())
        for preset, (temp, top_p) in self.presets.items():
            s.set(SAMPLING_KEYS[preset][0], temp.value())
            s.set(SAMPLING_KEYS[preset][1], top_p.value())
        self.ctx.save_settings()
        self.message.setText(
            _("Settings saved (a changed device or precision reloads the model on next use)")
        )

    def done(self, result: int) -> None:
        if self.job is not None:
            self.job.cancel()
        super().done(result)
