"""Chat sessions over a base RWKV state (nothing, or an article already read): ask, regenerate, continue,
reset, and single-round free / instruction generation, with per-message temperature and top-p.

The conversation lives in the recurrent state: a follow-up feeds only its own question, never the history.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.ai.generate import Generation, generate
from app.ai.prompts import CHAT_STOP, ChatMessage, clean_message, free_prompt, instruction_prompt, reply_text
from app.ai.results import FinishReason, Reply, ReplyKind, StateSource
from app.ai.sampler import SamplingParams
from app.errors import ModelError

if TYPE_CHECKING:
    import torch

    from app.ai.model import Model
    from app.ai.state import State
    from app.ai.tokenizer import Tokenizer

log = logging.getLogger(__name__)

OnText = Callable[[str], None]


@dataclass
class _Run:
    """How the last generation started (for regenerate) and where it ended (for continue)."""

    kind: ReplyKind
    prompt: str
    start: State | None
    params: SamplingParams
    messages_before: list[ChatMessage]
    open_before: bool
    question: str = ""
    text: str = ""
    end: State | None = None
    logits: torch.Tensor | None = None
    finish: FinishReason | None = None


@dataclass
class ChatSession:
    """A conversation. Not thread-safe: one worker thread drives it."""

    model: Model
    tokenizer: Tokenizer
    params: SamplingParams
    base: State | None = None  # the state every reset returns to (None: an empty context)
    messages: list[ChatMessage] = field(default_factory=list)
    creative: SamplingParams | None = None  # free generation's sampling (None: the chat's)

    def __post_init__(self) -> None:
        self.params = self.params.with_(stop=CHAT_STOP)
        self.reset()

    # conversation -------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the conversation (the article stays read)."""
        self.messages = []
        self._state: State | None = self.base.copy() if self.base is not None else None
        self._open = False  # the last chat answer did not end its turn ("\n\n" not fed yet)
        self._last: _Run | None = None

    def ask(
        self,
        text: str,
        *,
        temperature: float | None = None,
        top_p: float | None = None,
        on_text: OnText | None = None,
        cancel: threading.Event | None = None,
    ) -> Reply:
        question = clean_message(text)
        if not question:
            raise ModelError("the question is empty", hint="type a question first")
        prompt = ("\n\n" if self._open else "") + f"User: {question}\n\nAssistant:"
        run = _Run(
            ReplyKind.CHAT, prompt, self._state, self._params(temperature, top_p), list(self.messages), self._open,
            question,
        )  # fmt: skip
        self.messages.append(ChatMessage("user", question))
        return self._execute(run, on_text, cancel)

    def regenerate(
        self,
        *,
        temperature: float | None = None,
        top_p: float | None = None,
        on_text: OnText | None = None,
        cancel: threading.Event | None = None,
    ) -> Reply:
        """Answer the last question (or rerun the last free/instruct prompt) again from where it started."""
        last = self._last
        if last is None:
            raise ModelError("there is nothing to regenerate", hint="ask something first")
        run = _Run(
            last.kind,
            last.prompt,
            last.start,
            self._params(temperature, top_p, base=last.params),
            list(last.messages_before),
            last.open_before,
            last.question,
        )
        self.messages = list(last.messages_before)
        if last.kind == ReplyKind.CHAT:
            self._state, self._open = last.start, last.open_before
            self.messages.append(ChatMessage("user", last.question))
        return self._execute(run, on_text, cancel)

    def continue_(self, *, on_text: OnText | None = None, cancel: threading.Event | None = None) -> Reply:
        """Generate more of the last answer, from the state and logits where it stopped."""
        last = self._last
        if last is None or last.end is None or last.logits is None:
            raise ModelError("there is nothing to continue", hint="ask something first")
        if last.kind == ReplyKind.CHAT and last.finish == FinishReason.STOP:
            raise ModelError("the last answer is complete", hint="ask a follow-up, or regenerate it")
        started = time.perf_counter()
        first: list[float] = []
        gen = generate(
            self.model, self.tokenizer, "", last.params, state=last.end, logits=last.logits,
            on_text=_timed(on_text, first, started), cancel=cancel,
        )  # fmt: skip
        if gen.state is not None:
            last.end, last.logits = gen.state, gen.logits
        last.text += gen.text
        last.finish = gen.finish_reason
        if last.kind == ReplyKind.CHAT:
            if gen.state is not None:
                self._state = gen.state
            self._open = gen.finish_reason != FinishReason.STOP
            if self.messages and self.messages[-1].role == "assistant":
                self.messages[-1] = ChatMessage("assistant", reply_text(last.text))
        return Reply(
            last.kind, last.text, gen.finish_reason, 0, len(gen.token_ids), first[0] if first else None
        )

    # single-round modes -------------------------------------------------------------------------------
    def free(
        self,
        prompt: str,
        *,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        on_text: OnText | None = None,
        cancel: threading.Event | None = None,
    ) -> Reply:
        """Continue `prompt` from the base state (the article read, no chat history); no stop string."""
        text = free_prompt(prompt)
        if not text:
            raise ModelError("the prompt is empty", hint="type a prompt first")
        params = self._params(temperature, top_p, base=self.creative).with_(
            stop=(), max_tokens=max_tokens or self.params.max_tokens
        )
        run = _Run(ReplyKind.FREE, text, self.base, params, list(self.messages), self._open)
        return self._execute(run, on_text, cancel)

    def instruct(
        self,
        instruction: str,
        *,
        input_text: str = "",
        temperature: float | None = None,
        top_p: float | None = None,
        on_text: OnText | None = None,
        cancel: threading.Event | None = None,
    ) -> Reply:
        """`Instruction: ..\\n\\nResponse:` from the base state; the chat history is left alone."""
        if not clean_message(instruction):
            raise ModelError("the instruction is empty", hint="type an instruction first")
        prompt = instruction_prompt(instruction, input_text)
        run = _Run(
            ReplyKind.INSTRUCT,
            prompt,
            self.base,
            self._params(temperature, top_p),
            list(self.messages),
            self._open,
        )
        return self._execute(run, on_text, cancel)

    # internals ----------------------------------------------------------------------------------------
    def _params(
        self, temperature: float | None, top_p: float | None, *, base: SamplingParams | None = None
    ) -> SamplingParams:
        params = base or self.params
        changes: dict[str, object] = {}
        if temperature is not None:
            changes["temperature"] = float(temperature)
        if top_p is not None:
            changes["top_p"] = float(top_p)
        return params.with_(**changes) if changes else params

    def _execute(self, run: _Run, on_text: OnText | None, cancel: threading.Event | None) -> Reply:
        started = time.perf_counter()
        first: list[float] = []
        gen: Generation = generate(
            self.model, self.tokenizer, run.prompt, run.params, state=run.start,
            on_text=_timed(on_text, first, started), cancel=cancel,
        )  # fmt: skip
        if gen.state is None:  # cancelled before the prompt was read: as if never asked
            self.messages = list(run.messages_before)
            if run.kind == ReplyKind.CHAT:
                self._state, self._open = run.start, run.open_before
            return Reply(run.kind, "", FinishReason.CANCELLED, gen.prompt_tokens, 0)
        run.text, run.end, run.logits, run.finish = gen.text, gen.state, gen.logits, gen.finish_reason
        self._last = run
        if run.kind == ReplyKind.CHAT:
            self._state = gen.state
            self._open = gen.finish_reason != FinishReason.STOP
            self.messages.append(ChatMessage("assistant", reply_text(gen.text)))
        log.debug("%s reply: %d prompt tokens, %d new (%s)", run.kind, gen.prompt_tokens, len(gen.token_ids),
                  gen.finish_reason)  # fmt: skip
        return Reply(
            run.kind, gen.text, gen.finish_reason, gen.prompt_tokens, len(gen.token_ids),
            first[0] if first else None,
        )  # fmt: skip


@dataclass
class ArticleChat(ChatSession):
    """A chat whose base state has read one article (prefilled once, usually from the state cache)."""

    article_id: int = 0
    title: str = ""
    context_tokens: int = 0  # tokens of the article context in the base state
    cut_to: int | None = None  # the article was cut to this many tokens (None: whole)
    from_cache: StateSource = StateSource.READ_NOW


def _timed(on_text: OnText | None, first: list[float], started: float) -> OnText:
    def emit(piece: str) -> None:
        if not first:
            first.append(time.perf_counter() - started)
        if on_text is not None:
            on_text(piece)

    return emit
