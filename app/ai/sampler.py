"""Choosing the next token: repetition penalties with decay (the ChatRWKV scheme), top-k, top-p, temperature,
greedy at T=0, and a seeded generator so a seed reproduces a run. Works on the logits' own device.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from app.ai.tokenizer import Tokenizer

END_OF_TEXT = 0
# candidates sorted for top-p, widened while they fall short: the whole vocabulary (a 5 ms sort of 65k) last
_TOP_P_PROBES = (256, 4096, 1 << 62)


@dataclass(frozen=True)
class SamplingParams:
    """How to pick tokens. temperature 0 is greedy; top_p 1 and top_k 0 switch those filters off.

    Penalties follow ChatRWKV: logit[t] -= presence + frequency * occ[t], where occ[t] counts earlier
    occurrences of t, every count decaying by `penalty_decay` per generated token. Tokens that are only
    whitespace or digits are exempt (see `penalty_exempt_ids`).
    """

    temperature: float = 1.0
    top_p: float = 0.3
    top_k: int = 0
    presence_penalty: float = 0.5
    frequency_penalty: float = 0.5
    penalty_decay: float = 0.996
    max_tokens: int = 400
    stop: tuple[str, ...] = ("\n\n",)
    seed: int | None = None
    ban_eos: bool = False  # never pick token 0 (end of text); chat demos do this and stop on "\n\n"

    def __post_init__(self) -> None:
        if not (self.temperature >= 0 and math.isfinite(self.temperature)):
            raise ValueError(f"temperature must be >= 0, not {self.temperature}")
        if not 0 <= self.top_p <= 1:
            raise ValueError(f"top_p must be in [0, 1], not {self.top_p}")
        if self.top_k < 0 or self.max_tokens < 0:
            raise ValueError("top_k and max_tokens must be >= 0")
        if not 0 < self.penalty_decay <= 1:
            raise ValueError(f"penalty_decay must be in (0, 1], not {self.penalty_decay}")
        if any(not s for s in self.stop):
            raise ValueError("stop strings must not be empty")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0 or self.top_k == 1 or self.top_p == 0

    @property
    def penalised(self) -> bool:
        return self.presence_penalty != 0 or self.frequency_penalty != 0

    def with_(self, **changes: object) -> SamplingParams:
        return replace(self, **changes)  # type: ignore[arg-type]


GREEDY = SamplingParams(temperature=0.0, top_p=1.0, presence_penalty=0.0, frequency_penalty=0.0)


@lru_cache(maxsize=8)
def penalty_exempt_ids(tokenizer: Tokenizer) -> tuple[int, ...]:
    """Ids whose text is only whitespace and/or ASCII digits: repeating them is normal (indents, numbers, the
    newlines of a bullet list), so they get no penalty. pip exempts ' ', '\\t' and digits from the frequency
    count only; Hearth exempts them from both penalties, as RWKV-Runner does."""
    exempt = []
    for token_id in range(1, tokenizer.vocab_size):
        data = tokenizer.token_bytes(token_id)
        if data and all(b in b" \t\n\r\x0b\x0c0123456789" for b in data):
            exempt.append(token_id)
    return tuple(exempt)


class Sampler:
    """Stateful per generation: remembers the occurrence counts for the penalties and owns the RNG."""

    def __init__(
        self,
        params: SamplingParams,
        vocab_size: int,
        *,
        device: str | torch.device = "cpu",
        exempt: Sequence[int] = (),
    ) -> None:
        self.params = params
        self.vocab_size = vocab_size
        self.rng = np.random.default_rng(params.seed)
        self._device = torch.device(device)
        # Penalties touch only the tokens seen so far. Decay is a running scale instead of a pass over [V]:
        # the true count is occ[t] * scale, so "every count *= decay" is one multiply of `scale`.
        self._occ: torch.Tensor | None = None  # [V] fp32 counts in units of 1/scale
        self._scale = 1.0
        self._exempt = frozenset(exempt)
        self._seen: list[int] = []
        self._seen_set: set[int] = set()
        self._seen_index: torch.Tensor | None = None  # [n_seen] long, rebuilt when a new token shows up
        if params.penalised:
            self._occ = torch.zeros(vocab_size, dtype=torch.float32, device=self._device)

    def adjust(self, logits: torch.Tensor) -> torch.Tensor:
        """Logits [V] after penalties and bans, in fp32; the tensor passed in is never modified."""
        p = self.params
        x = logits.float()
        if x is logits:
            x = x.clone()
        if self._occ is not None and self._seen:
            if self._seen_index is None or self._seen_index.shape[0] != len(self._seen):
                self._seen_index = torch.tensor(self._seen, dtype=torch.long, device=x.device)
            idx = self._seen_index
            x[idx] -= p.presence_penalty + (p.frequency_penalty * self._scale) * self._occ[idx]
        if p.ban_eos:
            x[END_OF_TEXT] = -math.inf
        return x

    def sample(self, logits: torch.Tensor) -> int:
        """Pick a token from logits [V]; call `observe` with it afterwards."""
        x = self.adjust(logits)
        p = self.params
        if p.greedy:
            return int(torch.argmax(x))
        candidates, ids = self._candidates(x)
        if p.temperature != 1.0:
            candidates = candidates / p.temperature
        weights = torch.softmax(candidates, dim=-1).double().cpu().numpy()
        cumulative = np.cumsum(weights)
        pick = int(np.searchsorted(cumulative, self.rng.random() * cumulative[-1], side="right"))
        pick = min(pick, len(weights) - 1)
        return int(ids[pick]) if ids is not None else pick

    def observe(self, token: int) -> None:
        """Count `token` for the penalties (decaying all earlier counts first)."""
        if self._occ is None:
            return
        self._scale *= self.params.penalty_decay
        if self._scale < 1e-3:  # fold the scale back in before 1/scale loses fp32 precision
            self._occ.mul_(self._scale)
            self._scale = 1.0
        if 0 <= token < self.vocab_size and token not in self._exempt:
            if token not in self._seen_set:
                self._seen_set.add(token)
                self._seen.append(token)
            self._occ[token] += 1.0 / self._scale

    def _candidates(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(logits of the tokens that survive top-k and top-p, their ids) — ids None means all, in order.

        pip order: top-p is computed on the untempered distribution, then temperature reshapes what is left.
        Only top_k (or a probe of 256, then 4096) candidates are sorted unless top-p needs more.
        """
        p = self.params
        probs = torch.softmax(x, dim=-1)
        vocab = x.shape[-1]
        if p.top_k == 0 and p.top_p >= 1.0:
            return x, None
        probes = [min(p.top_k, vocab)] if p.top_k > 0 else [min(n, vocab) for n in _TOP_P_PROBES]
        for k in probes:  # widen until top-p is reached inside the probe (flat distributions need more)
            if k >= vocab:
                top_probs, top_ids = torch.sort(probs, descending=True)
            else:
                top_probs, top_ids = torch.topk(probs, k)  # sorted, largest first
            if p.top_p >= 1.0:
                break
            cumulative = torch.cumsum(top_probs, dim=-1)
            reached = int(torch.searchsorted(cumulative, torch.tensor([p.top_p], device=cumulative.device)))
            if reached < k - 1 or k >= vocab or p.top_k > 0:
                break
        if p.top_p < 1.0 and reached < top_probs.shape[-1]:
            cutoff = top_probs[reached]
            keep = int((top_probs >= cutoff).sum())  # ties with the cutoff stay, as in pip
            top_probs, top_ids = top_probs[:keep], top_ids[:keep]
        return x[top_ids], top_ids
