"""World tokenizer speed: Hearth's WorldTokenizer against rwkv's TRIE_TOKENIZER, measured in the same run.

usage: python tests/bench/bench_tokenizer.py
Prints vocabulary load time and encode/decode time for a ~2,000-token mixed article (and a long one).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.ai.tokenizer import WorldTokenizer  # noqa: E402
from app.config import resources_dir  # noqa: E402


def best_ms(fn, repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def main() -> None:
    import rwkv
    from rwkv.rwkv_tokenizer import TRIE_TOKENIZER

    vocab = resources_dir() / "rwkv_vocab_v20230424.txt"
    wheel_vocab = os.path.join(os.path.dirname(rwkv.__file__), "rwkv_vocab_v20230424.txt")
    ours_load = best_ms(lambda: WorldTokenizer.from_file(vocab), 5)
    ref_load = best_ms(lambda: TRIE_TOKENIZER(wheel_vocab), 2)
    ours, ref = WorldTokenizer.from_file(vocab), TRIE_TOKENIZER(wheel_vocab)

    mixed = (
        (ROOT / "app" / "cli.py").read_text(encoding="utf-8")
        + "循环神经网络的推理速度很快，而且显存占用固定。RWKV 是一种 RNN。🎉🚀👍🏽\n" * 40
        + (ROOT / "README.md").read_text(encoding="utf-8")
    )
    ids = ours.encode(mixed)
    article = ours.decode(ids[:2000])
    long_text = mixed * 5
    print(f"vocabulary load:        hearth {ours_load:8.1f} ms   rwkv TRIE_TOKENIZER {ref_load:8.1f} ms")
    for name, text in (
        ("2,000-token article", article),
        (f"{len(ours.encode(long_text)):,}-token text", long_text),
    ):
        assert ours.encode(text) == ref.encode(text)
        a = best_ms(lambda t=text: ours.encode(t))
        b = best_ms(lambda t=text: ref.encode(t))
        print(f"encode {name:<20} hearth {a:8.2f} ms   rwkv TRIE_TOKENIZER {b:8.2f} ms   ({b / a:.2f}x)")
    article_ids = ours.encode(article)
    a = best_ms(lambda: ours.decode(article_ids))
    b = best_ms(lambda: ref.decode(article_ids))
    print(f"decode 2,000 tokens          hearth {a:8.2f} ms   rwkv TRIE_TOKENIZER {b:8.2f} ms")
    per_token = [best_ms(lambda t=t: ours.encode(t), 3) for t in article.split("\n") if t][:50]
    print(f"median line encode: {statistics.median(per_token) * 1e3:.1f} µs")


if __name__ == "__main__":
    main()
