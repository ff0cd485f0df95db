"""Cancel flags of model runs and how finely each kind of run can be stopped: a user's request reads its prompt in
large slices, background work (read-ahead, per-feed rules) in small ones, so a user's request that stops it
waits at most one small slice. Torch-free, so the window's AI worker can make these flags without loading it."""

from __future__ import annotations

import threading

PREFILL_SLICE = 512  # prompt tokens per forward call for the user's own requests; a cancel lands within one
BACKGROUND_SLICE = 64  # the same for background work: about 0.5 s of the 1.5B on a CPU instead of about 4 s


class BackgroundCancel(threading.Event):
    """The cancel flag of background work. Prefill under it reads BACKGROUND_SLICE tokens per forward call and
    checks the flag between calls; decoding checks it after every token, as for any flag."""


def prefill_slice(cancel: threading.Event | None) -> int:
    """Prompt tokens fed per forward call under `cancel`: small for background work, large otherwise (fewer,
    larger calls read the weights fewer times, which is what makes the user's own prefill fast)."""
    return BACKGROUND_SLICE if isinstance(cancel, BackgroundCancel) else PREFILL_SLICE
