"""Time to first token of Summarise and of the first chat question on an article that was read ahead (its states
read back from disk by a fresh assistant, as after opening the window) against a cold one, on a random
checkpoint of a real shape (0.1B: L12 D768; 1.5B: L24 D2048).

    python3 -m tests.bench.bench_read_ahead [--shape 0.1b|1.5b] [--device cpu|cuda] [--dtype fp32|int8] [--words N]
        [--checkpoint PATH] [--translate-only] [--rounds N] [--threads N]

The model is loaded and warmed up (one cold summary and chat on another article) before the timings; the
time runs from the call to the first streamed text. Translate (into zh, 4 tokens written per block) is timed
from the call to its first text (the title's first piece, or the stored title of a read-ahead article) and to
the body's first streamed text (then stopped), in `--rounds` alternating rounds (min-max printed): on a
read-ahead article, on cold ones with the instructions' states cached (the usual case: any translation before
read them), and with nothing cached (state cache cleared first), each for one long paragraph (`--words`) and for
~60-word paragraphs. Also prints the read-ahead time per article and the bytes its two states take on disk
(float16). `--checkpoint` uses an existing random checkpoint of the shape (the 1.5B one is 3 GB: build it once);
`--translate-only` skips the summary, chat and prefill-slice figures. Random weights: the text is noise, the
timing is real.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

from app.ai.assistant import Assistant
from app.ai.context import article_plain_text
from app.ai.make_random import make_random_checkpoint
from app.ai.read_ahead import ReadAhead
from app.ai.state_cache import StateCache
from app.config import Paths, Settings
from app.models import ArticleQuery, ParsedItem
from app.storage import open_store

SHAPES = {"0.1b": (12, 768), "0.4b": (24, 1024), "1.5b": (24, 2048)}


def build(paths: Paths, words: int, count: int) -> list[int]:
    with open_store(paths.db_path) as store:
        feed = store.add_feed("http://127.0.0.1:9/bench.xml", title="Bench")
        items = []
        for i in range(count):
            body = " ".join(f"Sea otters {i} and tools, note {j} on the coast." for j in range(words // 9))
            items.append(ParsedItem(guid=f"b{i}", url=f"http://example.org/{i}", title=f"Notes {i} on otters",
                                    content_html=f"<p>{body}</p>"))  # fmt: skip
        store.upsert_articles(feed.id, items)
        return store.query_ids(ArticleQuery(smart="unread", unread_only=True, sort="newest"))


def first_text_s(run) -> float:
    started = time.perf_counter()
    first: list[float] = []

    def on_text(_piece: str) -> None:
        if not first:
            first.append(time.perf_counter() - started)

    run(on_text)
    return first[0] if first else float("nan")


def timings(assistant: Assistant, article_id: int) -> tuple[float, float]:
    """(summary, first chat answer) time to first text on `article_id`."""
    summary = first_text_s(lambda on_text: assistant.summarize(article_id, refresh=True, on_text=on_text))

    def chat(on_text) -> None:
        session = assistant.article_chat(article_id)
        assert session is not None
        session.ask("What is this article about?", on_text=on_text)

    return summary, first_text_s(chat)


def translate_timings(assistant: Assistant, article_id: int, *, refresh: bool = True) -> tuple[float, float]:
    """(first text: the title's first piece or its stored translation, the body's first text) from the call,
    translating into zh (afresh with `refresh`, else a stored title is used), stopped at the body's first text."""
    started = time.perf_counter()
    marks: dict[str, float] = {}
    stop = threading.Event()

    def title(_text: str) -> None:
        marks.setdefault("title", time.perf_counter() - started)

    def body(_text: str) -> None:
        marks.setdefault("body", time.perf_counter() - started)
        stop.set()

    translator = assistant.translator(max_block_tokens=4)
    translator.translate_article(
        article_id, language="zh", refresh=refresh, on_title=title, on_text=body, cancel=stop
    )
    return marks.get("title", float("nan")), marks.get("body", float("nan"))


def translate_rounds(assistant: Assistant, cases: dict[str, tuple[int, bool, bool]], rounds: int) -> None:
    """Each case (article, refresh, clear the state cache first) once a round, the cases alternating; prints
    min-max of the first text and of the body's first text per case."""
    found: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (article_id, refresh, clear) in cases.items():
            if clear:
                assistant.states.clear()
            found[name].append(translate_timings(assistant, article_id, refresh=refresh))
    for name, times in found.items():
        titles, bodies = [t for t, _ in times], [b for _, b in times]
        print(f"translate {name}: first text {min(titles):.3f}-{max(titles):.3f}s, first body text "
              f"{min(bodies):.3f}-{max(bodies):.3f}s ({rounds} rounds)")  # fmt: skip


def add_paragraphed(paths: Paths, words: int, count: int = 1) -> list[int]:
    """`count` more articles of the same length in ~60-word paragraphs (read by nobody yet)."""
    with open_store(paths.db_path) as store:
        feed = store.add_feed("http://127.0.0.1:9/paragraphs.xml", title="Paragraphs")
        body = "".join(
            "<p>" + " ".join(f"Sea otters {k} and tools, note {j} on the coast." for j in range(7)) + "</p>"
            for k in range(max(1, words // 63))
        )
        items = [ParsedItem(guid=f"p{i}", url=f"http://example.org/p{i}", title=f"Notes {i} on otters",
                            content_html=body) for i in range(count)]  # fmt: skip
        return store.upsert_articles(feed.id, items).new_ids


def slice_timings(model, tokens: list[int]) -> dict[str, tuple[float, float]]:
    """{kind: (prefill tokens/s, seconds per slice)} reading `tokens` as a user's request and as background work:
    the seconds per slice are how long a user's request waits, at most, for background work to stop."""
    from app.ai.cancel import BackgroundCancel, prefill_slice
    from app.ai.generate import prefill

    found = {}
    for kind, flag in (("user", threading.Event()), ("background", BackgroundCancel())):
        started = time.perf_counter()
        prefill(model, tokens, cancel=flag)
        spent = time.perf_counter() - started
        found[kind] = (len(tokens) / spent, spent / -(-len(tokens) // prefill_slice(flag)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shape", default="0.1b", choices=SHAPES)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="fp32")
    parser.add_argument(
        "--words", type=int, default=1300, help="words per article (1300: about 2,000 tokens)"
    )
    parser.add_argument("--checkpoint", type=Path, help="an existing random checkpoint of the shape")
    parser.add_argument("--translate-only", action="store_true", help="only the Translate figures")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the Translate timings")
    parser.add_argument("--threads", type=int, default=0, help="ai.threads (0: all cores)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        n_layer, n_embd = SHAPES[args.shape]
        ckpt = args.checkpoint or make_random_checkpoint(
            base / f"random-{args.shape}.pth", version="7", n_layer=n_layer, n_embd=n_embd
        )
        paths = Paths(base / "data").ensure()
        ids = build(paths, args.words, 5)  # the oldest one warms the fresh model up (first long prefill)
        settings = Settings(paths.settings_path)
        for key, value in (("ai.model_path", str(ckpt)), ("ai.device", args.device), ("ai.dtype", args.dtype),
                           ("ai.max_tokens", 4), ("ai.summary_temperature", 0.0),
                           ("ai.language", "zh"), ("ai.threads", args.threads)):  # fmt: skip
            settings.set(key, value)
        with open_store(paths.db_path) as store:
            reader = Assistant(settings, paths, store, state_cache=StateCache(paths.states_dir))
            started = time.perf_counter()
            model = reader.load()
            loaded = time.perf_counter() - started
            tokens = (
                len(reader.tokenizer.encode(store.get_article(ids[0]).title or "")) if reader.tokenizer else 0
            )
            started = time.perf_counter()
            result = ReadAhead(reader, limit=2, max_title_tokens=4).run()
            spent = time.perf_counter() - started
            assert result is not None and result.read == tuple(ids[:2])
            disk = reader.states.disk_usage()
            text = article_plain_text(store.get_article(ids[0]))
            print(f"shape {args.shape} (L{n_layer} D{n_embd}) on {model.device} {model.dtype}, loaded in "
                  f"{loaded:.1f}s; article about {reader.backend.count_tokens(text)} tokens (title {tokens})")  # fmt: skip
            print(f"read ahead 2 articles in {spent:.2f}s ({spent / 2:.2f}s each, their titles translated); "
                  f"{disk / 2 / 1e6:.1f} MB on disk per article (state {model.new_state().nbytes() / 1e6:.1f} MB "
                  "in memory)")  # fmt: skip
            fresh = Assistant(settings, paths, store, state_cache=StateCache(paths.states_dir))
            fresh.load()
            if not args.translate_only:
                timings(fresh, ids[4])  # one-time costs of a first long prefill stay out of both figures
                warm = timings(fresh, ids[0])
                cold = timings(fresh, ids[2])
                print(f"summary: first text {warm[0]:.3f}s read ahead vs {cold[0]:.3f}s cold")
                print(f"first chat answer: first text {warm[1]:.3f}s read ahead vs {cold[1]:.3f}s cold")
            translate_timings(fresh, ids[4])  # the translate prompt's own first run stays out too
            short = add_paragraphed(paths, args.words, 2)
            long_paragraph = f"one {args.words}-word paragraph"
            translate_rounds(fresh, {
                f"read ahead ({long_paragraph})": (ids[0], False, False),
                f"cold, instructions cached ({long_paragraph})": (ids[2], True, False),
                "cold, instructions cached (~60-word paragraphs)": (short[0], True, False),
                f"cold, nothing cached ({long_paragraph})": (ids[3], True, True),
                "cold, nothing cached (~60-word paragraphs)": (short[1], True, True),
            }, args.rounds)  # fmt: skip
            if not args.translate_only:
                assert fresh.tokenizer is not None
                sliced = slice_timings(model, fresh.tokenizer.encode(text))
                print(f"prefill in 512-token slices (user) {sliced['user'][0]:.0f} tok/s, {sliced['user'][1]:.3f}s a slice; "
                      f"in 64-token slices (background) {sliced['background'][0]:.0f} tok/s, {sliced['background'][1]:.3f}s "
                      "a slice: the longest a user's request waits for read-ahead or a rule to stop")  # fmt: skip


if __name__ == "__main__":
    main()
