"""Importing and exporting the subscription tree as Outlines (OPML's model)."""

from __future__ import annotations

import pytest

from app.errors import NotFoundError
from app.models import Outline
from app.storage import Store

TREE = (
    Outline("Tech", children=(
        Outline("Rust blog", url="https://blog.rust-lang.org/feed.xml", site_url="https://blog.rust-lang.org/"),
        Outline("Languages", children=(
            Outline("Python", url="https://blog.python.org/feeds/posts/default"),
        )),
    )),
    Outline("Loose feed", url="https://loose.example/rss"),
    Outline("Zhihu person", url="zhihu:people:abc", kind="zhihu.people.activities"),
)  # fmt: skip


def test_import_nested_then_export_round_trip(store: Store) -> None:
    assert store.import_outlines(TREE) == (4, 0, 2)
    python = store.find_feed_by_url("https://blog.python.org/feeds/posts/default")
    assert python is not None
    languages = store.get_folder(python.folder_id)  # type: ignore[arg-type]
    assert languages.name == "Languages" and store.get_folder(languages.parent_id).name == "Tech"  # type: ignore[arg-type]
    exported = store.export_outlines()
    assert [o.title for o in exported] == ["Tech", "Loose feed", "Zhihu person"]
    tech = exported[0]
    assert [o.title for o in tech.children] == ["Languages", "Rust blog"]  # folders first, then feeds
    assert tech.children[1].site_url == "https://blog.rust-lang.org/"
    assert tech.children[0].children[0].url == "https://blog.python.org/feeds/posts/default"
    assert exported[2].kind == "zhihu.people.activities"


def test_reimport_merges_folders_and_duplicates(store: Store) -> None:
    store.import_outlines(TREE)
    again = (
        Outline("tech", children=(  # same folder, other case
            Outline("Rust (dup)", url="https://blog.rust-lang.org/feed.xml"),
            Outline("New one", url="https://new.example/feed"),
        )),
        Outline("Loose feed", url="https://loose.example/rss"),
        Outline("Loose feed twice", url="https://loose.example/rss"),
    )  # fmt: skip
    assert store.import_outlines(again) == (1, 3, 0)
    assert len(store.list_folders()) == 2
    new = store.find_feed_by_url("https://new.example/feed")
    assert new is not None and store.get_folder(new.folder_id).name == "Tech"  # type: ignore[arg-type]
    assert store.find_feed_by_url("https://blog.rust-lang.org/feed.xml").title == "Rust blog"  # type: ignore[union-attr]


def test_import_under_a_parent_and_is_atomic(store: Store) -> None:
    parent = store.add_folder("Imported")
    assert store.import_outlines(TREE[:2], parent_id=parent.id) == (3, 0, 2)
    assert store.get_folder(store.list_folders()[1].id).parent_id == parent.id
    with pytest.raises(NotFoundError):
        store.import_outlines(TREE, parent_id=999)
    assert len(store.list_feeds()) == 3  # nothing from the refused import


def test_export_empty(store: Store) -> None:
    assert store.export_outlines() == []
