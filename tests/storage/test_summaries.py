"""AI summaries and per-site politeness state."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.errors import NotFoundError
from app.models import SiteState, Summary
from app.storage import Store, open_store
from tests.storage.conftest import T0, make_item


def test_summary_save_replace_get(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    (aid,) = store.upsert_articles(feed.id, [make_item(1)]).new_ids
    assert store.get_summary(aid, "rwkv7-0.4b", "v1") is None
    store.save_summary(Summary(aid, "rwkv7-0.4b", "v1", "first", T0))
    store.save_summary(Summary(aid, "rwkv7-0.4b", "v1", "second", T0 + timedelta(hours=1)))
    store.save_summary(Summary(aid, "rwkv7-0.4b", "v2", "other prompt", T0))
    got = store.get_summary(aid, "rwkv7-0.4b", "v1")
    assert got == Summary(aid, "rwkv7-0.4b", "v1", "second", T0 + timedelta(hours=1))
    assert store.get_summary(aid, "rwkv7-0.4b", "v2").text == "other prompt"  # type: ignore[union-attr]
    with pytest.raises(NotFoundError):
        store.save_summary(Summary(999, "m", "v1", "x", T0))


def test_site_state_round_trip_survives_reopen(store: Store, db_path) -> None:
    assert store.get_site_state("www.zhihu.com") is None
    state = SiteState("www.zhihu.com", cooldown_until=T0, cooldown_level=2, last_request=T0 - timedelta(seconds=5),
                      requests_this_hour=17, hour_started=T0 - timedelta(minutes=30), last_error="403 captcha")  # fmt: skip
    store.save_site_state(state)
    store.close()
    with open_store(db_path) as again:
        assert again.get_site_state("www.zhihu.com") == state
        again.save_site_state(SiteState("www.zhihu.com"))
        assert again.get_site_state("www.zhihu.com") == SiteState("www.zhihu.com")
