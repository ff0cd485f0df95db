"""RWKV states of prefilled article contexts: a small in-memory LRU in front of a bounded folder on disk.

A key names the model (and its run dtype), the prompt version, the article and a hash of the exact text
that was prefilled, so an edited article, a new template or another context budget never reuses a stale
state. Disk entries are `<sha256 of key>.state` files: a JSON header line, then `State.to_bytes()`.

`compact` puts (read-ahead's) store float32 tensors as float16 on disk, about half the size; the memory entry
is the same rounded state, so an answer is the same whether it came from memory or disk. The folder is pruned
oldest first (each write or read gets a strictly later mtime, so the order is exact even within one tick).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.errors import ModelError

if TYPE_CHECKING:
    from app.ai.state import State

log = logging.getLogger(__name__)

SUFFIX = ".state"
_MAGIC = b"HEARTH-STATE-CACHE/1\n"


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()[:16]


@dataclass(frozen=True)
class StateKey:
    model_id: str
    prompt_version: str
    article_id: int
    content_hash: str

    def digest(self) -> str:
        raw = "\x1f".join((self.model_id, self.prompt_version, str(self.article_id), self.content_hash))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass
class CachedState:
    state: State
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. prefilled token count, cut flag


class StateCache:
    """get/put by StateKey. States handed out are copies, so callers may advance them freely."""

    def __init__(
        self, directory: Path | None, *, memory_items: int = 8, disk_items: int = 48, disk_mb: int = 512
    ) -> None:
        self.directory = directory
        self.memory_items = memory_items
        self.disk_items = disk_items
        self.disk_bytes = disk_mb * 1024 * 1024
        self._memory: OrderedDict[str, CachedState] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = {"memory": 0, "disk": 0, "miss": 0}
        self._last_ns = 0

    def get(self, key: StateKey, *, device: Any = "cpu") -> CachedState | None:
        digest = key.digest()
        with self._lock:
            entry = self._memory.get(digest)
            if entry is not None:
                self._memory.move_to_end(digest)
                self.hits["memory"] += 1
                return CachedState(entry.state.copy(), dict(entry.meta))
        entry = self._load(digest, device)
        if entry is None:
            self.hits["miss"] += 1
            return None
        self.hits["disk"] += 1
        self._remember(digest, entry)
        return CachedState(entry.state.copy(), dict(entry.meta))

    def put(
        self, key: StateKey, state: State, meta: dict[str, Any] | None = None, *, compact: bool = False
    ) -> State:
        """Keep `state` under `key`; returns the state as kept (rounded to float16 when `compact`)."""
        digest = key.digest()
        kept = state.compacted() if compact else state.copy()
        entry = CachedState(kept, dict(meta or {}))
        self._remember(digest, entry)
        self._save(digest, entry, compact=compact)
        return kept.copy()

    def has(self, key: StateKey) -> bool:
        """Whether a state is kept under `key` (in memory or on disk), without reading it."""
        digest = key.digest()
        with self._lock:
            if digest in self._memory:
                return True
        path = self._path(digest)
        return path is not None and path.is_file()

    def on_disk(self, key: StateKey) -> bool:
        path = self._path(key.digest())
        return path is not None and path.is_file()

    def disk_usage(self) -> int:
        """Bytes the folder's states take."""
        if self.directory is None or not self.directory.is_dir():
            return 0
        return sum(p.stat().st_size for p in self.directory.glob(f"*{SUFFIX}") if p.is_file())

    def clear(self) -> None:
        with self._lock:
            self._memory.clear()
        if self.directory is not None and self.directory.is_dir():
            for path in self.directory.glob(f"*{SUFFIX}"):
                path.unlink(missing_ok=True)

    def __len__(self) -> int:
        return len(self._memory)

    # memory ------------------------------------------------------------------------------------------
    def _remember(self, digest: str, entry: CachedState) -> None:
        with self._lock:
            self._memory[digest] = entry
            self._memory.move_to_end(digest)
            while len(self._memory) > self.memory_items:
                self._memory.popitem(last=False)

    # disk --------------------------------------------------------------------------------------------
    def _path(self, digest: str) -> Path | None:
        return self.directory / f"{digest}{SUFFIX}" if self.directory is not None else None

    def _touch(self, path: Path) -> None:
        """A strictly later mtime than any this cache set before (pruning is oldest first)."""
        now = max(time.time_ns(), self._last_ns + 1000)
        self._last_ns = now
        os.utime(path, ns=(now, now))

    def _save(self, digest: str, entry: CachedState, *, compact: bool = False) -> None:
        path = self._path(digest)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            header = json.dumps(entry.meta, ensure_ascii=True).encode("ascii") + b"\n"
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
            with os.fdopen(fd, "wb") as fh:
                fh.write(_MAGIC + header + entry.state.to_bytes(compact=compact))
            os.replace(tmp, path)
            self._touch(path)
            self._prune()
        except OSError as exc:  # a full or read-only disk only costs speed
            log.warning("could not save a model state to %s: %s", path, exc)

    def _load(self, digest: str, device: Any) -> CachedState | None:
        path = self._path(digest)
        if path is None or not path.is_file():
            return None
        try:
            data = path.read_bytes()
            if not data.startswith(_MAGIC):
                raise ModelError("not a state cache file")
            header_end = data.index(b"\n", len(_MAGIC))
            meta = json.loads(data[len(_MAGIC) : header_end])
            from app.ai.state import State

            state = State.from_bytes(data[header_end + 1 :], device=device)
            self._touch(path)  # recently used: pruned last
        except (OSError, ValueError, ModelError) as exc:
            log.info("dropping unreadable cached state %s: %s", path.name, exc)
            path.unlink(missing_ok=True)
            return None
        return CachedState(state, meta if isinstance(meta, dict) else {})

    def _prune(self) -> None:
        assert self.directory is not None
        files = []
        for path in self.directory.glob(f"*{SUFFIX}"):
            try:
                st = path.stat()
            except OSError:
                continue
            files.append((st.st_mtime_ns, st.st_size, path))
        files.sort(reverse=True)  # newest first
        total = 0
        for index, (_mtime, size, path) in enumerate(files):
            total += size
            if index >= self.disk_items or total > self.disk_bytes:
                path.unlink(missing_ok=True)
