"""The hearth://article/ID links in what the model wrote (the panel's digest, the daily briefing, Ask's
sources; made from app.ai.results.ARTICLE_LINK): which article a clicked link names."""

from __future__ import annotations

import logging

from PySide6.QtCore import QUrl

log = logging.getLogger(__name__)


def article_link_id(url: QUrl) -> int | None:
    """The article id of a hearth://article/ID link; None for any other link (a malformed one is logged)."""
    if url.scheme() != "hearth" or url.host() != "article":
        return None
    try:
        return int(url.path().strip("/"))
    except ValueError:
        log.info("not an article link: %s", url.toString())
        return None
