"""Fetching: one shared httpx client, per-host politeness, conditional GET, the refresher, discovery.

from app.fetching import Refresher
with Refresher(store, settings) as refresher:
    report = refresher.refresh(progress=lambda done, total, feed, outcome: ...)
"""

from app.fetching.discovery import discover, discover_async
from app.fetching.options import FetchOptions
from app.fetching.refresher import FeedOutcome, Refresher, RefreshReport

__all__ = ["FeedOutcome", "FetchOptions", "RefreshReport", "Refresher", "discover", "discover_async"]
