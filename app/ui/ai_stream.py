"""What goes back to the GUI while an AI request runs (no Qt): its streamed text in batches of FLUSH_S, the
model-loading progress at most every LOADING_EVERY_S, and the `Run` a request handler gets to say both."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from app.ui.ai_queue import Job

FLUSH_S = 0.03  # text batched per 30 ms: smooth for the eye, cheap for the event loop
LOADING_EVERY_S = 0.05  # the loading bar moves at most this often (and always at 100 %)
Progress = Callable[[float], None] | None


class Batcher:
    """Collects streamed text on the worker thread and emits it at most every FLUSH_S."""

    def __init__(self, emit: Callable[[str], object]) -> None:
        self._emit = emit
        self._buffer: list[str] = []
        self._last = 0.0

    def __call__(self, text: str) -> None:
        self._buffer.append(text)
        now = time.monotonic()
        if now - self._last >= FLUSH_S:
            self.flush()
            self._last = now

    def flush(self) -> None:
        if self._buffer:
            text, self._buffer = "".join(self._buffer), []
            self._emit(text)


def loading_progress(emit: Callable[[float], object]) -> Callable[[float], None]:
    """A model-loading progress hook that says 0 at once, then at most every LOADING_EVERY_S, and the end."""
    last = [0.0]

    def progress(fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] >= LOADING_EVERY_S or fraction >= 1.0:
            last[0] = now
            emit(float(fraction))

    emit(0.0)
    return progress


@dataclass
class Run:
    """What a handler gets besides its request: the job, the text stream, the model-loading progress hook."""

    job: Job
    stream: Batcher
    progress: Progress
