"""Helpers for the AI assistant tests: a tiny random RWKV-7 checkpoint (World vocabulary, fp32), a small
library of articles in a real SQLite file, and a forward-call counter wrapped around a loaded model."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.config import Paths, Settings
from app.models import ArticleQuery, ParsedItem
from app.storage import Store, open_store

_CACHE: dict[str, Path] = {}

OTTERS = (
    "<p>Sea otters live along the coasts of the North Pacific. They eat sea urchins, crabs and clams, and they "
    "use stones as tools to open shells.</p><p>Otters keep warm with the densest fur of any animal, since they "
    "have no blubber. Their numbers fell sharply during the fur trade and have partly recovered.</p>"
)


def tiny_checkpoint(base: Path, *, n_layer: int = 2, n_embd: int = 128, vocab: int = 65536) -> Path:
    """A random v7 checkpoint, built once per test session for each shape."""
    key = f"{n_layer}-{n_embd}-{vocab}"
    if key not in _CACHE or not _CACHE[key].exists():
        from app.ai.make_random import make_random_checkpoint

        base.mkdir(parents=True, exist_ok=True)
        _CACHE[key] = make_random_checkpoint(
            base / f"tiny-{key}.pth", version="7", n_layer=n_layer, n_embd=n_embd, vocab_size=vocab
        )
    return _CACHE[key]


def build_library(db_path: Path, *, long_words: int = 0) -> dict[str, int]:
    """Two feeds in a folder: "Otters" (2 articles, one long if long_words) and "News" (1). Returns ids."""
    with open_store(db_path) as store:
        folder = store.add_folder("Nature")
        otters = store.add_feed("http://127.0.0.1:9/otters.xml", title="Otters", folder_id=folder.id)
        news = store.add_feed("http://127.0.0.1:9/news.xml", title="News")
        long_text = "<p>" + " ".join(f"word{i % 97} of the long report." for i in range(long_words)) + "</p>"
        store.upsert_articles(
            otters.id,
            [
                ParsedItem(guid="o1", url="http://example.org/o1", title="Sea otters", content_html=OTTERS),
                ParsedItem(
                    guid="o2",
                    url="http://example.org/o2",
                    title="Long report",
                    content_html=long_text if long_words else OTTERS,
                ),
            ],
        )
        store.upsert_articles(
            news.id, [ParsedItem(guid="n1", url=None, title="Rain", content_html="<p>It rained today.</p>")]
        )
        ids = store.query_ids(ArticleQuery(smart="all", sort="title"))
        rows = {row.title: row.id for row in store.rows(ids)}
        return {
            "folder": folder.id,
            "otters_feed": otters.id,
            "news_feed": news.id,
            "otters": rows["Sea otters"],
            "long": rows["Long report"],
            "rain": rows["Rain"],
        }


def otters_env(
    base: Path, tiny: Path, *, articles: int, language: str
) -> tuple[Paths, Settings, Store, list[int]]:
    """A data dir with `articles` unread otter articles in one feed and settings for the tiny CPU model
    (4 tokens, greedy, AI language `language`): (paths, settings, open store, ids newest first)."""
    paths = Paths(base / "data").ensure()
    store = open_store(paths.db_path)
    feed = store.add_feed("http://127.0.0.1:9/n.xml", title="Nature")
    items = [
        ParsedItem(guid=f"a{i}", url=f"http://example.org/{i}", title=f"Otters {i}", content_html=OTTERS)
        for i in range(articles)
    ]
    store.upsert_articles(feed.id, items)
    newest_first = store.query_ids(ArticleQuery(smart="unread", unread_only=True, sort="newest"))
    settings = Settings(paths.settings_path)
    for key, value in (("ai.language", language), ("ai.device", "cpu"), ("ai.model_path", str(tiny)),
                       ("ai.max_tokens", 4), ("ai.summary_temperature", 0.0)):  # fmt: skip
        settings.set(key, value)
    return paths, settings, store, newest_first


@dataclass
class ForwardCounter:
    """Wraps model.forward: how many calls and tokens went through it (to prove what was not re-read)."""

    model: object
    calls: int = 0
    tokens: int = 0
    sizes: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        inner = self.model.forward

        def forward(tokens, state=None, **kwargs):
            self.calls += 1
            self.tokens += len(tokens)
            self.sizes.append(len(tokens))
            return inner(tokens, state, **kwargs)

        self.model.forward = forward

    def reset(self) -> None:
        self.calls, self.tokens, self.sizes = 0, 0, []

    def restore(self) -> None:
        """Put the model's own forward back."""
        self.model.__dict__.pop("forward", None)
