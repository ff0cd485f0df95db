"""The article links in AI output (digest, briefing, Ask's sources): one parser for all three views."""

from __future__ import annotations

from PySide6.QtCore import QUrl

from app.ai.results import ARTICLE_LINK
from app.ui.ai_links import article_link_id


def test_an_article_link_names_its_article() -> None:
    assert article_link_id(QUrl(ARTICLE_LINK.format(id=42))) == 42
    assert article_link_id(QUrl("hearth://article/7/")) == 7


def test_other_links_name_none() -> None:
    assert article_link_id(QUrl("hearth://article/otters")) is None  # malformed: logged, not raised
    assert article_link_id(QUrl("hearth://feed/3")) is None
    assert article_link_id(QUrl("https://example.com/article/3")) is None
    assert article_link_id(QUrl("")) is None
