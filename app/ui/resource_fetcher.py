"""Images and favicons through Hearth's own fetcher (app.fetching.http) into a disk cache.

One background thread runs an asyncio loop with one shared client; `fetch(url, on_done)` answers from
the disk cache when it can and otherwise downloads there, then calls `on_done(path | None)` on the
GUI thread. Views never touch the network themselves.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from app.config import Settings
from app.errors import HearthError
from app.ui.background import CallbackRelay

if TYPE_CHECKING:
    import asyncio  # imported with the loop, on the first download (not before the window's first paint)

log = logging.getLogger(__name__)

IMAGE_ACCEPT = "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5"
MAX_RESOURCE_BYTES = 8 * 1024 * 1024


class ResourceFetcher(QObject):
    def __init__(self, cache_dir: Path, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache_dir = Path(cache_dir)
        self._settings = settings
        self._relay = CallbackRelay(self)
        self._failed: set[str] = set()
        self._waiting: dict[str, list[Callable[[Path | None], None]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Any = None
        self._options: Any = None
        self._thread: threading.Thread | None = None
        self._closed = False  # after close(): nothing downloads (no new loop thread)

    def cached_path(self, url: str) -> Path:
        digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:40]
        return self.cache_dir / digest[:2] / digest

    def cached(self, url: str) -> Path | None:
        path = self.cached_path(url)
        return path if path.exists() else None

    def fetch(
        self, url: str, on_done: Callable[[Path | None], None], *, max_bytes: int | None = None
    ) -> None:
        """`on_done(path)` with the cached file, or `on_done(None)` if it cannot be had. `max_bytes`
        raises the size limit (media files); images stay under MAX_RESOURCE_BYTES."""
        path = self.cached(url)
        if path is not None:
            on_done(path)
            return
        if self._closed or url in self._failed or not url.startswith(("http://", "https://")):
            on_done(None)
            return
        if url in self._waiting:
            self._waiting[url].append(on_done)
            return
        self._waiting[url] = [on_done]
        loop = self._ensure_loop()
        import asyncio

        future = asyncio.run_coroutine_threadsafe(self._download(url, max_bytes), loop)
        future.add_done_callback(lambda fut, url=url: self._relay.deliver(self._finish, (url, fut)))

    def _finish(self, item: tuple[str, Any]) -> None:
        url, future = item
        try:
            path = future.result()
        except CancelledError:  # closed while it was downloading: nothing to remember
            for callback in self._waiting.pop(url, []):
                callback(None)
            return
        except HearthError as exc:
            log.info("could not fetch %s: %s", url, exc.user_message())
            path = None
        except Exception:
            log.exception("fetching %s failed", url)
            path = None
        if path is None:
            self._failed.add(url)
        for callback in self._waiting.pop(url, []):
            callback(path)

    async def _download(self, url: str, max_bytes: int | None = None) -> Path | None:
        from app.fetching.http import get

        if self._client is None:  # built here, on the loop's thread, so the GUI never waits for imports
            from app.fetching.options import FetchOptions, build_client

            self._options = FetchOptions.from_settings(
                self._settings, max_body_bytes=MAX_RESOURCE_BYTES, timeout=30.0, connect_timeout=10.0
            )
            self._client = build_client(self._options)
        options = self._options
        if max_bytes is not None and max_bytes > options.max_body_bytes:
            options = dataclasses.replace(options, max_body_bytes=max_bytes, timeout=600.0)
        result = await get(self._client, url, options, headers={"Accept": IMAGE_ACCEPT})
        if result.status != 200 or not result.body:
            return None
        path = self.cached_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(result.body)
        tmp.replace(path)
        return path

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        """The loop exists at once (nothing to wait for); its thread runs it and does the imports."""
        if self._loop is None:
            import asyncio

            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(
                target=self._run_loop, args=(self._loop,), name="hearth-resources", daemon=True
            )
            self._thread.start()
        return self._loop

    def _run_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        import asyncio

        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            # Downloads asked for just before close() are still callbacks that would create their tasks:
            # run them, then cancel every task, so no coroutine is left never awaited.
            loop.run_until_complete(asyncio.sleep(0))
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            if self._client is not None:
                loop.run_until_complete(self._client.aclose())
            loop.close()

    def close(self) -> None:
        self._closed = True
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(5)
            self._loop = None
