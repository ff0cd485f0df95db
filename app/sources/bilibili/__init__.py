"""Bilibili (哔哩哔哩) as feeds: a user's videos and dynamics, the follow feed, a favourites folder."""

from __future__ import annotations

from app.sources.bilibili.sources import (
    FavSource,
    FollowingsDynamicSource,
    UserDynamicSource,
    UserVideoSource,
)

# Order matters for URL matching: /<uid>/dynamic and /<uid>/favlist before the bare space page.
SOURCES = (UserDynamicSource(), FavSource(), FollowingsDynamicSource(), UserVideoSource())

__all__ = ["SOURCES"]
