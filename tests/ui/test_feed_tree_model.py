"""The feed tree model: smart views, folders, counts rolled up, error/cooldown badges, drag and drop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QModelIndex, Qt

from app.models import Feed, Folder, SiteState
from app.ui.feed_tree_model import BADGE_ROLE, UNREAD_ROLE, FeedTreeModel


def test_tree_counts_badges_and_drops(qtbot) -> None:
    model = FeedTreeModel()
    folders = [Folder(1, "News"), Folder(2, "Tech", parent_id=1)]
    feeds = [
        Feed(10, "https://a.example/feed", "Alpha", folder_id=2),
        Feed(
            11,
            "https://b.example/feed",
            "Beta",
            folder_id=1,
            consecutive_errors=2,
            last_status=403,
            last_error="403 Forbidden",
        ),
        Feed(12, "https://www.zhihu.com/people/x/activities", "Zhihu X", kind="zhihu.people.activities"),
    ]
    state = SiteState(
        "zhihu.com", cooldown_until=datetime.now(UTC) + timedelta(minutes=30), last_error="banned"
    )
    model.set_library(folders, feeds, {"zhihu.com": state})
    model.set_counts({10: 3, 11: 2, 12: 1}, {"all": 9, "unread": 6, "starred": 1, "today": 2})
    names = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert names[:4] == ["All articles", "Unread", "Starred", "Today"] and names[4] == "News"
    news = model.index_of("folder", 1)
    assert news.data(UNREAD_ROLE) == 5  # Tech (3) + Beta (2)
    assert model.index_of("folder", 2).data(UNREAD_ROLE) == 3
    assert model.index_of("smart", "unread").data(UNREAD_ROLE) == 6
    beta = model.index_of("feed", 11)
    assert beta.data(BADGE_ROLE) == "error"
    tip = beta.data(Qt.ItemDataRole.ToolTipRole)
    assert "403 Forbidden" in tip and "User-Agent" in tip  # the error and what to do
    zhihu = model.index_of("feed", 12)
    assert zhihu.data(BADGE_ROLE) == "cooldown" and "paused until" in zhihu.data(Qt.ItemDataRole.ToolTipRole)
    assert model.index_of("feed", 10).data(Qt.ItemDataRole.FontRole).bold()

    moved = []
    model.moved.connect(lambda f, d, target: moved.append((f, d, target)))
    data = model.mimeData([model.index_of("feed", 10), model.index_of("folder", 2)])
    assert model.dropMimeData(data, Qt.DropAction.MoveAction, -1, 0, QModelIndex())
    assert moved == [([10], [2], None)]  # to the top level
    assert not model.dropMimeData(data, Qt.DropAction.MoveAction, -1, 0, model.index_of("smart", "all"))
    assert model.feed_ids_under(model.node(news)) == [10, 11]
