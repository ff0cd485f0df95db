"""Time to first token of `hearth ask` with 5 cited articles on a random checkpoint of a real shape (0.1B:
L12 D768; 1.5B: L24 D2048), beside the same model's summary of one article (the peer: one article's prefill).

    python3 -m tests.bench.bench_ask [--shape 0.1b|1.5b] [--device cpu|cuda] [--dtype fp32|bf16|fp16|int8]
        [--checkpoint PATH]  (an existing random checkpoint of the shape: the 1.5B one is 3 GB, build it once)
        [--no-summary]  (skip the peer summary of one article beside each ask)

Prints the prompt size, the time to the first answer text (retrieval + excerpt fitting + prefill + first
token, model already loaded) and the prefill rate. Random weights: the text is noise, the timing is real.
The first run reads the instructions and sources; later runs of the same question find that state in the
state cache and read only the question ("cached sources").
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from app.ai.assistant import Assistant
from app.ai.make_random import make_random_checkpoint
from app.config import Paths, Settings
from app.models import ArticleQuery, ParsedItem
from app.storage import open_store

SHAPES = {"0.1b": (12, 768), "0.4b": (24, 1024), "1.5b": (24, 2048)}
TOPICS = ("otters", "whales", "volcanoes", "rivers", "forests", "glaciers", "deserts", "reefs")


def build(paths: Paths, words: int) -> None:
    with open_store(paths.db_path) as store:
        feed = store.add_feed("http://127.0.0.1:9/bench.xml", title="Bench")
        items = []
        for i, topic in enumerate(TOPICS):
            body = " ".join(f"Sea {topic} and tools, note {j} on the coast." for j in range(words // 8))
            items.append(ParsedItem(guid=f"b{i}", url=f"http://example.org/{i}", title=f"Notes on {topic} and tools",
                                    content_html=f"<p>{body}</p>"))  # fmt: skip
        store.upsert_articles(feed.id, items)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shape", default="0.1b", choices=SHAPES)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="fp32")
    parser.add_argument("--words", type=int, default=400, help="words per article")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--checkpoint", type=Path, help="an existing random checkpoint of the shape")
    parser.add_argument(
        "--no-summary", action="store_true", help="skip the one-article summary beside each ask"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        n_layer, n_embd = SHAPES[args.shape]
        started = time.perf_counter()
        ckpt = args.checkpoint or make_random_checkpoint(
            base / f"random-{args.shape}.pth", version="7", n_layer=n_layer, n_embd=n_embd
        )
        if args.checkpoint is None:
            print(
                f"checkpoint {args.shape} (L{n_layer} D{n_embd}) written in {time.perf_counter() - started:.1f}s"
            )
        paths = Paths(base / "data").ensure()
        build(paths, args.words)
        settings = Settings(paths.settings_path)
        for key, value in {"ai.model_path": str(ckpt), "ai.device": args.device, "ai.dtype": args.dtype,
                           "ai.max_tokens": 4, "ai.context_tokens": 4096}.items():  # fmt: skip
            settings.set(key, value)
        with open_store(paths.db_path) as store:
            assistant = Assistant(settings, paths, store)
            started = time.perf_counter()
            model = assistant.load()
            print(f"model loaded in {time.perf_counter() - started:.1f}s on {model.device} {model.dtype}")
            asks, sums = [], []
            for run in range(args.runs):
                result = assistant.ask("Which sea otters use tools on the coast?", limit=5)
                assert len(result.sources) == 5 and result.first_text_s is not None
                asks.append((result.first_text_s, result.prompt_tokens))
                if args.no_summary:
                    sums.append(float("nan"))
                    continue
                one = store.query_ids(ArticleQuery(smart="all"))[run % 8]
                t0 = time.perf_counter()
                first: list[float] = []

                def mark(_piece: str, first: list[float] = first) -> None:
                    if not first:
                        first.append(time.perf_counter())

                assistant.summarize(one, refresh=True, on_text=mark)
                sums.append(first[0] - t0 if first else float("nan"))
            for run, ((ttft, tokens), summary_ttft) in enumerate(zip(asks, sums, strict=True)):
                how = "cold" if run == 0 else "cached sources"
                print(f"ask ({how}), 5 sources: {tokens} prompt tokens, first text after {ttft:.2f}s "
                      f"({tokens / ttft:.0f} tok/s incl. retrieval); summary of one article: first text after "
                      f"{summary_ttft:.2f}s")  # fmt: skip
            cold, cached = asks[0][0], min((a[0] for a in asks[1:]), default=float("nan"))
            print(f"RESULT shape={args.shape} device={args.device} dtype={args.dtype} ask_ttft_cold={cold:.2f}s "
                  f"ask_ttft_cached_sources={cached:.2f}s prompt_tokens={asks[0][1]} "
                  f"summary_ttft_best={min(sums):.2f}s")  # fmt: skip


if __name__ == "__main__":
    main()
