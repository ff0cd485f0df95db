"""Article lists (query_ids, list_articles, counts) and full-text search, including hostile input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.errors import StorageError
from app.models import ArticleQuery
from app.storage import Store
from app.storage.text import fts_query
from tests.storage.conftest import make_item


@pytest.fixture
def library(store: Store) -> dict[str, object]:
    tech = store.add_folder("Tech")
    rust = store.add_folder("Rust", tech.id)
    a = store.add_feed("https://a.example/feed", title="A", folder_id=tech.id)
    b = store.add_feed("https://b.example/feed", title="B", folder_id=rust.id)
    c = store.add_feed("https://c.example/feed", title="C")
    a_ids = store.upsert_articles(
        a.id, [make_item(i, days_ago=i, title=f"Alpha {i}") for i in range(4)]
    ).new_ids
    b_ids = store.upsert_articles(b.id, [make_item(10 + i, days_ago=i + 0.5) for i in range(3)]).new_ids
    c_ids = store.upsert_articles(c.id, [make_item(20, title="Today's news")]).new_ids  # no date: first seen
    return {
        "tech": tech,
        "rust": rust,
        "a": a,
        "b": b,
        "c": c,
        "a_ids": a_ids,
        "b_ids": b_ids,
        "c_ids": c_ids,
    }


def test_query_orders_and_filters(store: Store, library: dict) -> None:
    a_ids, b_ids, c_ids = library["a_ids"], library["b_ids"], library["c_ids"]
    a = library["a"]
    assert store.query_ids(ArticleQuery(feed_ids=(a.id,))) == list(a_ids)
    assert store.query_ids(ArticleQuery(feed_ids=(a.id,), sort="oldest")) == list(reversed(a_ids))
    newest_all = store.query_ids(ArticleQuery())
    assert newest_all == [c_ids[0], a_ids[0], b_ids[0], a_ids[1], b_ids[1], a_ids[2], b_ids[2], a_ids[3]]
    assert store.query_ids(ArticleQuery(smart="all")) == newest_all
    both = store.query_ids(ArticleQuery(feed_ids=(a.id, library["c"].id)))
    assert set(both) == {*a_ids, *c_ids}
    assert store.query_ids(ArticleQuery(feed_ids=())) == []
    titles = [r.title for r in store.list_articles(ArticleQuery(sort="title"))]
    assert titles == sorted(titles, key=str.lower)


def test_folder_query_includes_subfolders(store: Store, library: dict) -> None:
    tech_ids = store.query_ids(ArticleQuery(folder_id=library["tech"].id))
    assert set(tech_ids) == {*library["a_ids"], *library["b_ids"]}
    assert set(store.query_ids(ArticleQuery(folder_id=library["rust"].id))) == set(library["b_ids"])


def test_unread_starred_today_and_counts(store: Store, library: dict) -> None:
    a_ids, c_ids = library["a_ids"], library["c_ids"]
    store.mark_read(a_ids[:2])
    store.star([a_ids[0], a_ids[3]])
    unread = store.query_ids(ArticleQuery(smart="unread"))
    assert a_ids[0] not in unread and a_ids[2] in unread and len(unread) == 6
    assert store.query_ids(ArticleQuery(feed_ids=(library["a"].id,), unread_only=True)) == list(a_ids[2:])
    assert store.query_ids(ArticleQuery(smart="starred")) == [a_ids[0], a_ids[3]]
    assert store.query_ids(ArticleQuery(smart="today")) == list(c_ids)  # the others are dated 2024
    assert store.unread_counts() == {library["a"].id: 2, library["b"].id: 3, library["c"].id: 1}
    assert store.smart_counts() == {"all": 8, "unread": 6, "starred": 2, "today": 1}
    assert store.count_articles(ArticleQuery(smart="unread", folder_id=library["tech"].id)) == 5


def test_list_articles_pages(store: Store, library: dict) -> None:
    every = store.query_ids(ArticleQuery())
    page = store.list_articles(ArticleQuery(), offset=2, limit=3)
    assert [r.id for r in page] == every[2:5]
    assert [r.id for r in store.list_articles(ArticleQuery(), offset=6)] == every[6:]


def test_bad_query_values(store: Store) -> None:
    with pytest.raises(StorageError, match="smart view"):
        store.query_ids(ArticleQuery(smart="bogus"))
    with pytest.raises(StorageError, match="sort order"):
        store.query_ids(ArticleQuery(sort="random"))


def test_search_words_phrases_prefix_and_ranking(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    ids = store.upsert_articles(
        feed.id,
        [
            make_item(1, title="Rust release notes", body="<p>The borrow checker got faster.</p>"),
            make_item(2, title="Gardening", body="<p>Rust on leaves; the <b>release</b> of ladybirds.</p>"),
            make_item(
                3,
                title="Café culture",
                body="<script>var hidden = 'zebra';</script><p>Espresso &amp; more</p>",
            ),
        ],
    ).new_ids
    assert store.search("rust release")[0].id == ids[0]  # title hits rank first
    assert {r.id for r in store.search("rust release")} == {ids[0], ids[1]}
    assert [r.id for r in store.search('"borrow checker"')] == [ids[0]]
    assert store.search('"checker borrow"') == []
    assert [r.id for r in store.search("bor*")] == [ids[0]]
    assert [r.id for r in store.search("cafe")] == [ids[2]]  # diacritics folded
    assert [r.id for r in store.search("espresso")] == [ids[2]]
    assert store.search("zebra") == []  # script text is not article text
    assert [r.id for r in store.search("leaves", limit=1)] == [ids[1]]
    assert store.count_articles(ArticleQuery(search="rust")) == 2
    assert store.query_ids(ArticleQuery(search="rust", feed_ids=(feed.id,), sort="oldest")) == [
        ids[0],
        ids[1],
    ]


@pytest.mark.parametrize(
    "text",
    ['"', '""', "AND", "OR NOT", "*", "**", "rust AND", '"unbalanced', "NEAR(a b)", "a:b", "^x", "(", ")",
     "-", "+", "col:rust", "{title}: rust", "'", "\\", "\x00", "0\x00", "   ", "", "_", "rust*)", "🔥", 'a" OR "b'],
)  # fmt: skip
def test_hostile_search_text_never_raises(store: Store, text: str) -> None:
    feed = store.add_feed("https://a.example/feed")
    store.upsert_articles(feed.id, [make_item(1, title="Rust and AND or NOT stuff")])
    store.search(text)
    store.query_ids(ArticleQuery(search=text))
    store.count_articles(ArticleQuery(search=text))


def test_hostile_words_are_searched_as_words(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    (hit,) = store.upsert_articles(feed.id, [make_item(1, title="Cats AND dogs or NOT")]).new_ids
    store.upsert_articles(feed.id, [make_item(2, title="Only cats")])
    assert [r.id for r in store.search("cats AND dogs")] == [hit]
    assert [r.id for r in store.search('cats "and" NOT')] == [hit]
    assert len(store.search('"cats')) == 2  # an unbalanced quote is ignored


def test_chinese_and_japanese_search(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    ids = store.upsert_articles(
        feed.id,
        [
            make_item(1, title="知乎热榜", body="<p>今天的中文新闻：人工智能发展迅速。</p>"),
            make_item(2, title="日本語", body="<p>東京の天気は晴れです</p>"),
            make_item(3, title="Mixed iPhone手机评测", body="<p>English text</p>"),
        ],
    ).new_ids
    assert [r.id for r in store.search("人工智能")] == [ids[0]]
    assert [r.id for r in store.search("中文")] == [ids[0]]
    assert [r.id for r in store.search("热")] == [ids[0]]
    assert store.search("智人") == []  # characters must be adjacent, in order
    assert [r.id for r in store.search("天気")] == [ids[1]]
    assert [r.id for r in store.search("手机")] == [ids[2]]
    assert [r.id for r in store.search("iPhone手机")] == [ids[2]]
    assert [r.id for r in store.search("中文 新闻")] == [ids[0]]


def test_fts_query_shapes() -> None:
    assert fts_query("rust") == '"rust"'
    assert fts_query("rust lang*") == '"rust" AND "lang"*'
    assert fts_query('"a b" c') == '"a b" AND "c"'
    assert fts_query("中文") == '"中 文"'
    assert fts_query('" * AND') == '"AND"'
    assert fts_query("*** --- ((") is None


def test_search_after_delete_and_on_empty_db(store: Store) -> None:
    assert store.search("anything") == []
    feed = store.add_feed("https://a.example/feed")
    store.upsert_articles(feed.id, [make_item(1, title="ephemeral")])
    store.remove_feed(feed.id)
    assert store.search("ephemeral") == []


def test_rows_report_today_dates_in_utc(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    (aid,) = store.upsert_articles(feed.id, [make_item(1)]).new_ids
    row = store.rows([aid])[0]
    assert row.published is not None and row.published.tzinfo is not None
    assert abs(row.published - datetime.now(UTC)) < timedelta(minutes=1)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=40))
def test_any_search_text_is_a_valid_query(store: Store, text: str) -> None:
    if not store.list_feeds():
        feed = store.add_feed("https://a.example/feed")
        store.upsert_articles(feed.id, [make_item(1, title='Quotes " and AND * ( ) 中文 çafé')])
    store.search(text)
    store.count_articles(ArticleQuery(search=text))
