"""The Qt-free core: `Library`, one user's Hearth opened from a data folder, which the CLI commands, the
feed server and the window share (store, settings, cookie vault, sources, refresher, assistant)."""

from app.library.core import KEYRING, Library, SourceMatch, outcomes_by_feed

__all__ = ["KEYRING", "Library", "SourceMatch", "outcomes_by_feed"]
