"""Time to first token of a follow-up question about a ~2,000-token article, with the article's state cache
(the question alone is read) and without it (the article is read again first, as a stateless chat would).

Model: a random RWKV-7 of the 0.1B shape (L12 C768 V65536, fp32), built in a temp dir.
Run: python tests/bench/bench_followup.py [--device cpu] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from app.ai.assistant import Assistant
from app.ai.state_cache import StateCache
from app.config import Paths, Settings
from app.models import ArticleQuery, ParsedItem
from app.storage import open_store

SENTENCES = (
    "Sea otters live along the coasts of the North Pacific and eat urchins, crabs and clams.",
    "They keep warm with the densest fur of any animal, since they have no blubber at all.",
    "Their numbers fell sharply during the fur trade and have partly recovered since then.",
    "Kelp forests depend on them, because otters keep the urchins that graze on kelp in check.",
)
QUESTION = "What do otters eat, and why does it matter for kelp?"


def build(tmp: Path, device: str) -> tuple[Assistant, int, int]:
    from app.ai.make_random import make_random_checkpoint

    model = make_random_checkpoint(tmp / "rwkv7-0.1b-shape.pth", version="7", n_layer=12, n_embd=768)
    paths = Paths(tmp / "data").ensure()
    store = open_store(paths.db_path)
    feed = store.add_feed("http://127.0.0.1:9/feed.xml", title="Bench")
    body = "".join(f"<p>{SENTENCES[i % 4]}</p>" for i in range(90))
    store.upsert_articles(feed.id, [ParsedItem(guid="a", url=None, title="Otters", content_html=body)])
    article_id = store.query_ids(ArticleQuery(smart="all"))[0]
    settings = Settings(None)
    settings.set("ai.model_path", str(model))
    settings.set("ai.device", device)
    settings.set("ai.max_tokens", 1)
    assistant = Assistant(settings, paths, store, state_cache=StateCache(paths.states_dir))
    chat = assistant.article_chat(article_id)  # loads the model and fills the cache
    return assistant, article_id, chat.context_tokens


def first_token_s(assistant: Assistant, article_id: int, *, cached: bool) -> float:
    started = time.perf_counter()
    if not cached:
        assistant.states.clear()  # no state cache: the article must be read again
    chat = assistant.article_chat(article_id)
    got: list[float] = []
    chat.ask(QUESTION, on_text=lambda _t: got or got.append(time.perf_counter() - started))
    return got[0] if got else time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        assistant, article_id, tokens = build(Path(tmp), args.device)
        with_cache = [first_token_s(assistant, article_id, cached=True) for _ in range(args.repeats)]
        without = [first_token_s(assistant, article_id, cached=False) for _ in range(args.repeats)]
    cached_s, uncached_s = statistics.median(with_cache), statistics.median(without)
    print(json.dumps({
        "article_tokens": tokens,
        "device": args.device,
        "first_token_with_state_cache_s": round(cached_s, 4),
        "first_token_without_state_cache_s": round(uncached_s, 4),
        "speedup": round(uncached_s / cached_s, 1),
        "runs": {"with": [round(x, 4) for x in with_cache], "without": [round(x, 4) for x in without]},
    }))  # fmt: skip


if __name__ == "__main__":
    main()
