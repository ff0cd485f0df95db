"""The local feed server: Hearth's feeds (and RSSHub-style source paths) as RSS/Atom/JSON on 127.0.0.1."""

from app.server.httpd import FeedServer, check_loopback

__all__ = ["FeedServer", "check_loopback"]
