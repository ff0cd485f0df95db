"""Weibo (微博) as feeds: a user's posts and the signed-in user's home timeline."""

from __future__ import annotations

from app.sources.weibo.sources import TimelineSource, UserPostsSource

SOURCES = (UserPostsSource(), TimelineSource())

__all__ = ["SOURCES"]
