"""Where the assistant's text comes from: the built-in RWKV engine, or the user's own OpenAI-compatible server
(`ai.backend` = rwkv | openai). Both take the same chat messages (from app.ai.prompts), stream text, honour a
cancel flag and name a model id that summaries, translations and digests are cached under.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING

from app.ai.context import AssistantContext, OnText, Progress, model_id_for
from app.ai.openai_backend import Completion, OpenAIClient, normalise_endpoint
from app.ai.prompts import ChatMessage, chat_prompt, fit_article
from app.ai.results import FinishReason
from app.ai.state_cache import StateKey, content_hash
from app.config import SAMPLING_KEYS, Key, Settings
from app.errors import ConfigError, ModelLoadError

if TYPE_CHECKING:
    from app.ai.model import Model
    from app.ai.state import State
    from app.ai.tokenizer import Tokenizer

PREFIX_STATES = (
    "prefix-1"  # the state cache's prompt version for shared prompt heads (see RwkvBackend.complete)
)
MIN_PREFIX_CHARS = 32  # a shorter shared head is not worth a cache entry (translate's zh heads: 33)


class BackendName(StrEnum):
    """`ai.backend`: where the assistant's text comes from."""

    RWKV = "rwkv"  # the built-in engine
    OPENAI = "openai"  # the user's own OpenAI-compatible server


BACKENDS = tuple(BackendName)


class RwkvBackend:
    """The built-in engine, loaded through the assistant (on first use)."""

    def __init__(self, assistant: AssistantContext) -> None:
        self.assistant = assistant

    def model_id(self) -> str:
        return model_id_for(self.assistant.model_path())

    def _tokenizer(self) -> Tokenizer:
        if self.assistant.tokenizer is not None:
            return self.assistant.tokenizer
        from app.ai.tokenizer import WorldTokenizer

        return WorldTokenizer.default()  # fitting before the model loads: G1/World models use this one

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer().encode(text))

    def fit(self, text: str, budget: int) -> tuple[str, int | None]:
        tokenizer = self._tokenizer()
        fitted, cut = fit_article(text, tokenizer, budget)
        return fitted, (len(tokenizer.encode(fitted)) if cut else None)

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        preset: str = "summary",
        stop: Sequence[str] = (),
        max_tokens: int | None = None,
        on_text: OnText | None = None,
        cancel: threading.Event | None = None,
        progress: Progress | None = None,
        reuse_prefix: str = "",
        keep_prefix: bool = True,
    ) -> Completion:
        """`reuse_prefix`: text the messages begin with that other calls share (ask's sources block). The prompt
        up to its end is read from a state kept in the assistant's state cache (read once, then reused), and
        only the rest is fed; the two parts are tokenised apart whether the state was cached or not, so a
        cached head never changes the answer. `keep_prefix=False` uses a cached head but keeps no new one
        (summaries and translations: only read-ahead keeps theirs, see app.ai.read_ahead)."""
        from app.ai.generate import generate

        model = self.assistant.load(progress)
        assert self.assistant.tokenizer is not None
        params = self.assistant.sampling(preset).with_(stop=tuple(stop))
        if max_tokens is not None:
            params = params.with_(max_tokens=max_tokens)
        started = time.perf_counter()
        first: list[float] = []

        def emit(piece: str) -> None:
            if not first:
                first.append(time.perf_counter() - started)
            if on_text is not None:
                on_text(piece)

        prompt = chat_prompt(messages)
        state = None
        index = prompt.find(reuse_prefix) if len(reuse_prefix) >= MIN_PREFIX_CHARS else -1
        cut = index + len(reuse_prefix)
        if index >= 0 and cut < len(prompt):
            state = self._head_state(model, prompt[:cut], cancel, keep=keep_prefix)
            if state is None:  # cancelled while reading the head
                return Completion("", FinishReason.CANCELLED, self.model_id())
            prompt = prompt[cut:]
        gen = generate(
            model, self.assistant.tokenizer, prompt, params, state=state, on_text=emit, cancel=cancel
        )
        return Completion(gen.text, gen.finish_reason, self.model_id(), first[0] if first else None)

    def read_head(self, head: str, cancel: threading.Event | None = None) -> bool:
        """Read `head` into the state cache now, compactly (read-ahead); False if cancelled meanwhile."""
        return self._head_state(self.assistant.load(), head, cancel, compact=True) is not None

    def has_head(self, head: str) -> bool:
        model = self.assistant.load()
        return self.assistant.states.has(self._head_key(model, head))

    def _head_key(self, model: Model, head: str) -> StateKey:
        return StateKey(f"{self.model_id()}|{model.dtype}", PREFIX_STATES, 0, content_hash(head))

    def _head_state(
        self,
        model: Model,
        head: str,
        cancel: threading.Event | None,
        *,
        keep: bool = True,
        compact: bool = False,
    ) -> State | None:
        """The state after reading `head`: from the state cache, else prefilled once (and kept there)."""
        from app.ai.generate import prefill

        assistant = self.assistant
        assert assistant.tokenizer is not None
        key = self._head_key(model, head)
        cached = assistant.states.get(key, device=model.device)
        if cached is not None:
            return cached.state
        ids = assistant.tokenizer.encode(head)
        result = prefill(model, ids, cancel=cancel)
        if result is None:
            return None
        if not keep:
            return result[1]
        return assistant.states.put(key, result[1], {"tokens": len(ids)}, compact=compact)


class OpenAIBackend:
    """The user's own server at `ai.endpoint` (model `ai.endpoint_model`, "" for the server's first)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        endpoint = settings.get(Key.AI_ENDPOINT).strip()
        if not endpoint:
            raise ConfigError(
                "ai.backend is openai but no model server address is set",
                hint="`hearth config set ai.endpoint http://127.0.0.1:11434/v1`, or set ai.backend to rwkv",
            )
        self.base = normalise_endpoint(endpoint)
        self.model = settings.get(Key.AI_ENDPOINT_MODEL).strip()
        self._client: OpenAIClient | None = None

    @property
    def client(self) -> OpenAIClient:
        if self._client is None:
            self._client = OpenAIClient(self.base, self.model)
        return self._client

    def model_id(self) -> str:
        return f"openai:{self.model or 'default'}@{self.base}"

    def count_tokens(self, text: str) -> int:
        from app.ai.tokenizer import WorldTokenizer

        return len(WorldTokenizer.default().encode(text))  # an estimate: the server's tokenizer is unknown

    def fit(self, text: str, budget: int) -> tuple[str, int | None]:
        from app.ai.tokenizer import WorldTokenizer

        tokenizer = WorldTokenizer.default()
        fitted, cut = fit_article(text, tokenizer, budget)
        return fitted, (len(tokenizer.encode(fitted)) if cut else None)

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        preset: str = "summary",
        stop: Sequence[str] = (),
        max_tokens: int | None = None,
        on_text: OnText | None = None,
        cancel: threading.Event | None = None,
        progress: Progress | None = None,
        reuse_prefix: str = "",
        keep_prefix: bool = True,
    ) -> Completion:
        """`reuse_prefix` is for the built-in engine; a server keeps its own prompt cache."""
        s = self.settings
        if not s.get(Key.AI_ENABLED):
            raise ModelLoadError("AI is switched off", hint="turn on ai.enabled in the settings")
        # RWKV's turn markers mean nothing to a chat server, which ends its own turn; only "\n\n" (one
        # paragraph) is passed on
        stops = [x for x in stop if x == "\n\n"]
        return self.client.stream_chat(
            messages,
            temperature=s.get(SAMPLING_KEYS[preset][0]),
            top_p=s.get(SAMPLING_KEYS[preset][1]),
            max_tokens=s.get(Key.AI_MAX_TOKENS) if max_tokens is None else max_tokens,
            stop=stops,
            on_text=on_text,
            cancel=cancel,
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def backend_name(settings: Settings) -> BackendName:
    name = str(settings.get(Key.AI_BACKEND) or BackendName.RWKV)
    if name not in BACKENDS:
        raise ConfigError(f"unknown ai.backend {name!r}", hint="use rwkv or openai")
    return BackendName(name)
