"""What every window and dialog of the app shares: paths, settings, the GUI's read-only store, workers.

Settings are saved by merging: the app writes only the keys it changed since it last read the file,
on top of what the file says now, so `hearth config set` run while the app is open is not undone by
the app's next save. `reload_settings` takes the file's values for keys the app has not changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.config import Paths, Settings
from app.library import Library
from app.ui.background import TaskPool
from app.ui.db_executor import DbExecutor
from app.ui.resource_fetcher import ResourceFetcher


def snapshot(settings: Settings) -> dict[str, Any]:
    return {spec.key: value for spec, value in settings.items()}


@dataclass
class UiContext:
    paths: Paths
    settings: Settings
    store: Any  # app.storage.Store opened on the GUI thread: trivial reads only (ids, a page of rows)
    db: DbExecutor  # writes and heavier reads, in order, on its own thread
    tasks: TaskPool  # network jobs (discovery)
    resources: ResourceFetcher  # images and favicons
    library: Library  # the Qt-free core the window shares with the CLI and the feed server (vault, sources)
    _baseline: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # the file as it is now: values set in memory before (command-line overrides) count as the app's
        path = self.settings.path
        self._baseline = snapshot(Settings.load(path) if path is not None else Settings())

    def save_settings(self) -> None:
        """Write the keys changed in the app onto the file as it is now (others' edits survive)."""
        path = self.settings.path
        if path is None:
            self.settings.save()
            return
        on_disk = Settings.load(path)
        for key, value in snapshot(self.settings).items():
            if value != self._baseline.get(key):
                on_disk.set(key, value)
        on_disk.save()
        self._adopt(on_disk)

    def reload_settings(self) -> set[str]:
        """Take the file's values for keys the app has not changed; returns the keys that changed."""
        if self.settings.path is None or not self.settings.path.exists():
            return set()
        return self._adopt(Settings.load(self.settings.path))

    def _adopt(self, on_disk: Settings) -> set[str]:
        current = snapshot(self.settings)
        changed: set[str] = set()
        for key, value in snapshot(on_disk).items():
            unchanged_here = current.get(key) == self._baseline.get(key)
            if unchanged_here and current.get(key) != value:
                self.settings.set(key, value)
                changed.add(key)
        self._baseline = snapshot(on_disk)
        return changed
