"""What every window and dialog of the app shares: paths, settings, the GUI's read-only store, workers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.config import Paths, Settings
from app.ui.background import TaskPool
from app.ui.db_executor import DbExecutor
from app.ui.resource_fetcher import ResourceFetcher


@dataclass
class UiContext:
    paths: Paths
    settings: Settings
    store: Any  # app.storage.Store opened on the GUI thread: trivial reads only (ids, a page of rows)
    db: DbExecutor  # writes and heavier reads, in order, on its own thread
    tasks: TaskPool  # network jobs (discovery)
    resources: ResourceFetcher  # images and favicons

    def save_settings(self) -> None:
        self.settings.save()
