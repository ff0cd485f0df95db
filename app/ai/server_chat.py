"""Chat about an article (or about nothing) on the user's own model server: the same questions, regenerate,
continue, free and instruction modes as `app.ai.chat.ChatSession`, but the history is re-sent as messages each
turn (a server keeps no recurrent state for us)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from app.ai.backends import OpenAIBackend
from app.ai.prompts import ChatMessage, article_context, clean_message
from app.ai.results import FinishReason, Reply, ReplyKind, StateSource
from app.errors import ModelError

OnText = Callable[[str], None]


@dataclass
class ServerChat:
    backend: OpenAIBackend
    context: list[ChatMessage] = field(default_factory=list)  # the article, read once per turn by the server
    article_id: int | None = None
    title: str = ""
    context_tokens: int = 0
    cut_to: int | None = None
    from_cache: StateSource = StateSource.READ_NOW  # a server keeps no state of ours
    messages: list[ChatMessage] = field(default_factory=list)
    _last: tuple[ReplyKind, list[ChatMessage], str] | None = (
        None  # (kind, messages sent, preset) for regenerate
    )

    def reset(self) -> None:
        self.messages, self._last = [], None

    def ask(
        self,
        question: str,
        *,
        on_text: OnText | None = None,
        cancel: threading.Event | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
    ) -> Reply:
        sent = [*self.messages, ChatMessage("user", clean_message(question))]
        return self._run(ReplyKind.CHAT, sent, "chat", on_text, cancel, keep=True)

    def regenerate(
        self,
        *,
        on_text: OnText | None = None,
        cancel: threading.Event | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
    ) -> Reply:
        if self._last is None:
            raise ModelError("there is nothing to regenerate", hint="ask something first")
        kind, sent, preset = self._last
        if kind == ReplyKind.CHAT and self.messages and self.messages[-1].role == "assistant":
            self.messages = self.messages[:-2]
        return self._run(kind, sent, preset, on_text, cancel, keep=kind == ReplyKind.CHAT)

    def continue_(self, *, on_text: OnText | None = None, cancel: threading.Event | None = None) -> Reply:
        if not self.messages or self.messages[-1].role != "assistant":
            raise ModelError("there is nothing to continue", hint="ask something first")
        sent = [*self.messages, ChatMessage("user", "Please continue your last answer.")]
        return self._run(ReplyKind.CHAT, sent, "chat", on_text, cancel, keep=True)

    def free(self, prompt: str, *, on_text: OnText | None = None, cancel: threading.Event | None = None,
             temperature: float | None = None, top_p: float | None = None) -> Reply:  # fmt: skip
        return self._run(
            ReplyKind.FREE, [ChatMessage("user", prompt)], "creative", on_text, cancel, keep=False
        )

    def instruct(self, instruction: str, *, on_text: OnText | None = None, cancel: threading.Event | None = None,
                 temperature: float | None = None, top_p: float | None = None) -> Reply:  # fmt: skip
        sent = [ChatMessage("user", clean_message(instruction))]
        return self._run(ReplyKind.INSTRUCT, sent, "chat", on_text, cancel, keep=False)

    def _run(
        self,
        kind: ReplyKind,
        sent: list[ChatMessage],
        preset: str,
        on_text: OnText | None,
        cancel: threading.Event | None,
        *,
        keep: bool,
    ) -> Reply:
        self._last = (kind, sent, preset)
        full = [*self.context, *sent] if kind == ReplyKind.CHAT else sent
        gen = self.backend.complete(full, preset=preset, stop=("\n\n",) if kind == ReplyKind.CHAT else (),
                                    on_text=on_text, cancel=cancel)  # fmt: skip
        if keep and gen.finish_reason != FinishReason.CANCELLED:
            self.messages = [*sent, ChatMessage("assistant", gen.text.strip())]
        tokens = self.backend.count_tokens(" ".join(m.text for m in full))
        new = self.backend.count_tokens(gen.text) if gen.text else 0
        return Reply(kind, gen.text, gen.finish_reason, tokens, new, gen.first_text_s)


def article_server_chat(
    backend: OpenAIBackend, article_id: int, title: str, text: str, budget: int
) -> ServerChat:
    """A server chat that has the article as its first exchange (the same opening as the built-in engine's)."""
    fitted, cut_to = backend.fit(text, budget)
    opening = article_context(title, fitted)  # "User: ...\n\nAssistant: ...\n\n"
    user, _, rest = opening.partition("\n\nAssistant: ")
    context = [ChatMessage("user", user.removeprefix("User: ")), ChatMessage("assistant", rest.strip())]
    tokens = backend.count_tokens(opening)
    return ServerChat(backend, context, article_id, title, tokens, cut_to)
