"""The generation loop over any `Model`: prefill the prompt, then sample and feed one token at a time, streaming
complete UTF-8 text, stopping on stop strings, end-of-text, the token budget or a cancel flag.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.ai.cancel import prefill_slice
from app.ai.results import FinishReason
from app.ai.sampler import END_OF_TEXT, Sampler, SamplingParams, penalty_exempt_ids
from app.ai.tokenizer import StreamDecoder, Tokenizer
from app.errors import ModelError

if TYPE_CHECKING:
    import torch

    from app.ai.model import Model
    from app.ai.state import State

log = logging.getLogger(__name__)


@dataclass
class Generation:
    """What one run produced. `state` has seen the prompt and every id in `token_ids` (None if cancelled
    during the prompt) and `logits` are its next-token logits; `text` excludes the stop string and equals
    everything passed to on_text."""

    text: str
    token_ids: list[int]
    state: State | None
    finish_reason: FinishReason  # STOP, LENGTH, EOS or CANCELLED
    prompt_tokens: int
    prefill_s: float = 0.0
    decode_s: float = 0.0
    stop: str | None = None  # the stop string that ended it
    logits: torch.Tensor | None = None  # [V] after the last token in `state`: pass both back to continue

    @property
    def prefill_tokens_per_s(self) -> float:
        return self.prompt_tokens / self.prefill_s if self.prefill_s > 0 else 0.0

    @property
    def decode_tokens_per_s(self) -> float:
        return len(self.token_ids) / self.decode_s if self.decode_s > 0 else 0.0


def prefill(
    model: Model, tokens: Sequence[int], state: State | None = None, *, cancel: threading.Event | None = None
) -> tuple[torch.Tensor, State] | None:
    """Feed `tokens` (the passed state is not modified): (logits of the last token, new state), or None if
    `cancel` was set between slices (of BACKGROUND_SLICE tokens when it is a BackgroundCancel)."""
    if not tokens:
        raise ValueError("prefill() needs at least one token")
    logits, current = None, state
    size = prefill_slice(cancel)
    for start in range(0, len(tokens), size):
        if cancel is not None and cancel.is_set():
            return None
        # the first slice copies the caller's state; later slices update our own copy in place
        logits, current = model.forward(tokens[start : start + size], current, inplace=start > 0)
    assert logits is not None and current is not None
    return logits, current


def generate(
    model: Model,
    tokenizer: Tokenizer,
    prompt: str | Sequence[int],
    params: SamplingParams,
    *,
    state: State | None = None,
    logits: torch.Tensor | None = None,
    on_text: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> Generation:
    """Continue `prompt` (text or token ids) from `state` (None: a fresh sequence; it is never modified).

    An empty prompt continues from `state` and its `logits` when both are given; otherwise it starts a new
    document with the end-of-text token, as in training. `on_text` receives only complete UTF-8 text, and
    text that might be the start of a stop string is held back until it is known not to be one.
    """
    ids = tokenizer.encode(prompt) if isinstance(prompt, str) else [int(t) for t in prompt]
    if ids and (max(ids) >= model.vocab_size or min(ids) < 0):
        raise ModelError(
            f"the prompt has token ids outside this model's vocabulary (0..{model.vocab_size - 1})",
            hint="the tokenizer does not match the model: use the model's own tokenizer",
        )
    started = time.perf_counter()
    if ids or logits is None or state is None:
        fed = ids or [END_OF_TEXT]
        result = prefill(model, fed, state, cancel=cancel)
        if result is None:
            return Generation(
                "", [], None, FinishReason.CANCELLED, len(ids), prefill_s=time.perf_counter() - started
            )
        logits, state = result
    else:
        state = state.copy()
    prefill_s = time.perf_counter() - started
    return _decode(model, tokenizer, params, logits, state, len(ids), prefill_s, on_text, cancel)


def _decode(
    model: Model,
    tokenizer: Tokenizer,
    params: SamplingParams,
    logits: torch.Tensor,
    state: State,
    prompt_tokens: int,
    prefill_s: float,
    on_text: Callable[[str], None] | None,
    cancel: threading.Event | None,
) -> Generation:
    seed = params.seed if params.seed is not None else random.SystemRandom().randrange(2**63)
    exempt = penalty_exempt_ids(tokenizer) if params.penalised else ()
    sampler = Sampler(params.with_(seed=seed), model.vocab_size, device=logits.device, exempt=exempt)
    decoder = StreamDecoder(tokenizer)
    stops = params.stop
    longest = max((len(s) for s in stops), default=0)
    token_ids: list[int] = []
    text = ""
    emitted = 0
    finish = FinishReason.LENGTH
    hit: str | None = None
    started = time.perf_counter()

    def emit(upto: int) -> None:
        nonlocal emitted
        if upto > emitted:
            if on_text is not None:
                on_text(text[emitted:upto])
            emitted = upto

    for _ in range(params.max_tokens):
        if cancel is not None and cancel.is_set():
            finish = FinishReason.CANCELLED
            break
        token = sampler.sample(logits)
        if token == END_OF_TEXT:
            finish = FinishReason.EOS
            break
        sampler.observe(token)
        token_ids.append(token)
        piece = decoder.feed(token)
        if piece:
            search_from = max(0, len(text) - longest + 1)
            text += piece
            found = _find_stop(text, stops, search_from)
            if found is not None:
                cut, hit = found
                text = text[:cut]
                emit(cut)
                finish = FinishReason.STOP
            else:
                emit(len(text) - _held_back(text, stops))
        # Feed the token after its text went out (lower latency); also the last one, so the returned state
        # has seen every token in token_ids (a chat continues right after the "\n\n" that ended the turn).
        logits, state = model.forward([token], state, inplace=True)
        if finish == FinishReason.STOP:
            break
    if finish != FinishReason.STOP:
        text += decoder.flush()
        emit(len(text))
    decode_s = time.perf_counter() - started
    log.debug("generated %d tokens (%s) in %.2fs", len(token_ids), finish, decode_s)
    return Generation(
        text, token_ids, state, finish, prompt_tokens, prefill_s, decode_s, stop=hit, logits=logits
    )


def _find_stop(text: str, stops: Sequence[str], start: int) -> tuple[int, str] | None:
    """(index, stop) of the earliest stop string in text[start:], or None."""
    best: tuple[int, str] | None = None
    for stop in stops:
        index = text.find(stop, start)
        if index >= 0 and (best is None or index < best[0]):
            best = (index, stop)
    return best


def _held_back(text: str, stops: Sequence[str]) -> int:
    """How many trailing characters of `text` could be the start of a stop string."""
    hold = 0
    for stop in stops:
        for k in range(min(len(stop) - 1, len(text)), hold, -1):
            if text.endswith(stop[:k]):
                hold = k
                break
    return hold


def measure_speed(model: Model, *, prefill_tokens: int = 512, decode_tokens: int = 64, seed: int = 0) -> dict:
    """Prefill and decode throughput of `model` on random tokens (after a short warm-up), as a dict."""
    rng = random.Random(seed)
    vocab = model.vocab_size
    prompt = [rng.randrange(1, vocab) for _ in range(max(1, prefill_tokens))]
    logits, state = model.forward(prompt[:16])  # warm-up: kernels, caches, allocator
    model.forward([int(logits.argmax())], state, inplace=True)
    started = time.perf_counter()
    logits, state = model.forward(prompt, None)
    float(logits[0])  # wait for the device
    prefill_s = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(decode_tokens):
        logits, state = model.forward([int(logits.argmax())], state, inplace=True)
    decode_s = time.perf_counter() - started
    return {
        "version": model.info.version,
        "device": model.device,
        "dtype": model.dtype,
        "prefill_tokens": len(prompt),
        "prefill_s": round(prefill_s, 4),
        "prefill_tokens_per_s": round(len(prompt) / prefill_s, 2) if prefill_s > 0 else None,
        "decode_tokens": decode_tokens,
        "decode_s": round(decode_s, 4),
        "decode_tokens_per_s": round(decode_tokens / decode_s, 2) if decode_s > 0 else None,
    }
